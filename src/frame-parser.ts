/**
 * RFC 6455 §5.2, Base Framing Protocol: frames from a byte stream, in any chunking — a client's
 * (masked) as a server reads them, or a server's (unmasked) as a client reads them.
 *
 * Rules of this file: no I/O, no message-level state (fragmentation order, UTF-8, close
 * payloads belong to the machines above); only what one frame's header says on its own. A
 * header that breaks a rule is reported as its cause (`onFrameViolation('UNMASKED_FRAME')`);
 * which error and close code follow is the connection machine's decision, not the parser's.
 * It is the hot path: no XState, no per-frame allocation in the common case, and payload
 * bytes are unmasked in place and handed out as views of the pushed chunk, never copied.
 *
 * ```
 *   GET_INFO ──126──▶ GET_PAYLOAD_LENGTH_16 ──┐
 *      │  └───127──▶ GET_PAYLOAD_LENGTH_64 ──┤
 *      └──0..125────────────────────────────┴─▶ GET_MASK ──▶ GET_DATA ──▶ GET_INFO
 *                                     (empty payload: GET_MASK ──▶ GET_INFO)
 * ```
 *
 * Frames to a client carry no masking key (§5.1, `expectMasked = false`): GET_MASK is skipped.
 */
import type { FrameViolationType } from '../machines/protocol-events.js';
import { unmask } from './masking.js';

export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payloadLength: number;
}

export interface FrameParserHandler {
  /** Header complete and valid; the SAME object is reused for every frame: copy what you keep. */
  onFrameHeader(header: FrameHeader): void;
  /**
   * Unmasked payload bytes of the current frame; zero or more calls per frame; a view of the
   * pushed chunk when possible (no copy); the handler may keep it.
   */
  onFramePayload(chunk: Buffer): void;
  /** The current frame's payload is complete (called right after the header for empty payloads). */
  onFrameEnd(): void;
  /** Header-level violation, by cause; the parser stops for good (further push() calls are ignored). */
  onFrameViolation(cause: FrameViolationType): void;
}

export interface FrameParserOptions {
  /** RSV1 is the "Per-Message Compressed" bit once permessage-deflate is negotiated (RFC 7692). */
  rsv1Allowed?: boolean;
  /** Default true. False: the parser starts stopped and ignores bytes until `start()`. */
  reading?: boolean;
}

const GET_INFO = 0;
const GET_PAYLOAD_LENGTH_16 = 1;
const GET_PAYLOAD_LENGTH_64 = 2;
const GET_MASK = 3;
const GET_DATA = 4;
type ParserState =
  | typeof GET_INFO
  | typeof GET_PAYLOAD_LENGTH_16
  | typeof GET_PAYLOAD_LENGTH_64
  | typeof GET_MASK
  | typeof GET_DATA;

/** 2^53 - 1 split at bit 32: the largest high word of a length a JS number holds exactly. */
const MAX_SAFE_LENGTH_HIGH_WORD = 0x1fffff;

const EMPTY_CHUNK = Buffer.alloc(0);

/**
 * Buffer's own view constructor (what `buf.subarray()` ends up calling), as the ws library's
 * buffer-util uses it: a payload view without subarray()'s species lookup and argument
 * checks, ~10% of the per-frame cost for small frames.
 */
const FastBuffer = (Buffer as unknown as {
  [Symbol.species]: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;
})[Symbol.species];

/** One scratch array for the key being applied (unmasking is synchronous: no parser can interleave). */
const maskKeyScratch = new Uint8Array(4);

function maskKeyOctets(packed: number): Uint8Array {
  maskKeyScratch[0] = packed >>> 24;
  maskKeyScratch[1] = (packed >>> 16) & 0xff;
  maskKeyScratch[2] = (packed >>> 8) & 0xff;
  maskKeyScratch[3] = packed & 0xff;
  return maskKeyScratch;
}

