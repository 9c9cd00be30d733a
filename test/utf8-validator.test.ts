import { expect } from 'chai';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { Utf8StreamValidator, isValidUtf8 } from '../src/utf8-validator.js';

/**
 * The slow reference: Björn Höhrmann's UTF-8 DFA (http://bjoern.hoehrmann.de/utf-8/decoder/dfa/),
 * one byte at a time. Byte classes, then transitions indexed by state (a multiple of 12) + class.
 */
const BYTE_CLASS = new Uint8Array(256);
BYTE_CLASS.fill(1, 0x80, 0x90).fill(9, 0x90, 0xa0).fill(7, 0xa0, 0xc0).fill(8, 0xc0, 0xc2).fill(2, 0xc2, 0xe0);
BYTE_CLASS.fill(10, 0xe0, 0xe1).fill(3, 0xe1, 0xed).fill(4, 0xed, 0xee).fill(3, 0xee, 0xf0);
BYTE_CLASS.fill(11, 0xf0, 0xf1).fill(6, 0xf1, 0xf4).fill(5, 0xf4, 0xf5).fill(8, 0xf5, 0x100);
// prettier-ignore
const TRANSITION = [
  0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, // accept
  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // reject
  12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, // 1 tail byte to go
  12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12, // 2 tail bytes to go
  12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, // after E0: A0-BF
  12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, // after ED: 80-9F
  12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // after F0: 90-BF
  12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // after F1-F3
  12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // after F4: 80-8F
];
const ACCEPT = 0;
const REJECT = 12;

/** The index of the byte at which the bytes stop being a prefix of valid UTF-8 (-1: never), and whether they end complete. */
function reference(bytes: Uint8Array): { firstInvalid: number; complete: boolean } {
  let state = ACCEPT;
  for (let i = 0; i < bytes.length; i++) {
    state = TRANSITION[state + BYTE_CLASS[bytes[i]]];
    if (state === REJECT) return { firstInvalid: i, complete: false };
  }
  return { firstInvalid: -1, complete: state === ACCEPT };
}

/** Pushes the chunks; returns each push()'s answer and end()'s. */
function validate(chunks: Uint8Array[]): { pushes: boolean[]; end: boolean } {
  const validator = new Utf8StreamValidator();
  const pushes = chunks.map((chunk) => validator.push(chunk));
  return { pushes, end: validator.end() };
}

