/**
 * The client's side of RFC 6455 §5.2: frames as a server sends them (unmasked), read from a byte
 * stream in any chunking, and reassembled into what the probe observes — messages (fragments
 * joined, permessage-deflate inflated, RFC 7692 §7.2.2), Pings, Pongs, Close frames — with every
 * rule a server's frames must keep checked (src/frame-parser.ts reads client frames, which must
 * be masked, so it cannot be used here).
 *
 * After a violation the reader stops: like Autobahn's client, the probe fails the connection.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { isValidUtf8 } from '../utf8-validator.js';
import type { Observable } from '../model-based/wire-steps.js';

export interface ServerFrame {
  readonly fin: boolean;
  /** RSV1–3 as a 3-bit number (4 = RSV1). */
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Splits a byte stream into frames; returns each frame once its last octet has arrived. */
export class ServerFrameSplitter {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ServerFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: ServerFrame[] = [];
    for (;;) {
      const bytes = this.buffered;
      if (bytes.length < 2) break;
      const masked = (bytes[1]! & 0x80) !== 0;
      const length7 = bytes[1]! & 0x7f;
      const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
      const headerLength = 2 + extended + (masked ? 4 : 0);
      if (bytes.length < headerLength) break;
      const length = extended === 0 ? length7 : extended === 2 ? bytes.readUInt16BE(2) : Number(bytes.readBigUInt64BE(2));
      if (bytes.length < headerLength + length) break;
      const payload = Buffer.from(bytes.subarray(headerLength, headerLength + length));
      if (masked) {
        const key = bytes.subarray(2 + extended, headerLength);
        for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
      }
      frames.push({ fin: (bytes[0]! & 0x80) !== 0, rsv: (bytes[0]! >> 4) & 0b111, opcode: bytes[0]! & 0x0f, masked, payload });
      this.buffered = bytes.subarray(headerLength + length);
    }
    return frames;
  }
}

/** Frames → observables, checking what a server may send. */
export class ServerFrameReader {
  private readonly splitter = new ServerFrameSplitter();
  private fragments: Buffer[] | undefined;
  private fragmentsBinary = false;
  private fragmentsCompressed = false;
  private stopped = false;
  private closeReceived = false;

  constructor(
    /** permessage-deflate was agreed: RSV1 marks a compressed message. */
    private readonly deflate: boolean,
  ) {}

  /** The observables the chunk completes. */
  push(chunk: Buffer): Observable[] {
    const observed: Observable[] = [];
    if (this.stopped) return observed;
    for (const frame of this.splitter.push(chunk)) {
      const violation = this.read(frame, observed);
      if (violation !== undefined) {
        observed.push({ kind: 'violation', what: violation });
        this.stopped = true;
        break;
      }
    }
    return observed;
  }

  /** Reads one frame into `observed`; returns what is wrong with it, if anything. */
  private read(frame: ServerFrame, observed: Observable[]): string | undefined {
    // §5.5.1: "the endpoint MUST NOT send any more data frames after sending a Close frame";
    // a Pong still answers a Ping (§5.5.2), but a second Close closes nothing more.
    if (this.closeReceived && frame.opcode <= 0x8) {
      return `a ${frame.opcode === 0x8 ? 'second Close frame' : 'data frame'} after its Close frame`;
    }
    // §5.1: "A server MUST NOT mask any frames that it sends to the client."
    if (frame.masked) return 'a masked frame';
    if ((frame.rsv & 0b011) !== 0) return `a frame with RSV bits ${frame.rsv}`;
    const isControl = frame.opcode >= 0x8;
    if ((frame.rsv & 0b100) !== 0 && (!this.deflate || isControl || frame.opcode === 0x0)) {
      return 'RSV1 where permessage-deflate does not allow it';
    }
    if (isControl) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (!frame.fin) return 'a fragmented control frame';
      if (frame.payload.length > 125) return `a control frame of ${frame.payload.length} octets`;
    }
    switch (frame.opcode) {
      case 0x8: {
        if (frame.payload.length === 1) return 'a Close frame with a 1-octet body';
        if (frame.payload.length === 0) {
          observed.push({ kind: 'close', code: undefined });
          this.closeReceived = true;
          return undefined;
        }
        const reason = frame.payload.subarray(2);
        if (!isValidUtf8(reason)) return 'a Close reason that is not UTF-8';
        observed.push({ kind: 'close', code: frame.payload.readUInt16BE(0), reason: reason.toString('utf8') });
        this.closeReceived = true;
        return undefined;
      }
      case 0x9:
        observed.push({ kind: 'ping', data: frame.payload });
        return undefined;
      case 0xa:
        observed.push({ kind: 'pong', data: frame.payload });
        return undefined;
      case 0x1:
      case 0x2:
        if (this.fragments !== undefined) return 'a new message while a fragmented one was in progress';
        this.fragments = [];
        this.fragmentsBinary = frame.opcode === 0x2;
        this.fragmentsCompressed = (frame.rsv & 0b100) !== 0;
        break;
      case 0x0:
        if (this.fragments === undefined) return 'a continuation frame with no message in progress';
        break;
      default:
        return `a frame with the reserved opcode 0x${frame.opcode.toString(16)}`;
    }
    this.fragments.push(frame.payload);
    if (!frame.fin) return undefined;
    let data = Buffer.concat(this.fragments);
    this.fragments = undefined;
    if (this.fragmentsCompressed) {
      try {
        // The probe offers server_no_context_takeover, so each message inflates on its own.
        data = inflateRawSync(Buffer.concat([data, SYNC_FLUSH_TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
      } catch {
        return 'a compressed message that does not inflate';
      }
    }
    if (!this.fragmentsBinary && !isValidUtf8(data)) return 'a text message that is not UTF-8';
    observed.push({ kind: 'message', binary: this.fragmentsBinary, data });
    return undefined;
  }
}
