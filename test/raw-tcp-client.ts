/**
 * A raw TCP client for the protection tests: it writes bytes as given (each `write` its own TCP
 * write), collects what the server sends, and notes when the server ends or drops TCP.
 */
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

export const UPGRADE_REQUEST =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

export const DEFLATE_OFFER = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';

export class RawTcpClient {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  serverEnded = false;
  isClosed = false;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    this.socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    this.socket.on('end', () => (this.serverEnded = true));
    this.socket.on('error', () => {});
    this.closed = once(this.socket, 'close').then(() => {
      this.isClosed = true;
    });
  }

  /** The opening handshake (extra header lines, e.g. DEFLATE_OFFER, included); resolves with the 101's head. */
  async upgrade(extraHeaders = ''): Promise<string> {
    this.socket.write(UPGRADE_REQUEST + extraHeaders + '\r\n');
    await this.waitFor(() => this.received.includes('\r\n\r\n'));
    const end = this.received.indexOf('\r\n\r\n') + 4;
    const head = this.received.subarray(0, end).toString();
    expect(head).to.match(/^HTTP\/1\.1 101 /);
    this.received = this.received.subarray(end);
    return head;
  }

  async waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; received ${this.received.toString('hex').slice(0, 200)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** The frames a server sent, as `[opcode, payload]` (server frames are unmasked; lengths < 126 here). */
export function serverFrames(bytes: Buffer): [number, Buffer][] {
  const frames: [number, Buffer][] = [];
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    let length = bytes[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2));
      start += 8;
    }
    if (start + length > bytes.length) break;
    frames.push([bytes[offset]! & 0x0f, bytes.subarray(start, start + length)]);
    offset = start + length;
  }
  return frames;
}

/** The close code of the Close frame among `bytes`, or undefined. */
export function closeCodeIn(bytes: Buffer): number | undefined {
  const close = serverFrames(bytes).find(([opcode]) => opcode === 0x8);
  return close === undefined || close[1].length < 2 ? undefined : close[1].readUInt16BE(0);
}
