/**
 * Echo clients that break one rule each, over raw TCP, for the harness's own tests: a harness
 * that grades them OK would grade a broken statesocket client OK too.
 * - `unmasked`: echoes every message in an unmasked frame (RFC 6455 §5.1: "a client MUST mask all
 *   frames that it sends to the server");
 * - `textAsBinary`: echoes text messages as binary ones;
 * - `silentOnClose`: never answers a Close (§5.5.1: "the endpoint MUST send a Close frame in response");
 * - `closesWith1000`: answers everything, but fails the connection with 1000 where 1002 is due,
 *   and answers a Close with 1000 whatever it carried;
 * - `badKey`: sends a |Sec-WebSocket-Key| that is not 16 octets in base64 (§4.1).
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { encodeClientFrame } from '../../src/frame-encoder.js';
import type { EchoClient, EchoClientEnd } from './client-under-test.js';

export type Fault = 'unmasked' | 'textAsBinary' | 'silentOnClose' | 'closesWith1000' | 'badKey';

const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

export function startFaultyEchoClient(fault: Fault) {
  return (url: string): EchoClient => {
    const { hostname, port, pathname } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    let buffered = Buffer.alloc(0);
    let open = false;
    let closeSent = false;
    const send = (opcode: number, payload: Uint8Array) => {
      if (closeSent || socket.destroyed) return;
      if (opcode === CLOSE) closeSent = true;
      socket.write(encodeClientFrame(opcode, payload, fault === 'unmasked' ? null : randomBytes(4)));
    };
    const onFrame = (byte0: number, payload: Buffer) => {
      const opcode = byte0 & 0x0f;
      const controlTooLong = opcode >= CLOSE && payload.length > 125;
      if ((byte0 & 0x70) !== 0 || (opcode >= 3 && opcode <= 7) || opcode > 0xa || (byte0 & 0x80) === 0 || controlTooLong) {
        // A protocol error: the client must fail with 1002.
        send(CLOSE, Uint8Array.of(0x03, fault === 'closesWith1000' ? 0xe8 : 0xea));
      } else if (opcode === TEXT || opcode === BINARY) {
        send(fault === 'textAsBinary' ? BINARY : opcode, payload);
      } else if (opcode === PING) {
        send(PONG, payload);
      } else if (opcode === CLOSE && fault !== 'silentOnClose') {
        send(CLOSE, Uint8Array.of(0x03, 0xe8));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!open) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        open = true;
        buffered = buffered.subarray(end + 4);
      }
      // Unmasked server frames of up to 64 KiB.
      while (buffered.length >= 2) {
        const length7 = buffered[1]! & 0x7f;
        const headerLength = length7 === 126 ? 4 : 2;
        if (buffered.length < headerLength) return;
        const length = length7 === 126 ? buffered.readUInt16BE(2) : length7;
        if (buffered.length < headerLength + length) return;
        const byte0 = buffered[0]!;
        const payload = buffered.subarray(headerLength, headerLength + length);
        buffered = buffered.subarray(headerLength + length);
        onFrame(byte0, payload);
      }
    });
    socket.on('error', () => {});
    const key = fault === 'badKey' ? 'c2hvcnQ=' : randomBytes(16).toString('base64');
    socket.on('connect', () =>
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    const ended = new Promise<EchoClientEnd>((resolve) => socket.on('close', () => resolve({ code: 1006, reason: '', errors: [] })));
    return { implementation: 'ws', ended, terminate: () => socket.destroy() };
  };
}
