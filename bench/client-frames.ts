/**
 * The load client's side of the wire: the opening handshake request and its check, masked
 * client frames built once before a measurement, and a reader that counts the echoes.
 *
 * Rules of this file: no sockets, no timers. Everything the client sends during a
 * measurement is built here beforehand, so that sending costs a `socket.write` of bytes
 * that already exist, the same for every server.
 */
import { randomBytes } from 'node:crypto';
import { encodeClientFrame } from '../src/frame-encoder.js';
import { secWebSocketAccept } from '../src/opening-handshake.js';
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;

/** One key for every connection: the servers do not care, and the request is built once. */
const HANDSHAKE_KEY = randomBytes(16).toString('base64');
const EXPECTED_ACCEPT = secWebSocketAccept(HANDSHAKE_KEY);
const END_OF_HEADERS = Buffer.from('\r\n\r\n');
/** RFC 7692 §7.2.1: removed from the end of every compressed message. */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** RFC 6455 §4.1: the client's opening handshake, the same bytes for every server. */
export function handshakeRequest(port: number, offerDeflate: boolean): Buffer {
  const lines = [
    'GET / HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${HANDSHAKE_KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  // RFC 7692 §7.1.1.2: the client may receive at most a 15-bit window; let the server choose.
  if (offerDeflate) lines.push('Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

export interface HandshakeResponse {
  /** Bytes of the response head, "\r\n\r\n" included; what follows is frames. */
  length: number;
  /** The Sec-WebSocket-Extensions header, '' when absent. */
  extensions: string;
}

/**
 * The server's handshake response, once `head` holds all of it (else null).
 * @throws Error when it is not a valid 101 for our key
 */
export function readHandshakeResponse(head: Buffer): HandshakeResponse | null {
  const end = head.indexOf(END_OF_HEADERS);
  if (end < 0) return null;
  const text = head.subarray(0, end).toString('latin1');
  const [statusLine, ...headerLines] = text.split('\r\n');
  if (!/^HTTP\/1\.1 101\b/.test(statusLine ?? '')) throw new Error(`handshake refused: ${statusLine}`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('sec-websocket-accept') !== EXPECTED_ACCEPT) throw new Error('wrong Sec-WebSocket-Accept');
  return { length: end + END_OF_HEADERS.length, extensions: headers.get('sec-websocket-extensions') ?? '' };
}

/** RFC 7692 §7.1.2.2: the window the server allows the client, 15 when it says nothing. */
export function negotiatedClientWindowBits(extensions: string): number | null {
  const offer = extensions.split(',').map((entry) => entry.trim()).find((entry) => /^permessage-deflate\b/.test(entry));
  if (offer === undefined) return null;
  const bits = /client_max_window_bits\s*=\s*"?(\d+)/.exec(offer)?.[1];
  return bits === undefined ? 15 : Number(bits);
}

/** One client frame, masked with `maskKey` (RFC 6455 §5.2, §5.3): src/'s one client-frame encoder. */
export function maskedFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, maskKey: Uint8Array): Buffer {
  return encodeClientFrame(opcode, payload, maskKey, { fin, rsv: rsv1 ? 0b100 : 0 });
}

/** A Close frame with status 1000 and no reason. */
export function closeFrame(): Buffer {
  return maskedFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8]), true, false, randomBytes(4));
}

/** A small deterministic generator, so that every server gets the very same payload bytes. */
function pseudoRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the frame machine state close message text binary ping pong server client socket ' +
  'handshake upgrade payload length opcode mask fragment continuation protocol error ' +
  'connection event transition guard action deflate window buffer stream'
).split(' ');

/**
 * `size` bytes of ASCII text (valid UTF-8). `compressible`: words from a small vocabulary,
 * which deflate shrinks several times, like ordinary text; otherwise random letters.
 */
export function textPayload(size: number, compressible: boolean): Buffer {
  const random = pseudoRandom(6455);
  const payload = Buffer.allocUnsafe(size);
  if (!compressible) {
    for (let i = 0; i < size; i++) payload[i] = 0x61 + Math.floor(random() * 26);
    return payload;
  }
  let text = '';
  while (text.length < size) text += WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.1 ? '.\n' : ' ');
  payload.write(text.slice(0, size), 'latin1');
  return payload;
}

export interface MessageSpec {
  payload: Buffer;
  fragments: number;
  /** The negotiated client window for permessage-deflate, or null for no compression. */
  deflateWindowBits: number | null;
}

/**
 * All the frames of one text message, back to back in one buffer, masked.
 *
 * Compressed (RFC 7692 §7.2.1): the payload is compressed alone, flushed with Z_SYNC_FLUSH,
 * and the trailing 00 00 ff ff is dropped. A message compressed on its own never refers back
 * to earlier ones, so sending the same bytes again is valid with or without context takeover.
 */
export function messageFrames(spec: MessageSpec): Buffer {
  const maskKey = randomBytes(4);
  let body = spec.payload;
  const compressed = spec.deflateWindowBits !== null;
  if (compressed) {
    const deflated = deflateRawSync(spec.payload, {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      // zlib cannot make a raw stream with an 8-bit window; 9 bits fits inside it.
      windowBits: Math.max(9, spec.deflateWindowBits!),
    });
    body = deflated.subarray(0, deflated.length - DEFLATE_TAIL.length);
  }
  const fragments = Math.max(1, spec.fragments);
  const fragmentSize = Math.ceil(body.length / fragments);
  const frames: Buffer[] = [];
  for (let index = 0; index < fragments; index++) {
    const part = body.subarray(index * fragmentSize, Math.min(body.length, (index + 1) * fragmentSize));
    const opcode = index === 0 ? OPCODE_TEXT : OPCODE_CONTINUATION;
    frames.push(maskedFrame(opcode, part, index === fragments - 1, compressed && index === 0, maskKey));
  }
  return Buffer.concat(frames);
}

