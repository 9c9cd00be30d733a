/**
 * RFC 6455 §5.2, Base Framing Protocol: frames as an endpoint writes them.
 *
 * Server to client (what the server sends): §5.1 "A server MUST NOT mask any frames that it sends
 * to the client", so the MASK bit is clear and there is no masking key: a header is 2, 4 or 10
 * bytes. Client to server (`encodeClientFrame`, for the probe, the tests and the bench): masked
 * (§5.3), or unmasked on purpose.
 */
import { isValidCloseCode } from './close-code.js';
import { isValidUtf8 } from './utf8-validator.js';
import { maskInto, unmask } from './masking.js';
import { writeMaskKey } from './mask-key-pool.js';

const EMPTY_BODY = new Uint8Array(0);

/** The header length for a payload of `payloadLength` bytes, unmasked. */
function headerLengthFor(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
}

/** Writes the header at the start of `target`. */
function writeHeader(target: Buffer, opcode: number, payloadLength: number, fin: boolean, rsv1: boolean): void {
  // §5.2: FIN, RSV1 (RFC 7692 §6: the "Per-Message Compressed" bit), RSV2, RSV3, opcode.
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  // §5.2: "Payload length: 7 bits, 7+16 bits, or 7+64 bits ... the minimal number of bytes
  // MUST be used to encode the length". MASK (the high bit) stays 0.
  if (payloadLength < 126) {
    target[1] = payloadLength;
  } else if (payloadLength < 0x10000) {
    target[1] = 126;
    target.writeUInt16BE(payloadLength, 2);
  } else {
    target[1] = 127;
    target.writeUInt32BE(Math.floor(payloadLength / 0x100000000), 2);
    target.writeUInt32BE(payloadLength >>> 0, 6);
  }
}

function checkFrame(opcode: number, payloadLength: number): void {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xf) {
    throw new RangeError('opcode must be an integer in 0..15, got ' + opcode);
  }
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new RangeError('payload length must be a safe non-negative integer, got ' + payloadLength);
  }
}

/** The header of an unmasked frame, for a payload written separately (no copy). */
export function encodeFrameHeader(opcode: number, payloadLength: number, fin = true, rsv1 = false): Buffer {
  checkFrame(opcode, payloadLength);
  const header = Buffer.allocUnsafe(headerLengthFor(payloadLength));
  writeHeader(header, opcode, payloadLength, fin, rsv1);
  return header;
}

/** A whole unmasked frame, header and payload, in one buffer (the payload is copied). */
export function encodeFrame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Buffer {
  const payloadLength = payload.length;
  checkFrame(opcode, payloadLength);
  const headerLength = headerLengthFor(payloadLength);
  const frame = Buffer.allocUnsafe(headerLength + payloadLength);
  writeHeader(frame, opcode, payloadLength, fin, rsv1);
  frame.set(payload, headerLength);
  return frame;
}

/**
 * A Close frame (§5.5.1).
 *
 * §5.5.1: "The Close frame MAY contain a body ... If there is a body, the first two bytes of
 * the body MUST be a 2-byte unsigned integer (in network byte order) representing a status
 * code with value /code/ defined in Section 7.4. Following the 2-byte integer, the body MAY
 * contain UTF-8-encoded data with value /reason/". No code: an empty body (then a reason is
 * not allowed). §5.5: the body is at most 125 bytes, so the reason at most 123.
 *
 * @throws RangeError for a code that may not be sent (§7.4.1: 1005, 1006 and 1015 "MUST NOT
 *   be set as a status code in a Close control frame by an endpoint"), a reason longer than
 *   123 bytes, or reason bytes that are not UTF-8
 */
export function encodeCloseFrame(code?: number, reason?: Uint8Array | string): Buffer {
  if (code === undefined) {
    if (reason !== undefined && reason.length > 0) {
      throw new RangeError('a close reason needs a close code');
    }
    return encodeFrame(0x8, EMPTY_BODY);
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new RangeError('invalid close code ' + code);
  }
  const reasonLength =
    reason === undefined ? 0 : typeof reason === 'string' ? Buffer.byteLength(reason) : reason.length;
  if (reasonLength > 123) {
    throw new RangeError('close reason must be at most 123 bytes, got ' + reasonLength);
  }
  if (typeof reason === 'object' && !isValidUtf8(reason)) {
    throw new RangeError('close reason must be UTF-8');
  }
  const frame = Buffer.allocUnsafe(4 + reasonLength);
  writeHeader(frame, 0x8, 2 + reasonLength, true, false);
  frame.writeUInt16BE(code, 2);
  if (typeof reason === 'string') frame.write(reason, 4, 'utf8');
  else if (reason !== undefined) frame.set(reason, 4);
  return frame;
}

export interface ClientFrameOptions {
  /** Default true. */
  fin?: boolean;
  /** RSV1–3 as a 3-bit number: 4 = RSV1, 2 = RSV2, 1 = RSV3. Default 0. */
  rsv?: number;
}

/**
 * A client-to-server frame (§5.2), for clients: the probe, the conformance client, the tests and
 * the bench — the one masked-frame encoder. §5.3: the payload is XORed with `maskKey` ("octet i
 * of the transformed data is the XOR of octet i of the original data with octet at index i modulo
 * 4 of the masking key"); `maskKey: null` sends it unmasked, breaking §5.1 on purpose. Fields are
 * written as given, valid or not; the length uses the minimal encoding. The payload is copied.
 */
export function encodeClientFrame(opcode: number, payload: Uint8Array, maskKey: Uint8Array | null, options: ClientFrameOptions = {}): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const keyAt = 2 + lengthBytes;
  const payloadAt = keyAt + (maskKey === null ? 0 : 4);
  // Placed so that the payload starts on a 4-byte boundary: masking goes a word at a time.
  const padding = (4 - (payloadAt & 3)) & 3;
  const frame = Buffer.from(new ArrayBuffer(padding + payloadAt + length), padding, payloadAt + length);
  frame[0] = ((options.fin ?? true) ? 0x80 : 0) | (((options.rsv ?? 0) & 0b111) << 4) | (opcode & 0x0f);
  frame[1] = (maskKey === null ? 0 : 0x80) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) frame.writeUInt16BE(length, 2);
  else if (lengthBytes === 8) frame.writeBigUInt64BE(BigInt(length), 2);
  frame.set(payload, payloadAt);
  if (maskKey !== null) {
    frame.set(maskKey.subarray(0, 4), keyAt);
    unmask(frame.subarray(payloadAt), maskKey, 0);
  }
  return frame;
}

/** The masking key of the frame being encoded (a scratch: masking reads it while the frame holds its copy). */
const maskKeyScratch = new Uint8Array(4);

/**
 * A whole masked frame, as a client sends it (§5.1: "a client MUST mask all frames that it sends
 * to the server"), with a fresh key from the pool (mask-key-pool.ts). The payload is copied into
 * the frame once and masked there (§5.3): the caller's bytes are never changed, and header and
 * payload leave in one write.
 */
export function encodeMaskedFrame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Buffer {
  const payloadLength = payload.length;
  checkFrame(opcode, payloadLength);
  const keyAt = headerLengthFor(payloadLength);
  const frame = Buffer.allocUnsafe(keyAt + 4 + payloadLength);
  writeHeader(frame, opcode, payloadLength, fin, rsv1);
  // §5.2: "Mask: 1 bit ... If set to 1, a masking key is present in masking-key".
  frame[1] |= 0x80;
  writeMaskKey(frame, keyAt, maskKeyScratch);
  if (payloadLength > 0) maskInto(payload, frame, keyAt + 4, maskKeyScratch);
  return frame;
}
