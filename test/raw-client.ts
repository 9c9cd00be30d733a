/** Test helper: a raw TCP client for the server tests, which writes the handshake and frames by hand. */
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

export const UPGRADE_REQUEST =
  'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A raw TCP client that collects everything the server sends and notes when the server ends TCP. */
export class RawClient {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  serverEnded = false;
  closed: Promise<void>;

  constructor(port: number, options: { allowHalfOpen?: boolean } = {}) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
    this.socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    this.socket.on('end', () => (this.serverEnded = true));
    this.socket.on('error', () => {});
    this.closed = once(this.socket, 'close').then(() => {});
  }

  async upgrade(): Promise<void> {
    this.socket.write(UPGRADE_REQUEST);
    await this.waitFor(() => this.received.includes('\r\n\r\n'));
    expect(this.received.toString()).to.match(/^HTTP\/1\.1 101 /);
    this.received = this.received.subarray(this.received.indexOf('\r\n\r\n') + 4);
  }

  async waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

