/**
 * fast-check arbitraries for what a client may send after the opening handshake: sequences of
 * frames of every opcode, valid and broken (RFC 6455 §5.2 fields: FIN, RSV1–3, opcode, MASK,
 * every length encoding including non-minimal and top-bit-set 64-bit ones; §5.4 fragmentation
 * and interleaving; §5.5 oversized and fragmented control frames; Close bodies with valid and
 * invalid codes and reasons; text with valid and invalid UTF-8), then byte mutations,
 * truncation, and a chunking down to 1 byte.
 */
import fc from 'fast-check';
import type { ClientScenario } from './rfc6455-oracle.js';

/** One frame as the client writes it. `length` overrides the declared payload length. */
export interface FrameSpec {
  readonly fin: boolean;
  /** RSV1–3 as 3 bits: 4 = RSV1, 2 = RSV2, 1 = RSV3. */
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  /** How the payload length is written: the minimal way, or in 16 or 64 bits whatever it is. */
  readonly encoding: 'minimal' | '16' | '64';
  /** A declared length that is not the payload's (a 64-bit length with the top bit set, a huge one). */
  readonly length?: bigint | undefined;
  readonly payload: Uint8Array;
  readonly maskKey: Uint8Array;
}

export interface FuzzInput {
  readonly frames: readonly FrameSpec[];
  /** Byte positions overwritten after encoding (position modulo the length, value). */
  readonly mutations: readonly (readonly [number, number])[];
  /** Cut the bytes to this fraction of their length (1: keep them all). */
  readonly keep: number;
  /** Chunk lengths, used in turn; [] is one chunk, [1] is one byte at a time. */
  readonly chunks: readonly number[];
  readonly maxMessageSize: number;
  /** The server's application calls close(code) once this fraction of the bytes was read. */
  readonly appClose: { readonly after: number; readonly code: number } | null;
  readonly ending: ClientScenario['ending'];
}

/** Client frame bytes for a spec (RFC 6455 §5.2, masked per §5.3 when `masked`). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload);
  const length = spec.length ?? BigInt(payload.length);
  const encoding = spec.encoding !== 'minimal' ? spec.encoding : length < 126n ? '7' : length < 0x10000n ? '16' : '64';
  const lengthBytes = encoding === '7' ? 0 : encoding === '16' ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (spec.masked ? 4 : 0));
  header[0] = (spec.fin ? 0x80 : 0) | ((spec.rsv & 7) << 4) | (spec.opcode & 0xf);
  header[1] = (spec.masked ? 0x80 : 0) | (encoding === '7' ? Number(length) : encoding === '16' ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(Number(length & 0xffffn), 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(length & 0xffffffffffffffffn, 2);
  if (spec.masked) {
    header.set(spec.maskKey, 2 + lengthBytes);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= spec.maskKey[i & 3]!;
  }
  return Buffer.concat([header, payload]);
}

/** The bytes of an input: frames encoded, mutated, truncated. */
export function inputBytes(input: FuzzInput): Buffer {
  const bytes = Buffer.concat(input.frames.map(encodeFrame));
  for (const [position, value] of input.mutations) if (bytes.length > 0) bytes[position % bytes.length] = value;
  return bytes.subarray(0, Math.ceil(bytes.length * input.keep));
}

/** Byte sequences that are not UTF-8 (RFC 3629 §4): overlong, surrogates, beyond U+10FFFF, stray and cut sequences. */
const NOT_UTF8 = ['c080', 'c1bf', 'e08080', 'eda080', 'edbfbf', 'f08f8080', 'f4908080', 'f5', 'ff', '80', 'bf', 'e282', 'f09f98'].map(
  (text) => Buffer.from(text, 'hex'),
);

const utf8Text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '𝄞', 'κόσμε', '\u0000', '\uffff', '\u{10ffff}'), maxLength: 40 }).map((text) => Buffer.from(text));

/** Text payloads: valid UTF-8, or valid UTF-8 with a broken sequence somewhere in it. */
const textPayload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: utf8Text },
  { weight: 1, arbitrary: fc.tuple(utf8Text, fc.constantFrom(...NOT_UTF8), utf8Text).map(([a, bad, b]) => Buffer.concat([a, bad, b])) },
);

const binaryPayload = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 120, max: 300 }).map((n) => new Uint8Array(n).fill(0x61)) },
);

/** §7.4 status codes, valid and not, and any 16-bit number. */
const closeCode = fc.oneof(
  fc.constantFrom(1000, 1001, 1003, 1011, 3000, 4000),
  fc.constantFrom(0, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 3000, 3999, 4000, 4999, 5000, 65535),
  fc.integer({ min: 0, max: 0xffff }),
);

/** Close bodies (§5.5.1): empty, one byte, a code with a reason (valid UTF-8 or not), too long. */
const closeBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 1 }) },
  { weight: 5, arbitrary: fc.tuple(closeCode, textPayload).map(([code, reason]) => {
    const body = Buffer.alloc(2 + Math.min(reason.length, 123));
    body.writeUInt16BE(code, 0);
    body.set(reason.subarray(0, 123), 2);
    return body;
  }) },
  { weight: 1, arbitrary: fc.tuple(closeCode, fc.integer({ min: 124, max: 140 })).map(([code, n]) => {
    const body = Buffer.alloc(2 + n, 0x62);
    body.writeUInt16BE(code, 0);
    return body;
  }) },
);

const controlPayload = fc.oneof(
  { weight: 10, arbitrary: fc.uint8Array({ maxLength: 125 }) },
  { weight: 1, arbitrary: fc.integer({ min: 126, max: 200 }).map((n) => new Uint8Array(n).fill(0x70)) },
);

