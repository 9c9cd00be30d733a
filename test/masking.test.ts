import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import fc from 'fast-check';
import { unmask, unmaskWithTypeScript } from '../src/masking.js';
import { unmaskWithSimd } from '../src/masking-simd.js';

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

  it('has WebAssembly SIMD on Node 20, so unmask takes it for all but short buffers', () => {
    expect(unmaskWithSimd).to.not.equal(null);
  });

  it('falls back to TypeScript where WebAssembly is unavailable (node --jitless)', () => {
    const simdModule = new URL('../src/masking-simd.js', import.meta.url).href;
    const maskingModule = new URL('../src/masking.js', import.meta.url).href;
    const script = `
      const { unmaskWithSimd } = await import(${JSON.stringify(simdModule)});
      const { unmask } = await import(${JSON.stringify(maskingModule)});
      const bytes = new Uint8Array(1000).fill(0xf0);
      unmask(bytes.subarray(1), Uint8Array.of(0x0f, 0xff, 0xff, 0xff), 3);
      console.log(unmaskWithSimd === null, bytes[0], bytes[1], bytes[2], bytes[999]);`;
    const output = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'], // --jitless warns on stderr that it disables WebAssembly
    });
    // bytes[1] has key index 3, bytes[2] index 0 (0x0f), bytes[999] index (998 + 3) % 4 = 1.
    expect(output.trim()).to.equal('true 240 15 255 15');
  });

  /** The lengths where a path changes: bytes/words and TypeScript/SIMD at 128, SIMD scratch rounds at 16 KiB. */
  const lengthsAcrossThresholds = fc.oneof(
    fc.integer({ min: 0, max: 300 }),
    fc.integer({ min: 16 * 1024 - 70, max: 16 * 1024 + 70 }),
    fc.integer({ min: 32 * 1024 - 70, max: 32 * 1024 + 70 }),
    fc.integer({ min: 0, max: 70 * 1024 }),
  );

  const paths: [string, typeof unmask][] = [
    ['unmask', unmask],
    ['the TypeScript path', unmaskWithTypeScript],
    ['the WebAssembly SIMD path', unmaskWithSimd ?? unmaskWithTypeScript],
  ];
  for (const [name, unmaskPath] of paths) {
    it(`${name} matches the byte-by-byte definition across every size threshold, byteOffset and key index`, () => {
      fc.assert(
        fc.property(
          lengthsAcrossThresholds,
          fc.nat(15),
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          fc.nat(3),
          fc.integer(),
          (length, byteOffset, maskKey, maskOffset, seed) => {
            const actual = new Uint8Array(byteOffset + length + 16);
            let x = seed | 1;
            for (let i = 0; i < actual.length; i++) {
              x ^= x << 13;
              x ^= x >>> 17;
              x ^= x << 5;
              actual[i] = x;
            }
            const expected = Uint8Array.from(actual);
            unmaskPath(actual.subarray(byteOffset, byteOffset + length), maskKey, maskOffset);
            naiveUnmask(expected.subarray(byteOffset, byteOffset + length), maskKey, maskOffset);
            expect(Buffer.from(actual).equals(expected)).to.equal(true);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('unmasks a Buffer view of a socket chunk from every byteOffset with every path', () => {
    const key = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    const chunk = Buffer.alloc(20_000);
    for (const unmaskPath of [unmask, unmaskWithTypeScript, unmaskWithSimd ?? unmask]) {
      for (let byteOffset = 0; byteOffset < 8; byteOffset++) {
        for (const length of [127, 128, 129, 16_384, 16_385, 20_000 - byteOffset]) {
          chunk.fill(0x5a);
          unmaskPath(chunk.subarray(byteOffset, byteOffset + length), key, byteOffset & 3);
          const expected = Buffer.alloc(20_000, 0x5a);
          naiveUnmask(expected.subarray(byteOffset, byteOffset + length), key, byteOffset & 3);
          expect(chunk.equals(expected)).to.equal(true);
        }
      }
    }
  });
});
