/**
 * The wire adapter: turns a machine event of a generated path into a step a client takes on TCP.
 *
 * How a path of one machine becomes a wire scenario: the three machines run side by side on one
 * connection, and only a path of one machine is followed. Each event of the path becomes the
 * client's wire step that makes the server derive exactly that event (the protocol core's rules,
 * src/connection-protocol.ts); the other machines follow from the same bytes — a Ping sent as the
 * closing-handshake machine's PING_FRAME is the message machine's CONTROL_FRAME too — and the
 * model (protocol-model.ts) predicts what all three do. A path of the message or closing-handshake
 * machine starts with the opening handshake (event-samples.ts `openingHandshakeOf`); the
 * connection machine's paths make their own.
 *
 * Events that are not a wire input by themselves are produced as part of their frame: a data
 * frame's event (TEXT_FRAME, …) is its header (up to the masking key) and FRAME_END the rest of
 * it, so each can be checked on its own; CONTROL_FRAME is a whole Ping. An event that a previous
 * step already produced (TCP_CLOSED once both sides ended TCP) takes no step of its own.
 *
 * Payloads: text fragments are `m<message>f<fragment>;`, binary ones 4 octets that are not UTF-8;
 * a compressed message's fragments are compressed one by one (raw deflate, sync flush; the final
 * one without its 00 00 ff ff, RFC 7692 §7.2.1), which concatenated is one valid deflate stream.
 * Writes are chopped (whole, 1-octet writes, or two writes) by a seeded generator.
 */
import { constants, deflateRawSync } from 'node:zlib';
import type { DataFrameEvent, FailureCauseType, ProtocolEvent } from '../../machines/protocol-events.js';
import { Opcode } from '../opcode.js';
import type { ProtocolModel } from './protocol-model.js';
import { encodeWireFrame, type Chopping, type WireFrame, type WireStep } from './wire-steps.js';

/** A small deterministic generator (mulberry32): the same seed, the same scenario. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  bytes(count: number): Buffer {
    return Buffer.from(Array.from({ length: count }, () => Math.floor(this.next() * 256)));
  }
}

/** A seed for a path: the run's seed mixed with the path's id (FNV-1a). */
export function pathSeed(seed: number, pathId: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < pathId.length; i++) hash = Math.imul(hash ^ pathId.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** RFC 7692 §7.2.1: compress with a sync flush; a message's last piece drops the trailing 00 00 ff ff. */
function deflatePiece(plain: Buffer, last: boolean): Buffer {
  const output = deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH });
  return last ? output.subarray(0, output.length - 4) : output;
}

/** A Close body from the sample: no body, 1 octet, or a code and a reason of the sample's length. */
function closeBody(event: Extract<ProtocolEvent, { type: 'CLOSE_FRAME' }>): Buffer {
  if (event.payloadLength === 0) return Buffer.alloc(0);
  if (event.payloadLength === 1) return Buffer.from([0x03]);
  const body = Buffer.alloc(event.payloadLength);
  body.writeUInt16BE(event.code, 0);
  const reasonLength = event.payloadLength - 2;
  if (reasonLength > 0) {
    // A valid reason is ASCII; an invalid one ends in 0xff, never valid in UTF-8 (RFC 3629 §1).
    body.write('bye'.padEnd(reasonLength, '!').slice(0, reasonLength), 2, 'latin1');
    if (!event.reasonIsUtf8) body[body.length - 1] = 0xff;
  }
  return body;
}

/** The message size limit assumed when the target does not say (statesocket's default, 64 MiB). */
const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

const zipBombs = new Map<number, Buffer>();
/** Zeros one MiB past `limit`, compressed (about a thousandth of the size): made once per limit. */
function zipBomb(limit: number): Buffer {
  let bomb = zipBombs.get(limit);
  if (bomb === undefined) zipBombs.set(limit, (bomb = deflatePiece(Buffer.alloc(limit + 1024 * 1024), true)));
  return bomb;
}

export class WireAdapter {
  private readonly random: SeededRandom;
  /** The data frame whose header was sent and whose payload was not. */
  private pendingFrame: WireFrame | undefined;
  private messages = 0;
  private fragments = 0;
  private controls = 0;

  constructor(
    seed: number,
    /** The target's `host:port`, for the Host header. */
    private readonly authority: string,
    /** The target's message size limit. */
    private readonly maxMessageSize: number = DEFAULT_MAX_MESSAGE_SIZE,
  ) {
    this.random = new SeededRandom(seed);
  }