export class FrameParser {
  private readonly handler: FrameParserHandler;
  private allowRsv1: boolean;
  private state: ParserState = GET_INFO;
  /**
   * §5.1: frames to a server are masked, frames to a client are not. True (the server role)
   * until the machines choose the client role (`expectUnmaskedFrames`).
   */
  expectMasked = true;
  /** Not reading: push() ignores bytes (before `start()`, after `stop()` or a violation). */
  private stopped: boolean;

  /** The chunk being parsed (only during push()) and the read position in it. */
  private chunk: Buffer = EMPTY_CHUNK;
  private pos = 0;

  /** GET_INFO: the first byte has been read and checked, the second has not arrived. */
  private firstByteRead = false;
  /** Extended length or masking key bytes that straddle chunks, gathered here. */
  // Allocated on first use: most connections never split a header across chunks, and an idle
  // connection should cost as little memory as possible.
  private scratch: Buffer | undefined;
  private scratchLength = 0;
  /** Where takeHeaderBytes() put the bytes it returned. */
  private fieldOffset = 0;

  /** The header of the frame being read (the same object for every frame; valid from `onFrameHeader` on). */
  // Stryker disable next-line BooleanLiteral: equivalent — readFirstByte() sets fin and rsv1 before onFrameHeader, and nothing reads the header before (test/mutation/equivalent-mutants.md)
  readonly header: FrameHeader = { fin: false, rsv1: false, opcode: 0, payloadLength: 0 };
  /**
   * The masking key's four octets packed into a number (octet 0 in the high byte): a number costs
   * a connection nothing, where a 4-byte Uint8Array of its own costs ~190 bytes of heap for as
   * long as the connection lives.
   */
  private maskKey = 0;
  /** GET_DATA: payload bytes still to come, and the key index of the next one. */
  private remaining = 0;
  private maskOffset = 0;

  constructor(handler: FrameParserHandler, options: FrameParserOptions = {}) {
    this.handler = handler;
    this.allowRsv1 = options.rsv1Allowed ?? false;
    this.stopped = !(options.reading ?? true);
  }

  get rsv1Allowed(): boolean {
    return this.allowRsv1;
  }

  /** Negotiated permessage-deflate may turn RSV1 on after construction. */
  set rsv1Allowed(allowed: boolean) {
    this.allowRsv1 = allowed;
  }

  /** Start reading frames from the bytes pushed from now on. */
  start(): void {
    this.stopped = false;
  }

  /** Stop reading: push() ignores further bytes. Safe inside a handler callback. */
  stop(): void {
    this.stopped = true;
  }

  /** Whether pushed bytes are read. */
  get reading(): boolean {
    return !this.stopped;
  }

  /**
   * Parses the next bytes of the stream. The parser takes ownership of `chunk` (payload bytes
   * are unmasked in place). Any chunking works, 1-byte chunks included.
   */
  push(chunk: Buffer): void {
    // Stopped (before start(), after stop() or a violation): the loop below reads nothing.
    this.chunk = chunk;
    this.pos = 0;
    while (this.pos < chunk.length && !this.stopped) {
      switch (this.state) {
        case GET_INFO:
          this.getInfo();
          break;
        case GET_PAYLOAD_LENGTH_16:
          this.getPayloadLength16();
          break;
        case GET_PAYLOAD_LENGTH_64:
          this.getPayloadLength64();
          break;
        case GET_MASK:
          this.getMask();
          break;
        case GET_DATA:
          this.getData();
          break;
      }
    }
    this.chunk = EMPTY_CHUNK;
  }

  /** The first two bytes: FIN, RSV1-3, opcode; MASK, 7-bit length. Each checked on arrival. */
  private getInfo(): void {
    const chunk = this.chunk;
    if (!this.firstByteRead) {
      if (!this.readFirstByte(chunk[this.pos++])) return;
      if (this.pos === chunk.length) {
        this.firstByteRead = true;
        return;
      }
    }
    this.firstByteRead = false;
    this.readSecondByte(chunk[this.pos++]);
  }

