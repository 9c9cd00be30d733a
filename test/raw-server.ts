/**
 * Test helper: a TCP server that plays the server side of the opening handshake by hand, so that
 * a client can be given any response (RFC 6455 §4.1) and any frames, and what the client sends
 * can be read byte by byte.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { secWebSocketAccept } from '../src/opening-handshake.js';

export interface RawRequest {
  /** The request line and header lines as sent. */
  head: string;
  /** Header fields by lower-case name. */
  headers: Record<string, string>;
  key: string;
}

export interface RawPeer {
  socket: Socket;
  request: RawRequest;
  /** Bytes the client sent after its request. */
  received(): Buffer;
  /** Resolves once the client sent at least `length` bytes after its request. */
  receivedAtLeast(length: number): Promise<Buffer>;
  /** Resolves when the client ends its side (FIN), with the time it took. */
  ended: Promise<void>;
  closed: Promise<void>;
}

export interface RawServer {
  port: number;
  server: Server;
  /** The next connection whose request has arrived. */
  nextPeer(): Promise<RawPeer>;
  close(): Promise<void>;
}

/** The 101 response a correct server gives to `key`, with `extra` header lines. */
export function switchingProtocols(key: string, extra: string[] = []): string {
  return ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${secWebSocketAccept(key)}`, ...extra, '', ''].join('\r\n');
}

/** A server that hands each connection, its request read, to `nextPeer()`; `answer` writes the response. */
export async function rawServer(answer: (request: RawRequest) => string | undefined): Promise<RawServer> {
  const waiting: ((peer: RawPeer) => void)[] = [];
  const ready: RawPeer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    let peer: RawPeer | undefined;
    let after = Buffer.alloc(0);
    const watchers: (() => void)[] = [];
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('end', () => resolveEnded());
    socket.on('data', (chunk: Buffer) => {
      if (peer !== undefined) {
        after = Buffer.concat([after, chunk]);
        for (const watch of watchers.splice(0)) watch();
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      after = buffered.subarray(end + 4);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const request = { head, headers, key: headers['sec-websocket-key'] ?? '' };
      peer = {
        socket,
        request,
        received: () => after,
        receivedAtLeast: (length) =>
          new Promise((resolve) => {
            const check = () => (after.length >= length ? resolve(after) : watchers.push(check));
            check();
          }),
        ended,
        closed,
      };
      const response = answer(request);
      if (response !== undefined) socket.write(response);
      const taker = waiting.shift();
      if (taker) taker(peer);
      else ready.push(peer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    server,
    nextPeer: () => {
      const peer = ready.shift();
      return peer ? Promise.resolve(peer) : new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** An unmasked server frame (§5.2), for the client to read. */
export function serverFrame(opcode: number, payload: Buffer | string, options: { fin?: boolean; rsv1?: boolean; mask?: Buffer } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = body.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const mask = options.mask;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | opcode;
  header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  else if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  let data = body;
  if (mask) {
    mask.copy(header, 2 + lengthBytes);
    data = Buffer.from(body.map((byte, i) => byte ^ mask[i % 4]!));
  }
  return Buffer.concat([header, data]);
}

/** A frame as the client sent it, unmasked for reading. */
export interface ClientFrameRead {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  maskKey: Buffer;
  payload: Buffer;
  /** Bytes the frame took. */
  size: number;
}

/** Reads the first frame in `bytes` (undefined when incomplete). */
export function readClientFrame(bytes: Buffer): ClientFrameRead | undefined {
  if (bytes.length < 2) return undefined;
  const masked = (bytes[1]! & 0x80) !== 0;
  let length = bytes[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  const maskKey = masked ? bytes.subarray(at, at + 4) : Buffer.alloc(4);
  if (masked) at += 4;
  if (bytes.length < at + length) return undefined;
  const payload = Buffer.from(bytes.subarray(at, at + length).map((byte, i) => byte ^ maskKey[i % 4]!));
  return { fin: (bytes[0]! & 0x80) !== 0, rsv1: (bytes[0]! & 0x40) !== 0, opcode: bytes[0]! & 0x0f, masked, maskKey: Buffer.from(maskKey), payload, size: at + length };
}

/** Reads every complete frame in `bytes`. */
export function readClientFrames(bytes: Buffer): ClientFrameRead[] {
  const frames: ClientFrameRead[] = [];
  let rest = bytes;
  for (let frame = readClientFrame(rest); frame !== undefined; frame = readClientFrame(rest)) {
    frames.push(frame);
    rest = rest.subarray(frame.size);
  }
  return frames;
}