  private chopping(): Chopping {
    const roll = this.random.next();
    return roll < 0.5 ? 'whole' : roll < 0.8 ? 'octets' : 'halves';
  }

  private frame(opcode: number, payload: Buffer, options: { fin?: boolean; rsv?: number; masked?: boolean; plain?: Buffer } = {}): WireFrame {
    return {
      opcode,
      fin: options.fin ?? true,
      rsv: options.rsv ?? 0,
      masked: options.masked ?? true,
      payload,
      plain: options.plain ?? payload,
      maskKey: this.random.bytes(4),
    };
  }

  private whole(frame: WireFrame): WireStep {
    return { kind: 'frame', frame, part: 'whole', chopping: this.chopping() };
  }

  private controlPayload(kind: string): Buffer {
    return Buffer.from(`${kind} ${++this.controls}`);
  }

  /**
   * The wire step that produces `event` from the model's current state; undefined when no step
   * can (FRAME_END with no frame begun).
   */
  stepFor(event: ProtocolEvent, model: ProtocolModel): WireStep | undefined {
    switch (event.type) {
      case 'HANDSHAKE_REQUEST':
        return {
          kind: 'handshake',
          method: event.method,
          httpVersion: event.httpVersion,
          headers: { ...(event.headers as Record<string, string>), host: this.authority },
          offerDeflate: event.perMessageDeflateAgreed,
        };
      case 'TEXT_FRAME':
      case 'BINARY_FRAME':
      case 'CONTINUATION_FRAME': {
        const opcode = event.type === 'TEXT_FRAME' ? Opcode.text : event.type === 'BINARY_FRAME' ? Opcode.binary : Opcode.continuation;
        if (opcode !== Opcode.continuation) {
          this.messages++;
          this.fragments = 0;
        }
        this.fragments++;
        const isText = opcode === Opcode.text || (opcode === Opcode.continuation && model.messageIsText);
        const plain = isText
          ? Buffer.from(`m${this.messages}f${this.fragments};`)
          : Buffer.from([0xff, this.messages & 0xff, this.fragments & 0xff, 0x00]);
        // RFC 7692 §6: RSV1 on the first frame marks the message compressed; continuations follow suit.
        const compressed = opcode === Opcode.continuation ? model.messageIsCompressed && !event.rsv1 : event.rsv1;
        const payload = compressed ? deflatePiece(plain, event.fin) : plain;
        const frame = this.frame(opcode, payload, { fin: event.fin, rsv: event.rsv1 ? 4 : 0, plain });
        this.pendingFrame = frame;
        return { kind: 'frame', frame, part: 'header', chopping: this.chopping() };
      }
      case 'FRAME_END': {
        const frame = this.pendingFrame;
        this.pendingFrame = undefined;
        return frame === undefined ? undefined : { kind: 'frame', frame, part: 'payload', chopping: this.chopping() };
      }
      case 'CONTROL_FRAME':
      case 'PING_FRAME':
        return this.whole(this.frame(Opcode.ping, this.controlPayload('ping')));
      case 'PONG_FRAME':
        return this.whole(this.frame(Opcode.pong, this.controlPayload('pong')));
      case 'CLOSE_FRAME':
        return this.whole(this.frame(Opcode.close, closeBody(event)));
      case 'CLOSE_REQUESTED':
        return { kind: 'request-close', code: event.code };
      case 'CLOSE_TIMEOUT':
        return { kind: 'await-close-timeout' };
      case 'TCP_END':
        return { kind: 'tcp-end' };
      case 'TCP_CLOSED':
        // Once the server has ended its side, ending ours closes TCP cleanly; otherwise drop it.
        return model.serverEnded && !model.clientEnded ? { kind: 'tcp-end' } : { kind: 'tcp-reset' };
      case 'CONNECTION_FAILED':
        // A continuation frame with no message to continue: the message machine fails the connection.
        return this.whole(this.frame(Opcode.continuation, Buffer.from('orphan')));
      case 'CONNECTION_OPENED':
      case 'SEND_REQUESTED':
      case 'PING_REQUESTED':
      case 'PONG_REQUESTED':
      case 'TERMINATE_REQUESTED':
      case 'HEARTBEAT_DUE':
      case 'PONG_TIMEOUT':
      case 'PONGS_UNREAD':
      // The client role: a server cannot be driven into it over the wire (in-process paths only).
      case 'CLIENT_HANDSHAKE_SENT':
      case 'HANDSHAKE_RESPONSE':
      case 'RESPONSE_TIMEOUT':
      case 'MASKED_FRAME':
      case 'HANDSHAKE_TIMEOUT':
      // The application's decision on a request left to it (`verifyClient`, `handleProtocols`).
      case 'APPLICATION_ACCEPTED':
      case 'APPLICATION_REFUSED':
      case 'BUFFERED_AMOUNT_EXCEEDED':
        // The opening handshake makes CONNECTION_OPENED; the other application calls and the heartbeat timer are not wire steps.
        return undefined;
      default:
        return this.violation(event.type, model);
    }
  }