  private readFirstByte(byte: number): boolean {
    const header = this.header;
    header.fin = (byte & 0x80) !== 0;
    header.rsv1 = (byte & 0x40) !== 0;
    header.opcode = byte & 0x0f;

    // §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that
    // defines meanings for non-zero values. If a nonzero value is received and none of the
    // negotiated extensions defines the meaning of such a nonzero value, the receiving
    // endpoint MUST _Fail the WebSocket Connection_." Only permessage-deflate is offered,
    // and it defines RSV1 alone.
    if ((byte & 0x30) !== 0) {
      return this.fail('RSV2_OR_RSV3_SET');
    }
    if (header.rsv1 && !this.allowRsv1) {
      return this.fail('RSV1_NOT_ALLOWED');
    }

    const opcode = header.opcode;
    if (opcode >= 0x8) {
      // §5.2: "%xB-F are reserved for further control frames" and "If an unknown opcode is
      // received, the receiving endpoint MUST _Fail the WebSocket Connection_."
      if (opcode > 0xa) return this.fail('RESERVED_OPCODE');
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST
      // NOT be fragmented."
      if (!header.fin) {
        return this.fail('FRAGMENTED_CONTROL_FRAME');
      }
      // RFC 7692 §6: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control
      // frames and non-first fragments of a data message."
      if (header.rsv1) {
        return this.fail('RSV1_NOT_ALLOWED');
      }
    } else if (opcode > 0x2) {
      // (RSV1 on a continuation frame, RFC 7692 §6, is a rule about the frame sequence: the
      // message machine fails it, machines/message.machine.ts.)
      // §5.2: "%x3-7 are reserved for further non-control frames".
      return this.fail('RESERVED_OPCODE');
    }
    return true;
  }

  private readSecondByte(byte: number): void {
    const length = byte & 0x7f;
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    if (length > 125 && this.header.opcode >= 0x8) {
      this.fail('CONTROL_FRAME_TOO_LONG');
      return;
    }
    const masked = (byte & 0x80) !== 0;
    if (masked !== this.expectMasked) {
      // §5.1: "The server MUST close the connection upon receiving a frame that is not masked.
      // In this case, a server MAY send a Close frame with a status code of 1002 (protocol
      // error)" — and "A client MUST close a connection if it detects a masked frame. In this
      // case, it MAY use the status code 1002 (protocol error)". Which side expects which is the
      // machines' choice (`expectUnmaskedFrames`, the client role).
      this.fail(masked ? 'MASKED_FRAME' : 'UNMASKED_FRAME');
      return;
    }
    // §5.2: "Payload length: 7 bits, 7+16 bits, or 7+64 bits".
    if (length === 126) {
      this.state = GET_PAYLOAD_LENGTH_16;
    } else if (length === 127) {
      this.state = GET_PAYLOAD_LENGTH_64;
    } else {
      this.header.payloadLength = length;
      this.lengthRead();
    }
  }

  /** §5.2: "If 126, the following 2 bytes interpreted as a 16-bit unsigned integer are the payload length." */
  private getPayloadLength16(): void {
    const source = this.takeHeaderBytes(2);
    if (source === null) return;
    const length = source.readUInt16BE(this.fieldOffset);
    // §5.2: "the minimal number of bytes MUST be used to encode the length, for example, the
    // length of a 124-byte-long string can't be encoded as the sequence 126, 0, 124."
    if (length < 126) {
      this.fail('INVALID_PAYLOAD_LENGTH');
      return;
    }
    this.header.payloadLength = length;
    this.lengthRead();
  }

