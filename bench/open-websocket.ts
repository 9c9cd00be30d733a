/**
 * The load client's connect + opening handshake, shared by every job.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { readHandshakeResponse } from './client-frames.js';

export interface OpenWebSocket {
  socket: Socket;
  /** The server's Sec-WebSocket-Extensions, '' when it accepted none. */
  extensions: string;
  /** Frame bytes that arrived with the handshake response. */
  rest: Buffer;
}

/** Connects to 127.0.0.1:`port` (over TLS with `tls`), sends `request` and waits for a valid 101. */
export function openWebSocket(port: number, request: Buffer, tls = false): Promise<OpenWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? connectTls({ port, host: '127.0.0.1', rejectUnauthorized: false }).setNoDelay(true)
      : connect({ port, host: '127.0.0.1', noDelay: true });
    let head: Buffer = Buffer.alloc(0);
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      let response;
      try {
        response = readHandshakeResponse(head);
      } catch (error) {
        fail(error as Error);
        return;
      }
      if (response === null) return;
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onEarlyClose);
      resolve({ socket, extensions: response.extensions, rest: head.subarray(response.length) });
    };
    const onEarlyClose = (): void => fail(new Error('connection closed during the opening handshake'));
    socket.on(tls ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onEarlyClose);
  });
}

/** Runs `open` for `count` items, at most `concurrency` at a time; returns the settled results in order. */
export async function inBatches<T>(
  count: number,
  concurrency: number,
  open: (index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await open(index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