/** What validate() must answer: true up to the chunk holding the first invalid byte, false from it on. */
function expected(chunks: Uint8Array[]): { pushes: boolean[]; end: boolean } {
  const { firstInvalid, complete } = reference(Buffer.concat(chunks));
  let offset = 0;
  const pushes = chunks.map((chunk) => {
    const ok = firstInvalid === -1 || firstInvalid >= offset + chunk.length;
    offset += chunk.length;
    return ok;
  });
  // An empty chunk after the failing one also answers false.
  for (let i = 1; i < pushes.length; i++) if (!pushes[i - 1]) pushes[i] = false;
  return { pushes, end: complete };
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

const bytesOf = (hex: string): Uint8Array => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const oneByteChunks = (bytes: Uint8Array): Uint8Array[] => Array.from(bytes, (b) => Uint8Array.of(b));

/** Sequences at the edges of RFC 3629 §4's grammar, valid and not. */
const VALID = [
  '00', '7f', 'c280', 'dfbf', 'e0a080', 'e0bfbf', 'e18080', 'ecbfbf', 'ed8080', 'ed9fbf', 'ee8080', 'efbfbf',
  'f0908080', 'f0bfbfbf', 'f1808080', 'f3bfbfbf', 'f4808080', 'f48fbfbf',
  'cebae1bdb9cf83cebcceb5', // κόσμε (Autobahn 6.2)
];
const INVALID = [
  '80', 'bf', 'c0', 'c1', 'c0af', 'c1bf', 'f5', 'f8', 'fe', 'ff', // never appear
  'c2', 'c27f', 'c2c0', 'e0', 'e080', 'e09f', 'e0a0', 'e0a0c0', 'ed', 'eda0', 'edbf', 'eda080', // truncated, overlong, surrogate
  'f0', 'f080', 'f08f', 'f090', 'f09080', 'f0908000', 'f490', 'f4bf', 'f48f', 'f48fbf', 'f4908080', 'f7bfbfbf',
  'c380c3', 'e282ac80', 'f09f9880bf',
];

describe('Utf8StreamValidator (RFC 3629, RFC 6455 §8.1)', () => {
  it('agrees with the reference automaton and isUtf8 on each edge sequence', () => {
    for (const hex of [...VALID, ...INVALID]) {
      const bytes = bytesOf(hex);
      const valid = VALID.includes(hex);
      expect(isUtf8(bytes), hex).to.equal(valid);
      expect(reference(bytes).complete, hex).to.equal(valid);
      expect(isValidUtf8(bytes), hex).to.equal(valid);
      expect(validate([bytes]), hex).to.deep.equal(expected([bytes]));
    }
  });

  it('fails on the first byte that no valid UTF-8 continues, for each sequence split at every position', () => {
    for (const hex of [...VALID, ...INVALID]) {
      for (const context of [['', ''], ['41', ''], ['', '42'], ['e282ac', 'cebae1bd']]) {
        const bytes = bytesOf(context[0] + hex + context[1]);
        expect(validate(oneByteChunks(bytes)), hex).to.deep.equal(expected(oneByteChunks(bytes)));
        for (let a = 0; a <= bytes.length; a++) {
          for (let b = a; b <= bytes.length; b++) {
            const chunks = split(bytes, [a, b]);
            expect(validate(chunks), `${hex} cut at ${a}, ${b}`).to.deep.equal(expected(chunks));
          }
        }
      }
    }
  });

  it('fails on F4 90 at once: the text of Autobahn 6.4.1 in 3 chops', () => {
    const chunks = ['cebae1bdb9cf83cebcceb5', 'f4908080', '656469746564'].map(bytesOf);
    expect(validate(chunks).pushes).to.deep.equal([true, false, false]);
  });

  it('fails on F4 90 at once: Autobahn 6.4.2, the F4 alone at the end of the first chop', () => {
    const chunks = ['cebae1bdb9cf83cebcceb5f4', '90', '8080656469746564'].map(bytesOf);
    expect(validate(chunks).pushes).to.deep.equal([true, false, false]);
  });

  it('fails on F4 90 at once: Autobahn 6.4.3 and 6.4.4, 1-byte chops', () => {
    const bytes = bytesOf('cebae1bdb9cf83cebcceb5f4908080656469746564');
    const { pushes } = validate(oneByteChunks(bytes));
    expect(pushes.indexOf(false)).to.equal(12);
  });

  it('answers end() false while a sequence is incomplete, true once it completes', () => {
    const validator = new Utf8StreamValidator();
    expect(validator.push(bytesOf('41e282'))).to.equal(true);
    expect(validator.end()).to.equal(false);
    expect(validator.push(bytesOf('ac'))).to.equal(true);
    expect(validator.end()).to.equal(true);
  });

  it('stays failed until reset()', () => {
    const validator = new Utf8StreamValidator();
    expect(validator.push(bytesOf('c0'))).to.equal(false);
    expect(validator.push(bytesOf('41'))).to.equal(false);
    expect(validator.end()).to.equal(false);
    validator.reset();
    expect(validator.push(bytesOf('e282'))).to.equal(true);
    validator.reset();
    expect(validator.push(bytesOf('41'))).to.equal(true);
    expect(validator.end()).to.equal(true);
  });

  it('validates a 16 KiB text message in any chunking', () => {
    const text = Buffer.from('κόσμε €𝄞 ascii '.repeat(1000)).subarray(0, 16384);
    const whole = reference(text);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20, size: 'max' }), (cuts) => {
        const chunks = split(text, cuts);
        expect(validate(chunks)).to.deep.equal(expected(chunks));
        expect(validate(chunks).end).to.equal(whole.complete && isUtf8(text));
      }),
      { numRuns: 200 },
    );
  });

  it('answers like the reference for any bytes in any chunking', () => {
    const edgeByte = fc
      .constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec)
      .chain((b) => fc.constantFrom(b, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff))
      .map((b) => Uint8Array.of(b));
    const piece = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(s))) },
      { weight: 3, arbitrary: edgeByte },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4 }) },
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12, size: 'max' }), fc.array(fc.nat(), { maxLength: 10, size: 'max' }), (pieces, cuts) => {
        const bytes = Buffer.concat(pieces);
        const chunks = split(bytes, cuts);
        const actual = validate(chunks);
        expect(actual).to.deep.equal(expected(chunks));
        expect(actual.end).to.equal(isUtf8(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});