  private getPayloadLength64(): void {
    const source = this.takeHeaderBytes(8);
    if (source === null) return;
    const high = source.readUInt32BE(this.fieldOffset);
    // §5.2: "If 127, the following 8 bytes interpreted as a 64-bit unsigned integer (the most
    // significant bit MUST be 0) are the payload length."
    if (high > 0x7fffffff) {
      this.fail('INVALID_PAYLOAD_LENGTH');
      return;
    }
    // A length no JS number holds exactly: far beyond any message size limit (§10.4 lets an
    // implementation limit frame sizes).
    if (high > MAX_SAFE_LENGTH_HIGH_WORD) {
      this.fail('UNSUPPORTED_PAYLOAD_LENGTH');
      return;
    }
    const length = high * 0x100000000 + source.readUInt32BE(this.fieldOffset + 4);
    // §5.2: "the minimal number of bytes MUST be used to encode the length".
    if (length < 0x10000) {
      this.fail('INVALID_PAYLOAD_LENGTH');
      return;
    }
    this.header.payloadLength = length;
    this.lengthRead();
  }

  /** §5.2: "Masking-key: 0 or 4 bytes ... present if the mask bit is set to 1". */
  private getMask(): void {
    const source = this.takeHeaderBytes(4);
    if (source === null) return;
    const offset = this.fieldOffset;
    this.maskKey = ((source[offset] << 24) | (source[offset + 1] << 16) | (source[offset + 2] << 8) | source[offset + 3]) >>> 0;
    this.headerRead();
  }

  /** The length is known: the masking key follows (frames to a server), or the header is complete (frames to a client). */
  private lengthRead(): void {
    if (this.expectMasked) this.state = GET_MASK;
    else this.headerRead();
  }

  private headerRead(): void {
    const payloadLength = this.header.payloadLength;
    this.remaining = payloadLength;
    this.maskOffset = 0;
    this.state = payloadLength === 0 ? GET_INFO : GET_DATA;
    this.handler.onFrameHeader(this.header);
    if (payloadLength === 0 && !this.stopped) this.handler.onFrameEnd();
  }

  /** Unmasks what the chunk holds of the payload, in place, and hands it out as a view. */
  private getData(): void {
    const chunk = this.chunk;
    const start = this.pos;
    const available = chunk.length - start;
    const length = this.remaining < available ? this.remaining : available;
    const end = start + length;
    const payload =
      start === 0 && end === chunk.length ? chunk : new FastBuffer(chunk.buffer, chunk.byteOffset + start, length);
    if (this.expectMasked) unmask(payload, maskKeyOctets(this.maskKey), this.maskOffset);
    this.maskOffset = (this.maskOffset + length) & 3;
    this.remaining -= length;
    this.pos = end;
    if (this.remaining === 0) this.state = GET_INFO;
    this.handler.onFramePayload(payload);
    if (this.remaining === 0 && !this.stopped) this.handler.onFrameEnd();
  }

  /**
   * Makes the next `n` header bytes readable: returns the buffer holding them (the chunk
   * itself when they are all in it, else the scratch once the last one arrived) and sets
   * `fieldOffset` to the first; returns null when the chunk ran out first.
   */
  private takeHeaderBytes(n: number): Buffer | null {
    const chunk = this.chunk;
    const available = chunk.length - this.pos;
    // Stryker disable next-line BlockStatement: equivalent — without the shortcut the scratch path copies the same n bytes and returns them at offset 0 (test/mutation/equivalent-mutants.md)
    if (this.scratchLength === 0 && available >= n) {
      this.fieldOffset = this.pos;
      this.pos += n;
      return chunk;
    }
    const wanted = n - this.scratchLength;
    const copied = Math.min(wanted, available);
    const scratch = (this.scratch ??= Buffer.alloc(8));
    chunk.copy(scratch, this.scratchLength, this.pos, this.pos + copied);
    this.scratchLength += copied;
    this.pos += copied;
    if (this.scratchLength < n) return null;
    this.scratchLength = 0;
    this.fieldOffset = 0;
    return scratch;
  }

  private fail(cause: FrameViolationType): false {
    this.stopped = true;
    this.handler.onFrameViolation(cause);
    return false;
  }
}
