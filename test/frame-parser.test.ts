import { expect } from 'chai';
import fc from 'fast-check';
import { FrameParser, type FrameHeader, type FrameParserHandler } from '../src/frame-parser.js';
import { encodeClientFrame } from '../src/frame-encoder.js';
import type { FrameViolationType } from '../machines/protocol-events.js';

type ParserEvent =
  | { type: 'header'; fin: boolean; rsv1: boolean; opcode: number; payloadLength: number }
  | { type: 'payload'; hex: string }
  | { type: 'end' }
  | { type: 'violation'; cause: FrameViolationType };

/** A handler that records what the parser reports, payload chunks merged per frame. */
class Recorder implements FrameParserHandler {
  readonly events: ParserEvent[] = [];
  readonly payloadChunks: Buffer[] = [];
  violations: FrameViolationType[] = [];
  onFrameHeader({ fin, rsv1, opcode, payloadLength }: FrameHeader): void {
    this.events.push({ type: 'header', fin, rsv1, opcode, payloadLength });
  }
  onFramePayload(chunk: Buffer): void {
    this.payloadChunks.push(chunk);
    const last = this.events[this.events.length - 1];
    if (last?.type === 'payload') last.hex += chunk.toString('hex');
    else this.events.push({ type: 'payload', hex: chunk.toString('hex') });
  }
  onFrameEnd(): void {
    this.events.push({ type: 'end' });
  }
  onFrameViolation(cause: FrameViolationType): void {
    this.violations.push(cause);
    this.events.push({ type: 'violation', cause });
  }
}

/** Feeds a copy of `bytes` cut at `cuts` (positions, any order, duplicates allowed). */
function parse(bytes: Buffer, cuts: number[] = [], options?: { rsv1Allowed?: boolean }): Recorder {
  const recorder = new Recorder();
  const parser = new FrameParser(recorder, options);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, bytes.length]) {
    parser.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  return recorder;
}