/** A declared length that differs from the payload: top bit set, beyond 2^53, beyond any limit, or small. */
const oddLength = fc.oneof(
  fc.bigInt({ min: 1n << 63n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 1n << 53n, max: (1n << 63n) - 1n }),
  fc.bigInt({ min: 0n, max: 1n << 20n }),
);

const maskKey = fc.uint8Array({ minLength: 4, maxLength: 4 });

/** A frame: mostly well-formed, sometimes with one field broken. */
const frame: fc.Arbitrary<FrameSpec> = fc
  .record({
    kind: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('text' as const, 'binary' as const) },
      { weight: 2, arbitrary: fc.constant('continuation' as const) },
      { weight: 8, arbitrary: fc.constantFrom('ping' as const, 'pong' as const, 'close' as const) },
      { weight: 1, arbitrary: fc.constant('reserved' as const) },
    ),
    fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
    controlFin: fc.oneof({ weight: 15, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
    masked: fc.oneof({ weight: 40, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    encoding: fc.oneof(
      { weight: 20, arbitrary: fc.constant('minimal' as const) },
      { weight: 1, arbitrary: fc.constantFrom('16' as const, '64' as const) },
    ),
    length: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: oddLength }),
    text: textPayload,
    binary: binaryPayload,
    control: controlPayload,
    close: closeBody,
    reservedOpcode: fc.constantFrom(3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf),
    maskKey,
  })
  .map((r): FrameSpec => {
    const control = r.kind === 'ping' || r.kind === 'pong' || r.kind === 'close';
    const opcode = { text: 1, binary: 2, continuation: 0, ping: 9, pong: 10, close: 8, reserved: r.reservedOpcode }[r.kind];
    const payload = r.kind === 'text' ? r.text : r.kind === 'close' ? r.close : control ? r.control : r.binary;
    // Control frames are final but for the odd one out (§5.5 forbids fragmenting them).
    const fin = control ? r.controlFin : r.fin;
    return { fin, rsv: r.rsv, opcode, masked: r.masked, encoding: r.encoding, length: r.length, payload, maskKey: r.maskKey };
  });

/** A valid fragmented message: text (valid UTF-8, split anywhere, even inside a character) or binary. */
const fragmentedMessage: fc.Arbitrary<FrameSpec[]> = fc
  .record({
    text: fc.boolean(),
    payload: fc.oneof(utf8Text, fc.uint8Array({ maxLength: 30 })),
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
    pingBetween: fc.option(fc.nat(), { freq: 2 }),
    maskKey,
  })
  .map(({ text, payload, cuts, pingBetween, maskKey }) => {
    const bounds = [...new Set(cuts.map((cut) => cut % (payload.length + 1)))].sort((a, b) => a - b);
    const pieces = [0, ...bounds].map((start, i, all) => payload.subarray(start, all[i + 1] ?? payload.length));
    const frames: FrameSpec[] = pieces.map((piece, i) => ({
      fin: i === pieces.length - 1,
      rsv: 0,
      opcode: i === 0 ? (text ? 1 : 2) : 0,
      masked: true,
      encoding: 'minimal',
      payload: piece,
      maskKey,
    }));
    if (pingBetween !== null && frames.length > 1) {
      // §5.4: "Control frames MAY be injected in the middle of a fragmented message."
      const at = 1 + (pingBetween % (frames.length - 1));
      frames.splice(at, 0, { fin: true, rsv: 0, opcode: 9, masked: true, encoding: 'minimal', payload: Buffer.from('mid'), maskKey });
    }
    return frames;
  });

const chunks = fc.oneof(
  fc.constant([] as number[]),
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 6 }),
);

export const fuzzInput: fc.Arbitrary<FuzzInput> = fc.record({
  frames: fc
    .array(fc.oneof({ weight: 4, arbitrary: frame.map((f) => [f]) }, { weight: 1, arbitrary: fragmentedMessage }), { maxLength: 8 })
    .map((groups) => groups.flat()),
  mutations: fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as [number, number][]) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }) },
  ),
  keep: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }),
  chunks,
  maxMessageSize: fc.oneof({ weight: 3, arbitrary: fc.constant(1 << 20) }, { weight: 1, arbitrary: fc.constantFrom(64, 10) }),
  appClose: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.record({ after: fc.double({ min: 0, max: 1, noNaN: true }), code: fc.constantFrom(1000, 1001, 1011, 3000, 4999) }) },
  ),
  ending: fc.constantFrom('tcp-closed' as const, 'tcp-end' as const, 'close-timeout' as const),
});

/** The scenario the oracle and the core are given. */
export function scenarioOf(input: FuzzInput): ClientScenario {
  const bytes = inputBytes(input);
  const appClose = input.appClose === null ? undefined : { at: Math.floor(bytes.length * input.appClose.after), code: input.appClose.code };
  return { bytes, maxMessageSize: input.maxMessageSize, appClose, ending: input.ending };
}

/** A short description of an input, for a counterexample report. */
export function describeInput(input: FuzzInput): string {
  const scenario = scenarioOf(input);
  return [
    `frames (${input.frames.length}):`,
    ...input.frames.map((f) => `  fin=${f.fin} rsv=${f.rsv} opcode=${f.opcode} masked=${f.masked} encoding=${f.encoding}` +
      `${f.length !== undefined ? ` length=${f.length}` : ''} payload=${Buffer.from(f.payload).toString('hex')}`),
    `mutations ${JSON.stringify(input.mutations)}, keep ${input.keep}, chunks ${JSON.stringify(input.chunks)}, maxMessageSize ${input.maxMessageSize}`,
    `bytes ${inputBytes(input).toString('hex')}`,
    `application close ${scenario.appClose ? `(${scenario.appClose.code}) after ${scenario.appClose.at} bytes` : 'none'}, then ${input.ending}`,
  ].join('\n');
}
