import { expect } from 'chai';
import fc from 'fast-check';
import { encodeClientFrame, encodeCloseFrame, encodeFrame, encodeFrameHeader } from '../src/frame-encoder.js';
import { FrameParser, type FrameHeader } from '../src/frame-parser.js';

const hex = (text: string): string => text.replace(/\s+/g, '');

function payloadOf(length: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => i % 251);
}

describe('frame encoder (RFC 6455 §5.2, server to client)', () => {
  describe('exact bytes', () => {
    it('encodes the §5.7 unmasked text "Hello"', () => {
      expect(encodeFrame(0x1, Buffer.from('Hello')).toString('hex')).to.equal(hex('81 05 48656c6c6f'));
    });

    it('encodes the §5.7 fragmented text "Hel" + "lo"', () => {
      expect(encodeFrame(0x1, Buffer.from('Hel'), false).toString('hex')).to.equal(hex('01 03 48656c'));
      expect(encodeFrame(0x0, Buffer.from('lo')).toString('hex')).to.equal(hex('80 02 6c6f'));
    });

    it('encodes an empty payload as 2 bytes', () => {
      expect(encodeFrame(0x2, new Uint8Array(0)).toString('hex')).to.equal('8200');
      expect(encodeFrame(0x9, new Uint8Array(0)).toString('hex')).to.equal('8900');
    });

    const lengths: [number, string][] = [
      [125, '82 7d'],
      [126, '82 7e 007e'],
      [256, '82 7e 0100'], // §5.7: "256 bytes binary message in a single unmasked frame"
      [65535, '82 7e ffff'],
      [65536, '82 7f 0000000000010000'], // §5.7: "64KiB binary message in a single unmasked frame"
    ];
    for (const [length, header] of lengths) {
      it(`encodes a ${length}-byte payload with header ${header}`, () => {
        const payload = payloadOf(length);
        const frame = encodeFrame(0x2, payload);
        const headerLength = hex(header).length / 2;
        expect(frame.subarray(0, headerLength).toString('hex')).to.equal(hex(header));
        expect(frame.length).to.equal(headerLength + length);
        expect(frame.subarray(headerLength).equals(payload)).to.equal(true);
        expect(encodeFrameHeader(0x2, length).toString('hex')).to.equal(hex(header));
      });
    }

    it('encodes a 64-bit length above 2^32', () => {
      expect(encodeFrameHeader(0x2, 2 ** 32 + 5).toString('hex')).to.equal(hex('82 7f 0000000100000005'));
      expect(encodeFrameHeader(0x2, Number.MAX_SAFE_INTEGER).toString('hex')).to.equal(hex('82 7f 001fffffffffffff'));
    });

    it('sets FIN and RSV1 as asked', () => {
      expect(encodeFrameHeader(0x1, 3, false, true).toString('hex')).to.equal('4103');
      expect(encodeFrameHeader(0x1, 3, true, true).toString('hex')).to.equal('c103');
      expect(encodeFrameHeader(0x0, 3, false, false).toString('hex')).to.equal('0003');
    });

    it('rejects an opcode or a length that does not fit', () => {
      expect(() => encodeFrameHeader(16, 0)).to.throw(RangeError);
      expect(() => encodeFrameHeader(1, -1)).to.throw(RangeError);
      expect(() => encodeFrameHeader(1, 2 ** 53)).to.throw(RangeError);
    });
  });

  describe('client frames (§5.3: masked), the one encoder for the probe, the tests and the bench', () => {
    it('encodes the §5.7 masked text "Hello"', () => {
      const frame = encodeClientFrame(0x1, Buffer.from('Hello'), Uint8Array.of(0x37, 0xfa, 0x21, 0x3d));
      expect(frame.toString('hex')).to.equal(hex('81 85 37fa213d 7f9f4d5158'));
    });

    it('writes RSV bits, FIN and an unmasked frame as asked, valid or not', () => {
      expect(encodeClientFrame(0x9, Buffer.from('x'), null, { fin: false, rsv: 0b110 }).toString('hex')).to.equal(hex('69 01 78'));
    });

    it('uses 16- and 64-bit lengths with the masking key after them', () => {
      const key = Uint8Array.of(1, 2, 3, 4);
      expect(encodeClientFrame(0x2, payloadOf(126), key).subarray(0, 8).toString('hex')).to.equal(hex('82 fe 007e 01020304'));
      expect(encodeClientFrame(0x2, payloadOf(65536), key).subarray(0, 14).toString('hex')).to.equal(hex('82 ff 0000000000010000 01020304'));
    });
  });

  describe('Close frames (§5.5.1)', () => {
    it('has an empty body without a code', () => {
      expect(encodeCloseFrame().toString('hex')).to.equal('8800');
    });

    it('carries the code in network byte order', () => {
      expect(encodeCloseFrame(1000).toString('hex')).to.equal('880203e8');
      expect(encodeCloseFrame(1002).toString('hex')).to.equal('880203ea');
    });

    it('carries the reason as UTF-8 after the code', () => {
      expect(encodeCloseFrame(1001, 'bye €').toString('hex')).to.equal(hex('88 09 03e9 627965 20 e282ac'));
      expect(encodeCloseFrame(4000, Buffer.from('ok')).toString('hex')).to.equal(hex('88 04 0fa0 6f6b'));
    });

    it('accepts a 123-byte reason, the most a 125-byte body holds', () => {
      const frame = encodeCloseFrame(1000, 'a'.repeat(123));
      expect(frame.subarray(0, 2).toString('hex')).to.equal('887d');
      expect(frame.length).to.equal(127);
    });

    it('rejects a longer reason, a reason without a code, and codes that may not be sent', () => {
      expect(() => encodeCloseFrame(1000, 'é'.repeat(62))).to.throw(RangeError);
      expect(() => encodeCloseFrame(undefined, 'why')).to.throw(RangeError);
      expect(() => encodeCloseFrame(1000, Uint8Array.of(0xc0))).to.throw(RangeError);
      for (const code of [999, 1004, 1005, 1006, 1015, 5000]) {
        expect(() => encodeCloseFrame(code), String(code)).to.throw(RangeError);
      }
    });
  });

  it('round-trips through FrameParser: a server frame sent back as a client frame', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x0, 0x1, 0x2),
        fc.oneof(
          fc.uint8Array({ maxLength: 300, size: 'max' }),
          // Around the 16-/64-bit length boundary; filled, not generated byte by byte (slow).
          fc.integer({ min: 65530, max: 65540 }).map(payloadOf),
        ),
        fc.boolean(),
        fc.boolean(),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (opcode, payload, fin, rsv1, maskKey) => {
          const frame = encodeFrame(opcode, payload, fin, rsv1 && opcode !== 0);
          const headerLength = frame.length - payload.length;
          const headers: FrameHeader[] = [];
          const chunks: Buffer[] = [];
          let ended = 0;
          const parser = new FrameParser(
            {
              onFrameHeader: (header) => headers.push({ ...header }),
              onFramePayload: (chunk) => chunks.push(chunk),
              onFrameEnd: () => ended++,
              onFrameViolation: (cause) => expect.fail(cause),
            },
            { rsv1Allowed: true },
          );
          expect(frame.subarray(headerLength).equals(payload)).to.equal(true);
          parser.push(encodeClientFrame(opcode, frame.subarray(headerLength), maskKey, { fin, rsv: rsv1 && opcode !== 0 ? 0b100 : 0 }));
          expect(headers).to.deep.equal([{ fin, rsv1: rsv1 && opcode !== 0, opcode, payloadLength: payload.length }]);
          expect(Buffer.concat(chunks).equals(payload)).to.equal(true);
          expect(ended).to.equal(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