/** Every position: 1-byte chunks. */
function everyByte(bytes: Buffer): number[] {
  return Array.from({ length: bytes.length }, (_, i) => i);
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

interface ClientFrame {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  rsv1?: boolean;
  maskKey?: Uint8Array;
}

/** A client frame, masked (RFC 6455 §5.3), with the minimal length encoding. */
function clientFrame({ opcode, payload, fin = true, rsv1 = false, maskKey = Uint8Array.of(1, 2, 3, 4) }: ClientFrame): Buffer {
  return encodeClientFrame(opcode, payload, maskKey, { fin, rsv: rsv1 ? 0b100 : 0 });
}

function expectedEvents(frames: ClientFrame[]): ParserEvent[] {
  return frames.flatMap(({ opcode, payload, fin = true, rsv1 = false }): ParserEvent[] => [
    { type: 'header', fin, rsv1, opcode, payloadLength: payload.length },
    ...(payload.length > 0 ? [{ type: 'payload' as const, hex: Buffer.from(payload).toString('hex') }] : []),
    { type: 'end' },
  ]);
}

/** The §5.7 example: a single-frame masked text message "Hello". */
const MASKED_HELLO = '81 85 37fa213d 7f9f4d5158';

describe('FrameParser (RFC 6455 §5.2)', () => {
  describe('frames', () => {
    it('reads the §5.7 masked "Hello", whole and in 1-byte chunks', () => {
      const expected = expectedEvents([{ opcode: 1, payload: Buffer.from('Hello') }]);
      expect(parse(hex(MASKED_HELLO)).events).to.deep.equal(expected);
      expect(parse(hex(MASKED_HELLO), everyByte(hex(MASKED_HELLO))).events).to.deep.equal(expected);
    });

    it('reads the §5.7 masked Pong "Hello"', () => {
      expect(parse(hex('8a 85 37fa213d 7f9f4d5158')).events).to.deep.equal(
        expectedEvents([{ opcode: 0xa, payload: Buffer.from('Hello') }]),
      );
    });

    it('reads a fragmented text message as its frames', () => {
      // §5.7: "A fragmented unmasked text message" ("Hel", "lo"), masked here as a client must.
      const frames = [
        { opcode: 1, payload: Buffer.from('Hel'), fin: false },
        { opcode: 0, payload: Buffer.from('lo') },
      ];
      const bytes = Buffer.concat(frames.map(clientFrame));
      expect(parse(bytes, everyByte(bytes)).events).to.deep.equal(expectedEvents(frames));
    });

    it('reports an empty payload as a header then the end, with no payload', () => {
      const bytes = hex('81 80 00000000  89 80 01020304  88 80 0a0b0c0d');
      expect(parse(bytes).events).to.deep.equal(
        expectedEvents([
          { opcode: 1, payload: new Uint8Array(0) },
          { opcode: 9, payload: new Uint8Array(0) },
          { opcode: 8, payload: new Uint8Array(0) },
        ]),
      );
    });

    for (const length of [125, 126, 127, 65535, 65536, 70000]) {
      it(`reads a ${length}-byte payload (${length < 126 ? '7-bit' : length < 65536 ? '16-bit' : '64-bit'} length)`, () => {
        const payload = new Uint8Array(length).map((_, i) => i * 31 + (i >> 8));
        const bytes = clientFrame({ opcode: 2, payload, maskKey: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) });
        const expected = expectedEvents([{ opcode: 2, payload }]);
        expect(parse(bytes).events).to.deep.equal(expected);
        expect(parse(bytes, [1, 2, 3, 5, 7, 9, 11, 13, 17, 1000, 1001]).events).to.deep.equal(expected);
      });
    }

    it('reads a 64-bit length up to 2^53 - 1 before any payload arrives', () => {
      const recorder = parse(hex('82 ff 001fffffffffffff 01020304 aa'));
      expect(recorder.events.slice(0, 1)).to.deep.equal([
        { type: 'header', fin: true, rsv1: false, opcode: 2, payloadLength: Number.MAX_SAFE_INTEGER },
      ]);
      expect(recorder.events[1]).to.deep.equal({ type: 'payload', hex: 'ab' });
    });

    it('hands out payload bytes as views of the pushed chunk (no copy)', () => {
      const recorder = new Recorder();
      const parser = new FrameParser(recorder);
      const chunk = Buffer.concat([clientFrame({ opcode: 2, payload: new Uint8Array(300).fill(7) }), hex(MASKED_HELLO)]);
      parser.push(chunk);
      const [binary, text] = recorder.payloadChunks;
      expect(binary.buffer).to.equal(chunk.buffer);
      expect(binary.byteOffset).to.equal(chunk.byteOffset + 8);
      expect(text.buffer).to.equal(chunk.buffer);
      expect(text.byteOffset).to.equal(chunk.byteOffset + 308 + 6);
      expect(text.toString()).to.equal('Hello');
    });

    it('hands out the pushed chunk itself when it holds only payload bytes', () => {
      const recorder = new Recorder();
      const parser = new FrameParser(recorder);
      const frame = clientFrame({ opcode: 2, payload: new Uint8Array(1000).fill(1) });
      parser.push(frame.subarray(0, 8));
      const middle = Buffer.from(frame.subarray(8, 508));
      parser.push(middle);
      expect(recorder.payloadChunks[0]).to.equal(middle);
    });

    it('keeps the key index across chunks cut at every position of the payload', () => {
      const payload = new Uint8Array(37).map((_, i) => 255 - i);
      const bytes = clientFrame({ opcode: 2, payload, maskKey: Uint8Array.of(9, 8, 7, 6) });
      for (let cut = 6; cut <= bytes.length; cut++) {
        for (let second = cut; second <= bytes.length; second += 5) {
          expect(parse(bytes, [cut, second]).events).to.deep.equal(expectedEvents([{ opcode: 2, payload }]));
        }
      }
    });

    it('reports the same events for any chunking of any valid frames', () => {
      const dataFrame = fc.record({
        opcode: fc.constantFrom(0, 1, 2),
        payload: fc.oneof(
          { weight: 10, arbitrary: fc.uint8Array({ maxLength: 140, size: 'max' }) },
          // Around the 16-/64-bit length boundary; filled, not generated byte by byte (slow).
          { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 65530, max: 65540 }), fc.nat(255)).map(([length, seed]) => new Uint8Array(length).map((_, i) => (i * 13 + seed) & 0xff)) },
        ),
        fin: fc.boolean(),
        rsv1: fc.boolean(),
        maskKey: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      }).map((frame) => ({ ...frame, rsv1: frame.rsv1 && frame.opcode !== 0 }));
      const controlFrame = fc.record({
        opcode: fc.constantFrom(8, 9, 10),
        payload: fc.uint8Array({ maxLength: 125, size: 'max' }),
        maskKey: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      });
      fc.assert(
        fc.property(
          fc.array(fc.oneof(dataFrame, controlFrame), { minLength: 1, maxLength: 8, size: 'max' }),
          fc.array(fc.nat(), { maxLength: 40, size: 'max' }),
          (frames, cuts) => {
            const bytes = Buffer.concat(frames.map(clientFrame));
            expect(parse(bytes, cuts, { rsv1Allowed: true }).events).to.deep.equal(expectedEvents(frames));
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('header violations, reported by cause (the connection machine gives each its error and close code)', () => {
    /** Feeds `text` byte by byte and expects exactly one violation, after the last byte only. */
    function expectFailure(text: string, cause: FrameViolationType, options?: { rsv1Allowed?: boolean }): void {
      const bytes = hex(text);
      for (const cuts of [[], everyByte(bytes)]) {
        const recorder = parse(bytes, cuts, options);
        expect(recorder.events.filter((e) => e.type !== 'violation')).to.deep.equal([]);
        expect(recorder.violations).to.deep.equal([cause]);
      }
      // As early as the bytes allow: one byte less is not yet a violation.
      expect(parse(bytes.subarray(0, bytes.length - 1), [], options).violations).to.have.length(0);
    }

    it('reports a violation when RSV1 is set and no extension was negotiated', () => {
      expectFailure('c1', 'RSV1_NOT_ALLOWED');
    });

    it('reports a violation when RSV1 is set on a control frame, even with permessage-deflate', () => {
      expectFailure('c9', 'RSV1_NOT_ALLOWED', { rsv1Allowed: true });
    });

    it('reports a violation when RSV1 is set on a continuation frame without permessage-deflate', () => {
      expectFailure('c0', 'RSV1_NOT_ALLOWED');
    });

    it('reports a violation when RSV2 is set', () => {
      expectFailure('a1', 'RSV2_OR_RSV3_SET');
    });

    it('reports a violation when RSV3 is set', () => {
      expectFailure('91', 'RSV2_OR_RSV3_SET', { rsv1Allowed: true });
    });

    it('reports a violation on the reserved non-control opcodes 3-7', () => {
      for (const opcode of [3, 4, 5, 6, 7]) expectFailure('8' + opcode.toString(16), 'RESERVED_OPCODE');
    });

    it('reports a violation on the reserved control opcodes 11-15', () => {
      for (const opcode of [11, 12, 13, 14, 15]) expectFailure('8' + opcode.toString(16), 'RESERVED_OPCODE');
    });

    it('reports a violation when a control frame is fragmented', () => {
      expectFailure('09', 'FRAGMENTED_CONTROL_FRAME');
    });

    it('reports a violation when a control frame is longer than 125 bytes', () => {
      expectFailure('89 fe', 'CONTROL_FRAME_TOO_LONG');
      expectFailure('88 ff', 'CONTROL_FRAME_TOO_LONG');
    });

    it('reports a violation when a client frame is not masked', () => {
      expectFailure('81 05', 'UNMASKED_FRAME');
    });

    it('reports a violation when the most significant bit of a 64-bit length is set', () => {
      expectFailure('82 ff 8000000000000000', 'INVALID_PAYLOAD_LENGTH');
    });

    it('reports a violation when a length is not in the minimal number of bytes (§5.2)', () => {
      // "the length of a 124-byte-long string can't be encoded as the sequence 126, 0, 124".
      expectFailure('82 fe 007c', 'INVALID_PAYLOAD_LENGTH');
      expectFailure('82 fe 0000', 'INVALID_PAYLOAD_LENGTH');
      expectFailure('82 ff 000000000000ffff', 'INVALID_PAYLOAD_LENGTH');
      expectFailure('82 ff 0000000000000005', 'INVALID_PAYLOAD_LENGTH');
    });

    it('accepts the smallest length of each encoding: 126 in 16 bits, 65536 in 64 bits', () => {
      for (const [text, length] of [['82 fe 007e 00000000', 126], ['82 ff 0000000000010000 00000000', 65536]] as const) {
        const recorder = parse(hex(text), []);
        expect(recorder.violations).to.deep.equal([]);
        expect(recorder.events).to.deep.equal([{ type: 'header', fin: true, rsv1: false, opcode: 2, payloadLength: length }]);
      }
    });

    it('reports a violation when a 64-bit length is above 2^53 - 1', () => {
      expectFailure('82 ff 0020000000000000', 'UNSUPPORTED_PAYLOAD_LENGTH');
    });

    it('reports the largest 64-bit length whose most significant bit is 0 as too long, not as a malformed length (§5.2, §10.4)', () => {
      // §5.2: "the most significant bit MUST be 0": 2^63 - 1 follows the rule, so it is a length
      // beyond any limit (§10.4), not a protocol error.
      expectFailure('82 ff 7fffffffffffffff', 'UNSUPPORTED_PAYLOAD_LENGTH');
    });

    it('reports after the frames before the bad one, and ignores every byte after it', () => {
      const bytes = Buffer.concat([hex(MASKED_HELLO), hex('83'), hex(MASKED_HELLO)]);
      for (const cuts of [[], everyByte(bytes)]) {
        const recorder = parse(bytes, cuts);
        expect(recorder.events).to.deep.equal([
          ...expectedEvents([{ opcode: 1, payload: Buffer.from('Hello') }]),
          { type: 'violation', cause: 'RESERVED_OPCODE' },
        ]);
      }
    });

    it('accepts RSV1 on a data frame once permessage-deflate turns it on', () => {
      const recorder = new Recorder();
      const parser = new FrameParser(recorder);
      parser.rsv1Allowed = true;
      parser.push(hex('c1 80 00000000'));
      expect(recorder.events).to.deep.equal([
        { type: 'header', fin: true, rsv1: true, opcode: 1, payloadLength: 0 },
        { type: 'end' },
      ]);
    });
  });

  describe('start() and stop()', () => {
    it('reads nothing before start() when made with reading: false, and everything pushed after it', () => {
      const recorder = new Recorder();
      const parser = new FrameParser(recorder, { reading: false });
      parser.push(hex(MASKED_HELLO));
      expect(recorder.events).to.deep.equal([]);
      expect(parser.reading).to.equal(false);
      parser.start();
      parser.push(hex(MASKED_HELLO));
      expect(recorder.events).to.deep.equal(expectedEvents([{ opcode: 1, payload: Buffer.from('Hello') }]));
    });

    it('stops from inside onFrameHeader: no payload, no end, no later frame', () => {
      const recorder = new Recorder();
      const parser = new FrameParser({
        ...recorder,
        onFrameHeader: (header) => {
          recorder.onFrameHeader(header);
          parser.stop();
        },
        onFramePayload: (chunk) => recorder.onFramePayload(chunk),
        onFrameEnd: () => recorder.onFrameEnd(),
        onFrameViolation: (cause) => recorder.onFrameViolation(cause),
      });
      parser.push(Buffer.concat([hex(MASKED_HELLO), hex(MASKED_HELLO)]));
      parser.push(hex(MASKED_HELLO));
      expect(recorder.events).to.deep.equal([{ type: 'header', fin: true, rsv1: false, opcode: 1, payloadLength: 5 }]);
    });

    it('stops from inside onFramePayload and onFrameEnd', () => {
      for (const stopIn of ['payload', 'end'] as const) {
        const events: string[] = [];
        const parser: FrameParser = new FrameParser({
          onFrameHeader: () => events.push('header'),
          onFramePayload: () => (events.push('payload'), stopIn === 'payload' && parser.stop()),
          onFrameEnd: () => (events.push('end'), stopIn === 'end' && parser.stop()),
          onFrameViolation: () => events.push('violation'),
        });
        parser.push(Buffer.concat([hex(MASKED_HELLO), hex('83')]));
        expect(events).to.deep.equal(stopIn === 'payload' ? ['header', 'payload'] : ['header', 'payload', 'end']);
      }
    });
  });
});