/** The payload a compressed message carries, uncompressed (RFC 7692 §7.2.2). */
export function inflateMessage(body: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([body, DEFLATE_TAIL]), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
}

function headerLength(secondByte: number): number {
  const length7 = secondByte & 0x7f;
  return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + ((secondByte & 0x80) !== 0 ? 4 : 0);
}

/**
 * Reads the server's frames in any chunking and counts the data messages that end (a data
 * frame with FIN). Payloads are skipped, not copied, except that of the next message after
 * `collectNextMessage()`, which is unmasked (the raw echo sends our masked frames back) and
 * handed to `onCollected`.
 */
export class EchoFrameReader {
  /** A Close, Ping or Pong frame ended; `payload` is its (unmasked) body. */
  onControlFrame: (opcode: number, payload: Buffer) => void = () => {};
  /** The message asked for by collectNextMessage() ended. */
  onCollected: (payload: Buffer, compressed: boolean) => void = () => {};

  private readonly scratch = Buffer.alloc(14);
  private scratchLength = 0;
  private inPayload = false;
  private payloadRemaining = 0;
  private fin = false;
  private opcode = 0;
  private masked = false;
  private readonly maskKey = Buffer.alloc(4);
  private maskOffset = 0;
  private messageCompressed = false;
  private collectMessage = false;
  private collected: Buffer[] = [];
  private controlPayload: Buffer[] = [];

  collectNextMessage(): void {
    this.collectMessage = true;
    this.collected = [];
  }

  /** Returns how many data messages ended in this chunk. */
  push(chunk: Buffer): number {
    const length = chunk.length;
    let pos = 0;
    let completed = 0;
    while (pos < length) {
      if (this.inPayload) {
        const take = Math.min(this.payloadRemaining, length - pos);
        if (this.opcode >= OPCODE_CLOSE) this.controlPayload.push(this.unmaskedCopy(chunk, pos, take));
        else if (this.collectMessage) this.collected.push(this.unmaskedCopy(chunk, pos, take));
        pos += take;
        this.payloadRemaining -= take;
        if (this.payloadRemaining === 0) {
          this.inPayload = false;
          if (this.endFrame()) completed++;
        }
        continue;
      }
      const available = length - pos;
      if (this.scratchLength === 0 && available >= 2 && available >= headerLength(chunk[pos + 1]!)) {
        pos += this.readHeader(chunk, pos);
      } else {
        // A header cut by the end of the chunk: gather it in the scratch.
        if (this.scratchLength < 2) {
          const take = Math.min(2 - this.scratchLength, available);
          chunk.copy(this.scratch, this.scratchLength, pos, pos + take);
          this.scratchLength += take;
          pos += take;
          if (this.scratchLength < 2) break;
        }
        const needed = headerLength(this.scratch[1]!);
        const take = Math.min(needed - this.scratchLength, length - pos);
        chunk.copy(this.scratch, this.scratchLength, pos, pos + take);
        this.scratchLength += take;
        pos += take;
        if (this.scratchLength < needed) break;
        this.scratchLength = 0;
        this.readHeader(this.scratch, 0);
      }
      if (!this.inPayload && this.endFrame()) completed++;
    }
    return completed;
  }

  /** Reads a complete header at `at`; returns its length. */
  private readHeader(source: Buffer, at: number): number {
    const first = source[at]!;
    const second = source[at + 1]!;
    this.fin = (first & 0x80) !== 0;
    this.opcode = first & 0x0f;
    if (this.opcode === OPCODE_TEXT || this.opcode === 0x2) this.messageCompressed = (first & 0x40) !== 0;
    this.masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = source.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      length = source.readUInt32BE(offset) * 0x100000000 + source.readUInt32BE(offset + 4);
      offset += 8;
    }
    if (this.masked) {
      source.copy(this.maskKey, 0, offset, offset + 4);
      offset += 4;
    }
    this.maskOffset = 0;
    this.payloadRemaining = length;
    this.inPayload = length > 0;
    this.controlPayload = [];
    return offset - at;
  }

  private unmaskedCopy(chunk: Buffer, from: number, length: number): Buffer {
    const copy = Buffer.from(chunk.subarray(from, from + length));
    if (this.masked) {
      for (let i = 0; i < length; i++) copy[i]! ^= this.maskKey[(this.maskOffset + i) & 3]!;
      this.maskOffset = (this.maskOffset + length) & 3;
    }
    return copy;
  }

  /** The current frame is complete; returns whether a data message ended with it. */
  private endFrame(): boolean {
    if (this.opcode >= OPCODE_CLOSE) {
      this.onControlFrame(this.opcode, Buffer.concat(this.controlPayload));
      return false;
    }
    if (!this.fin) return false;
    if (this.collectMessage) {
      this.collectMessage = false;
      this.onCollected(Buffer.concat(this.collected), this.messageCompressed);
      this.collected = [];
    }
    return true;
  }
}
