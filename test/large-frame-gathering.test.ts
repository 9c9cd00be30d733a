/**
 * Large data frames are gathered into one buffer as they arrive (connection-protocol.ts,
 * GATHER_FRAME_MIN): whatever the chunking and fragmentation, the message delivered is the one
 * sent, byte for byte, text and binary, and UTF-8 is still checked as it arrives.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { clientFrame } from './client-frame.js';

const KiB = 1024;

class MessageOutput extends DiscardingOutput {
  readonly messages: { data: Buffer; isBinary: boolean }[] = [];
  readonly errors: [string, number][] = [];
  override message(data: Buffer, isBinary: boolean): void {
    this.messages.push({ data: Buffer.from(data), isBinary });
  }
  override protocolError(error: ProtocolError): void {
    this.errors.push([error.code, error.closeCode]);
  }
}

function open(): { protocol: ConnectionProtocol; output: MessageOutput } {
  const output = new MessageOutput();
  const protocol = new ConnectionProtocol(output, { maxMessageSize: 4 * 1024 * KiB });
  protocol.receiveHandshake({
    method: 'GET',
    httpVersion: '1.1',
    headers: { host: 'localhost', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
  });
  return { protocol, output };
}

/** ASCII text of `length` bytes, varied so that a misplaced chunk shows. */
function textOf(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = 0x20 + ((i * 31 + seed) % 95);
  return bytes;
}

/** The message cut into frames at `cuts` (fractions), each frame masked with its own key. */
function framesOf(message: Buffer, opcode: number, cuts: number[]): Buffer {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * message.length)))].filter((p) => p > 0 && p < message.length).sort((a, b) => a - b);
  const bounds = [0, ...points, message.length];
  const frames: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const mask = Buffer.from([i * 7 + 1, 0x5a, 0xc3, i + 2]);
    frames.push(clientFrame(i === 0 ? opcode : 0x0, message.subarray(bounds[i], bounds[i + 1]), { fin: i + 2 === bounds.length, mask }));
  }
  return Buffer.concat(frames);
}

/** Feeds `bytes` in chunks of the given sizes, in turn. */
function feed(protocol: ConnectionProtocol, bytes: Buffer, chunkSizes: number[]): void {
  for (let offset = 0, turn = 0; offset < bytes.length; turn++) {
    const size = chunkSizes[turn % chunkSizes.length]!;
    protocol.receiveData(Buffer.from(bytes.subarray(offset, offset + size)));
    offset += size;
  }
}

describe('large data frames gathered as they arrive', () => {
  it('delivers every message intact, whatever its size, fragmentation and chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100 * KiB, max: 600 * KiB }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 200 * KiB }), { minLength: 1, maxLength: 4 }),
        fc.nat(1000),
        (length, isBinary, cuts, chunkSizes, seed) => {
          const { protocol, output } = open();
          const message = textOf(length, seed);
          feed(protocol, Buffer.concat([framesOf(message, isBinary ? 0x2 : 0x1, cuts), framesOf(message, 0x2, [])]), chunkSizes);
          expect(output.errors).to.deep.equal([]);
          expect(output.messages.length).to.equal(2);
          expect(output.messages[0]!.isBinary).to.equal(isBinary);
          expect(output.messages[0]!.data.equals(message)).to.equal(true);
          expect(output.messages[1]!.data.equals(message)).to.equal(true);
        },
      ),
      { numRuns: 60, seed: 7692 },
    );
  });

  it('still fails with 1007 on invalid UTF-8 late in a large text frame (RFC 6455 §8.1)', () => {
    const { protocol, output } = open();
    const message = textOf(512 * KiB, 1);
    message[400 * KiB] = 0xff;
    feed(protocol, framesOf(message, 0x1, []), [64 * KiB]);
    expect(output.errors).to.deep.equal([['WS_ERR_INVALID_UTF8', 1007]]);
    expect(output.messages).to.deep.equal([]);
  });
});
