import { expect } from 'chai';
import fc from 'fast-check';
import { unmask } from '../src/masking.js';

/** RFC 6455 §5.3 as written: "j = i MOD 4", one byte at a time. */
function naiveUnmask(bytes: Uint8Array, maskKey: Uint8Array, maskOffset: number): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] ^= maskKey[(i + maskOffset) % 4];
}

describe('masking (RFC 6455 §5.3)', () => {
  it('unmasks the §5.7 example "Hello"', () => {
    const masked = Buffer.from('7f9f4d5158', 'hex');
    unmask(masked, Buffer.from('37fa213d', 'hex'), 0);
    expect(masked.toString()).to.equal('Hello');
  });

  it('is its own inverse', () => {
    const original = Buffer.from('the quick brown fox jumps over the lazy dog');
    const bytes = Buffer.from(original);
    const key = Uint8Array.of(1, 2, 3, 4);
    unmask(bytes, key, 3);
    expect(bytes.equals(original)).to.equal(false);
    unmask(bytes, key, 3);
    expect(bytes.equals(original)).to.equal(true);
  });

  it('leaves the bytes around the buffer untouched', () => {
    const backing = new Uint8Array(64).fill(0xaa);
    unmask(backing.subarray(3, 61), Uint8Array.of(0xff, 0xff, 0xff, 0xff), 1);
    expect([...backing.subarray(0, 3)]).to.deep.equal([0xaa, 0xaa, 0xaa]);
    expect([...backing.subarray(61)]).to.deep.equal([0xaa, 0xaa, 0xaa]);
    expect(backing.subarray(3, 61).every((b) => b === 0x55)).to.equal(true);
  });

  it('unmasks a payload split at any point as the whole, given the running key index', () => {
    const key = Uint8Array.of(0x12, 0x34, 0x56, 0x78);
    const payload = new Uint8Array(100).map((_, i) => i * 7);
    const expected = Uint8Array.from(payload);
    naiveUnmask(expected, key, 0);
    for (let cut = 0; cut <= payload.length; cut++) {
      const bytes = Uint8Array.from(payload);
      unmask(bytes.subarray(0, cut), key, 0);
      unmask(bytes.subarray(cut), key, cut % 4);
      expect(bytes).to.deep.equal(expected);
    }
  });

  it('matches the byte-by-byte definition for any buffer, alignment and key index', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300, size: 'max' }),
        fc.nat(7),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat(3),
        (payload, byteOffset, maskKey, maskOffset) => {
          const actual = new Uint8Array(payload.length + 8);
          actual.set(payload, byteOffset);
          const expected = Uint8Array.from(actual);
          unmask(actual.subarray(byteOffset, byteOffset + payload.length), maskKey, maskOffset);
          naiveUnmask(expected.subarray(byteOffset, byteOffset + payload.length), maskKey, maskOffset);
          expect(actual).to.deep.equal(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