  /** The bytes that make the server fail the connection for `cause`; undefined where they cannot here. */
  private violation(cause: FailureCauseType, model: ProtocolModel): WireStep | undefined {
    const hello = Buffer.from('hello');
    const header = (frame: WireFrame) => encodeWireFrame(frame).header;
    const whole = (frame: WireFrame) => {
      const { header: head, payload } = encodeWireFrame(frame);
      return Buffer.concat([head, payload]);
    };
    const atHeader = (bytes: Buffer): WireStep => ({ kind: 'violation', cause, bytes, atHeader: true, opening: undefined, inflated: false, chopping: this.chopping() });
    const inPayload = (bytes: Buffer, opening: DataFrameEvent, inflated = false, chopping = this.chopping()): WireStep =>
      ({ kind: 'violation', cause, bytes, atHeader: false, opening, inflated, chopping });
    /** A 64-bit length field: 127, then the 8 octets, then a masking key. */
    const longHeader = (high: number, low: number) => {
      const bytes = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
      bytes.writeUInt32BE(high, 2);
      bytes.writeUInt32BE(low, 6);
      return bytes;
    };
    switch (cause) {
      case 'RSV1_NOT_ALLOWED':
        // RFC 7692 §6: never on a control frame, with or without permessage-deflate.
        return atHeader(header(this.frame(Opcode.ping, hello, { rsv: 4 })));
      case 'RSV2_OR_RSV3_SET':
        return atHeader(header(this.frame(Opcode.text, hello, { rsv: 2 })));
      case 'RESERVED_OPCODE':
        return atHeader(header(this.frame(0x3, hello)));
      case 'FRAGMENTED_CONTROL_FRAME':
        return atHeader(header(this.frame(Opcode.ping, hello, { fin: false })));
      case 'CONTROL_FRAME_TOO_LONG':
        return atHeader(header(this.frame(Opcode.ping, Buffer.alloc(126, 0x2a))));
      case 'UNMASKED_FRAME':
        return atHeader(header(this.frame(Opcode.text, hello, { masked: false })));
      case 'INVALID_PAYLOAD_LENGTH':
        return atHeader(longHeader(0x80000000, 0).subarray(0, 10));
      case 'UNSUPPORTED_PAYLOAD_LENGTH':
        return atHeader(longHeader(0x00200000, 0).subarray(0, 10));
      case 'MESSAGE_TOO_BIG':
        // 2^40 octets announced: over any server's limit, refused before the payload.
        return inPayload(longHeader(0x100, 0), { type: 'BINARY_FRAME', fin: true, rsv1: false });
      case 'INVALID_UTF8':
        return inPayload(whole(this.frame(Opcode.text, Buffer.from([0x48, 0x69, 0xff]))), { type: 'TEXT_FRAME', fin: true, rsv1: false });
      case 'INFLATED_TOO_BIG':
      case 'CORRUPT_COMPRESSED_DATA':
      case 'INFLATED_TEXT_NOT_UTF8': {
        if (!model.deflateAgreed) return undefined;
        const payload =
          cause === 'INFLATED_TOO_BIG'
            ? zipBomb(this.maxMessageSize)
            : cause === 'CORRUPT_COMPRESSED_DATA'
              ? Buffer.from([0xff, 0xff, 0xff, 0xff])
              : deflatePiece(Buffer.from([0x48, 0x69, 0xff]), true);
        const bytes = whole(this.frame(Opcode.text, payload, { rsv: 4 }));
        return inPayload(bytes, { type: 'TEXT_FRAME', fin: true, rsv1: true }, true, cause === 'INFLATED_TOO_BIG' ? 'whole' : this.chopping());
      }
    }
  }
}
