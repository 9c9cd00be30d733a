/**
 * The conformance client: a WebSocket client over raw TCP (`node:net`) that does what
 * Autobahn|Testsuite's fuzzing client does — frames written exactly as a case asks (masked or
 * not, any opcode, RSV bits, chopped into flushed pieces) — and records what came back and
 * how the connection ended, for grade.ts.
 *
 * The closing rules are the fuzzing client's: the closing handshake must complete within 1 s
 * of the client's Close, and the server must drop TCP within 1 s after it (RFC 6455 §7.1.1:
 * "the server ... close[s] the underlying TCP connection" first); otherwise the client drops
 * TCP itself, which grades "FAILED BY CLIENT".
 *
 * permessage-deflate (RFC 7692), when a case offers it: the client checks the server's answer
 * (§7.1), compresses every message it sends with `sendMessage` (RSV1 on the first frame), and
 * inflates every message that arrives with RSV1 — see permessage-deflate-client.ts. Inflating
 * is asynchronous (zlib's thread pool), so with the extension agreed, messages are recorded
 * through one ordered queue, and `closed` waits for it to drain.
 */
import { isUtf8 } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { encodeClientFrame } from '../../src/frame-encoder.js';
import { secWebSocketAccept } from '../../src/opening-handshake.js';
import { Opcode, type CaseClient, type FrameToSend, type ReceivedEvent, type SentMessage } from './case.js';
import { acceptDeflateResponse, ClientDeflate, type AgreedDeflate } from './permessage-deflate-client.js';

/** Autobahn's client gives the server this long to answer the opening handshake. */
export const OPENING_HANDSHAKE_TIMEOUT_MS = 5000;
/** ... this long to answer the client's Close. */
export const CLOSING_HANDSHAKE_TIMEOUT_MS = 1000;
/** ... and this long to drop TCP once both Close frames are exchanged. */
export const SERVER_DROP_TIMEOUT_MS = 1000;
/** The pause after a `sync` write (Autobahn flushes and yields to the network). */
const SYNC_PAUSE_MS = 20;
/**
 * The longest the clients write without yielding to the event loop. A write the kernel takes at
 * once completes in a microtask, so a script writing thousands of frames would otherwise hold
 * the loop — and the server, which shares this process in the tests, could not read them.
 */
const MAX_WRITE_SLICE_MS = 10;
let lastYield = performance.now();

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a connection asks for beyond a plain opening handshake. */
export interface ConnectOptions {
  /** The |Sec-WebSocket-Extensions| header to send, as written (e.g. a permessage-deflate offer). */
  extensionOffer?: string | undefined;
  /** Record messages as `messageDigest` events (length and SHA-1) instead of their payloads. */
  digestMessages?: boolean | undefined;
}

const MAX_RESPONSE_HEAD = 16 * 1024;
const NORMAL_CLOSURE = 1000;

/** How the connection ended, seen from the client: what grade.ts grades the closing behaviour on. */
export interface CloseOutcome {
  /** Who wrote the first Close frame, if anyone did. */
  closeStartedBy: 'client' | 'server' | undefined;
  /** The client wrote a Close frame (its own or its answer to the server's). */
  clientCloseSent: boolean;
  /** The server's Close frame arrived. */
  serverCloseReceived: boolean;
  /** The status code in the server's Close frame; undefined when its body was empty (or no Close came). */
  serverCloseCode: number | undefined;
  serverCloseReason: string | undefined;
  /** The server dropped TCP (FIN or reset) while the client's side was still open. */
  serverDroppedTcp: boolean;
  /** The client had to drop TCP itself. */
  droppedByClient: boolean;
  /** Why the client dropped TCP. */
  droppedReason: string | undefined;
  /** Autobahn's `wasClean`: both Close frames exchanged and the server dropped TCP. */
  wasClean: boolean;
  /** The first protocol violation the client saw in what the server sent. */
  serverViolation: string | undefined;
}

function toBytes(payload: string | Uint8Array | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/** Random octets for masking keys, drawn from the CSPRNG 4 KiB at a time (a call per frame is slow). */
let randomPool = Buffer.alloc(0);
let randomPoolOffset = 0;

function randomMaskingKey(): Buffer {
  if (randomPoolOffset + 4 > randomPool.length) {
    randomPool = randomBytes(4096);
    randomPoolOffset = 0;
  }
  randomPoolOffset += 4;
  return randomPool.subarray(randomPoolOffset - 4, randomPoolOffset);
}

/**
 * Autobahn's cutting of a message into frame payloads: a payload no longer than `fragmentSize`
 * (or any payload when `fragmentSize` is absent or 0) is one frame; otherwise pieces of
 * `fragmentSize` octets until one would run past the end, so an exact multiple ends with an
 * empty piece.
 */
export function cutIntoFragments(octets: Uint8Array, fragmentSize: number | undefined): Uint8Array[] {
  if (fragmentSize === undefined || fragmentSize <= 0 || octets.length <= fragmentSize) return [octets];
  const pieces: Uint8Array[] = [];
  for (let start = 0; ; start += fragmentSize) {
    const end = start + fragmentSize;
    pieces.push(octets.subarray(start, Math.min(end, octets.length)));
    if (end > octets.length) return pieces;
  }
}

/**
 * Encodes a frame as RFC 6455 §5.2 lays it out: FIN, RSV1–3, opcode; MASK and the payload
 * length in 7, 7+16 or 7+64 bits; the masking key; the (masked) payload. Any field a case
 * gives is written as given, valid or not.
 */
export function encodeFrame(frame: FrameToSend): Buffer {
  // §5.3: "The masking key is a 32-bit value chosen at random by the client" — a fresh one per frame.
  const maskKey = (frame.mask ?? true) ? randomMaskingKey() : null;
  return encodeClientFrame(frame.opcode, toBytes(frame.payload), maskKey, { fin: frame.fin ?? true, rsv: frame.rsv ?? 0 });
}

/** Incoming octets not parsed yet, kept as the chunks they came in (no copying until a frame is complete). */
export class IncomingOctets {
  private chunks: Buffer[] = [];
  private offset = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `count` octets, without consuming them. */
  peek(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    let copied = 0;
    for (let i = 0; copied < count; i++) {
      const chunk = this.chunks[i]!;
      const start = i === 0 ? this.offset : 0;
      copied += chunk.copy(out, copied, start, Math.min(chunk.length, start + count - copied));
    }
    return out;
  }

  /** Consumes `count` octets. */
  take(count: number): Buffer {
    const first = this.chunks[0];
    if (count === 0 || first === undefined) return Buffer.alloc(0);
    if (first.length - this.offset >= count) {
      const out = first.subarray(this.offset, this.offset + count);
      this.skip(count);
      return out;
    }
    const out = this.peek(count);
    this.skip(count);
    return out;
  }

  skip(count: number): void {
    this.length -= count;
    while (count > 0) {
      const available = this.chunks[0]!.length - this.offset;
      if (available > count) {
        this.offset += count;
        return;
      }
      count -= available;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }
}

interface FrameHeader {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  headerLength: number;
  payloadLength: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x08) !== 0;
}

/**
 * One connection to the server, driven by a case's script. Open it with `WireClient.connect`;
 * `closed` resolves when the TCP connection is gone; `outcome()` tells how it ended.
 */
export class WireClient implements CaseClient {
  readonly masksFrames = true;
  readonly received: ReceivedEvent[] = [];
  readonly sent: SentMessage[] = [];
  /** Resolves when the TCP connection is closed, however that happened, and every message that arrived is recorded. */
  readonly closed: Promise<void>;
  /** The server's |Sec-WebSocket-Extensions| answer; undefined when it sent none. */
  extensionResponse: string | undefined;
  /** What permessage-deflate parameters were agreed; undefined when it was not. */
  agreedDeflate: AgreedDeflate | undefined;

  private readonly socket: Socket;
  private readonly options: ConnectOptions;
  private deflate: ClientDeflate | undefined;
  /** With permessage-deflate: messages wait here, in order, until inflated and recorded. */
  private deliveries: Promise<void> = Promise.resolve();
  /** Whether the message in progress is compressed (RSV1 on its first frame). */
  private fragmentsCompressed = false;
  private readonly key = randomBytes(16).toString('base64');
  /** The server's answer to the opening handshake so far; undefined once it is complete. */
  private handshakeHead: Buffer | undefined = Buffer.alloc(0);
  /** Octets after the answer's head: the first frames. */
  private handshakeRest: Buffer | undefined;
  private readonly incoming = new IncomingOctets();
  private pendingHeader: FrameHeader | undefined;
  /** The fragments of the message in progress, and its opcode. */
  private fragments: Buffer[] | undefined;
  private fragmentsOpcode = 0;
  /** After the server's Close or a violation, nothing more is read. */
  private ignoringIncoming = false;

  private messageCount = 0;
  private pongCount = 0;
  private waiters: (() => boolean)[] = [];
  private writeQueue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closingHandshakeTimer: NodeJS.Timeout | undefined;

  private tcpClosed = false;
  private closeStartedBy: CloseOutcome['closeStartedBy'];
  private clientCloseSent = false;
  private serverCloseReceived = false;
  private serverCloseCode: number | undefined;
  private serverCloseReason: string | undefined;
  private serverDroppedTcp = false;
  private droppedByClient = false;
  private droppedReason: string | undefined;
  private serverViolation: string | undefined;
  private resolveClosed!: () => void;

  private constructor(socket: Socket, options: ConnectOptions) {
    this.socket = socket;
    this.options = options;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('end', () => this.onServerEnd());
    socket.on('close', () => this.onTcpClosed());
    // A reset after the server closed is how some servers drop TCP; 'close' follows and says enough.
    socket.on('error', () => {});
  }

  /**
   * Connects to `url` (ws://host:port), asks for `path` and completes the opening handshake
   * (RFC 6455 §4.1) with a random 16-octet key, checking the 101 and |Sec-WebSocket-Accept|
   * and, when `options.extensionOffer` is given, the server's answer to it (RFC 7692 §7.1).
   * Rejects when the handshake fails or takes longer than 5 s.
   */
  static async connect(url: string, path: string, options: ConnectOptions = {}): Promise<WireClient> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true, noDelay: true });
    const client = new WireClient(socket, options);
    try {
      await client.openingHandshake(`${hostname}:${port}`, path);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return client;
  }

  private openingHandshake(host: string, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (problem: string | undefined) => {
        clearTimeout(timer);
        this.socket.off('error', onError);
        this.socket.off('close', onClose);
        if (problem === undefined) resolve();
        else reject(new Error(`opening handshake failed: ${problem}`));
      };
      const onError = (error: Error) => settle(error.message);
      const onClose = () => settle('the connection closed');
      const timer = setTimeout(() => settle(`no answer within ${OPENING_HANDSHAKE_TIMEOUT_MS} ms`), OPENING_HANDSHAKE_TIMEOUT_MS);
      this.socket.on('error', onError);
      this.socket.on('close', onClose);
      this.socket.on('data', (chunk: Buffer) => {
        if (this.handshakeHead === undefined) {
          this.onFrameData(chunk);
          return;
        }
        const problem = this.onHandshakeData(chunk);
        if (problem !== undefined) settle(problem);
        else if (this.handshakeHead === undefined) {
          settle(undefined);
          const rest = this.handshakeRest;
          this.handshakeRest = undefined;
          if (rest !== undefined && rest.length > 0) this.onFrameData(rest);
        }
      });
      this.socket.once('connect', () => {
        this.socket.write(
          [
            `GET ${path} HTTP/1.1`,
            `Host: ${host}`,
            'User-Agent: statesocket-conformance',
            'Upgrade: websocket',
            'Connection: Upgrade',
            `Sec-WebSocket-Key: ${this.key}`,
            'Sec-WebSocket-Version: 13',
            ...(this.options.extensionOffer !== undefined ? [`Sec-WebSocket-Extensions: ${this.options.extensionOffer}`] : []),
            '',
            '',
          ].join('\r\n'),
        );
      });
    });
  }

  /** Reads the server's answer to the opening handshake; returns what is wrong with it, if anything. */
  private onHandshakeData(chunk: Buffer): string | undefined {
    const head = Buffer.concat([this.handshakeHead!, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      this.handshakeHead = head;
      return head.length > MAX_RESPONSE_HEAD ? 'the response head is too long' : undefined;
    }
    const [statusLine = '', ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      // RFC 7230 §3.2.2: repeated list headers are one list.
      const earlier = headers.get(name);
      headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
    }
    const tokens = (name: string) => (headers.get(name) ?? '').toLowerCase().split(',').map((token) => token.trim());
    // RFC 6455 §4.1: the client checks the status, |Upgrade|, |Connection| and |Sec-WebSocket-Accept|.
    if (!/^HTTP\/1\.1 101\b/.test(statusLine)) return `expected 101 Switching Protocols, got "${statusLine}"`;
    if (!tokens('upgrade').includes('websocket')) return 'no "Upgrade: websocket" in the 101';
    if (!tokens('connection').includes('upgrade')) return 'no "Connection: Upgrade" in the 101';
    const accept = secWebSocketAccept(this.key);
    if (headers.get('sec-websocket-accept') !== accept) {
      return `Sec-WebSocket-Accept is "${headers.get('sec-websocket-accept')}", expected "${accept}"`;
    }
    const problem = this.readExtensionResponse(headers.get('sec-websocket-extensions'));
    if (problem !== undefined) return problem;
    this.handshakeHead = undefined;
    this.handshakeRest = head.subarray(end + 4);
    return undefined;
  }

  /**
   * RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Extensions| header field and this
   * header field indicates the use of an extension that was not present in the client's
   * handshake ..., the client MUST _Fail the WebSocket Connection_"; RFC 7692 §7.1 says what a
   * permessage-deflate answer may hold.
   */
  private readExtensionResponse(response: string | undefined): string | undefined {
    this.extensionResponse = response;
    const offer = this.options.extensionOffer;
    if (offer === undefined) {
      return response === undefined ? undefined : `the server answered Sec-WebSocket-Extensions "${response}" to no offer`;
    }
    const answer = acceptDeflateResponse(offer, response);
    if (answer.problem !== undefined) return answer.problem;
    this.agreedDeflate = answer.agreed;
    if (answer.agreed !== undefined) this.deflate = new ClientDeflate(answer.agreed);
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Reading frames

  private onFrameData(chunk: Buffer): void {
    if (this.ignoringIncoming) return;
    this.incoming.push(chunk);
    while (!this.ignoringIncoming) {
      const header = this.pendingHeader ?? this.readHeader();
      if (header === undefined) return;
      if (this.incoming.length < header.headerLength + header.payloadLength) {
        this.pendingHeader = header;
        return;
      }
      this.pendingHeader = undefined;
      this.incoming.skip(header.headerLength);
      this.onFrame(header, this.incoming.take(header.payloadLength));
    }
    this.incoming.clear();
  }

  /** The next frame's header once all its octets are here; undefined until then. Fails the connection on a bad header. */
  private readHeader(): FrameHeader | undefined {
    if (this.incoming.length < 2) return undefined;
    const [b0, b1] = this.incoming.peek(2);
    const masked = (b1! & 0x80) !== 0;
    const length7 = b1! & 0x7f;
    const extendedLengthOctets = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerLength = 2 + extendedLengthOctets + (masked ? 4 : 0);
    if (this.incoming.length < headerLength) return undefined;
    const head = this.incoming.peek(headerLength);
    let payloadLength = length7;
    if (extendedLengthOctets === 2) payloadLength = head.readUInt16BE(2);
    else if (extendedLengthOctets === 8) {
      const long = head.readBigUInt64BE(2);
      if (long > BigInt(Number.MAX_SAFE_INTEGER)) return this.serverBrokeProtocol(`a frame of ${long} octets`);
      payloadLength = Number(long);
    }
    const header: FrameHeader = {
      fin: (b0! & 0x80) !== 0,
      rsv: (b0! >> 4) & 0b111,
      opcode: b0! & 0x0f,
      masked,
      headerLength,
      payloadLength,
    };
    // §5.1: "A server MUST NOT mask any frames that it sends to the client."
    if (header.masked) return this.serverBrokeProtocol('a masked frame');
    // §5.2: RSV bits are 0 unless an extension gives them a meaning. RFC 7692 §6: with
    // permessage-deflate, RSV1 marks a compressed message — on its first frame only.
    if (header.rsv !== 0) {
      const startsMessage = header.opcode === Opcode.text || header.opcode === Opcode.binary;
      if (header.rsv !== 0b100 || this.deflate === undefined) return this.serverBrokeProtocol(`a frame with RSV bits ${header.rsv}`);
      if (!startsMessage) return this.serverBrokeProtocol(`RSV1 on a frame with opcode ${header.opcode} (RFC 7692 §6.1)`);
    }
    if (isControlOpcode(header.opcode)) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (!header.fin) return this.serverBrokeProtocol('a fragmented control frame');
      if (payloadLength > 125) return this.serverBrokeProtocol(`a control frame of ${payloadLength} octets`);
    }
    return header;
  }

  private onFrame(header: FrameHeader, payload: Buffer): void {
    switch (header.opcode) {
      case Opcode.close:
        this.onServerClose(payload);
        return;
      case Opcode.ping:
        // §5.5.2: answer with a Pong carrying the Ping's payload (a server seldom pings).
        void this.enqueueWrite(encodeFrame({ opcode: Opcode.pong, payload }), {});
        return;
      case Opcode.pong:
        this.pongCount++;
        this.received.push(['pong', new Uint8Array(payload)]);
        this.notifyWaiters();
        return;
      case Opcode.text:
      case Opcode.binary:
        if (this.fragments !== undefined) {
          this.serverBrokeProtocol('a new message while a fragmented one was in progress');
          return;
        }
        this.fragments = [payload];
        this.fragmentsOpcode = header.opcode;
        this.fragmentsCompressed = (header.rsv & 0b100) !== 0;
        break;
      case Opcode.continuation:
        if (this.fragments === undefined) {
          this.serverBrokeProtocol('a continuation frame with no message in progress');
          return;
        }
        this.fragments.push(payload);
        break;
      default:
        this.serverBrokeProtocol(`a frame with the reserved opcode ${header.opcode}`);
        return;
    }
    if (!header.fin) return;
    const data = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
    this.fragments = undefined;
    const isText = this.fragmentsOpcode === Opcode.text;
    const deflate = this.deflate;
    if (deflate === undefined) {
      this.recordMessage(data, isText);
      return;
    }
    // RFC 7692 §7.2.2: a message with RSV1 is inflated; one without is taken as it is. Either
    // way it waits behind the messages before it.
    const message = this.fragmentsCompressed ? deflate.inflate(data) : Promise.resolve(data);
    this.deliveries = this.deliveries.then(() =>
      message.then(
        (octets) => this.recordMessage(octets, isText),
        (error: unknown) => void this.serverBrokeProtocol(`a compressed message that does not inflate (${(error as Error).message})`),
      ),
    );
  }

  /** Records a whole message (text checked as UTF-8) and wakes whoever waits for it. */
  private recordMessage(data: Buffer, isText: boolean): void {
    if (this.options.digestMessages) {
      if (isText && !isUtf8(data)) {
        this.serverBrokeProtocol('a text message that is not valid UTF-8');
        return;
      }
      const sha1 = createHash('sha1').update(data).digest('hex');
      this.received.push(['messageDigest', { length: data.length, sha1 }, !isText]);
    } else if (isText) {
      let text: string;
      try {
        text = utf8.decode(data);
      } catch {
        this.serverBrokeProtocol('a text message that is not valid UTF-8');
        return;
      }
      this.received.push(['message', text, false]);
    } else {
      this.received.push(['message', new Uint8Array(data.buffer, data.byteOffset, data.length), true]);
    }
    this.messageCount++;
    this.notifyWaiters();
  }

  /** §5.5.1: the server's Close. The client answers it (if it did not close first) and waits for the server to drop TCP. */
  private onServerClose(body: Buffer): void {
    this.serverCloseReceived = true;
    this.ignoringIncoming = true;
    if (this.closingHandshakeTimer !== undefined) this.clearTimer(this.closingHandshakeTimer);
    if (body.length === 1) this.serverViolation ??= 'a Close frame with a 1-octet body';
    if (body.length >= 2) {
      this.serverCloseCode = body.readUInt16BE(0);
      try {
        this.serverCloseReason = utf8.decode(body.subarray(2));
      } catch {
        this.serverViolation ??= 'a Close reason that is not valid UTF-8';
        this.serverCloseReason = body.subarray(2).toString('utf8');
      }
    }
    if (!this.clientCloseSent) {
      this.closeStartedBy ??= 'server';
      this.clientCloseSent = true;
      // Autobahn's client answers every Close with 1000. Written at once: nothing queued goes out after it.
      if (this.socketWritable()) this.socket.write(encodeFrame({ opcode: Opcode.close, payload: Uint8Array.of(0x03, 0xe8) }));
    }
    this.startTimer(SERVER_DROP_TIMEOUT_MS, () =>
      this.drop(`the server did not drop TCP within ${SERVER_DROP_TIMEOUT_MS} ms of the closing handshake`),
    );
  }

  /** Like Autobahn's client, fail the connection at once by dropping TCP. */
  private serverBrokeProtocol(what: string): undefined {
    this.serverViolation ??= `the server sent ${what}`;
    this.ignoringIncoming = true;
    this.drop(`the server sent ${what}`);
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // TCP

  private onServerEnd(): void {
    if (!this.droppedByClient) this.serverDroppedTcp = true;
    // Close our side too: the server's FIN ends the connection.
    this.socket.end();
  }

  private onTcpClosed(): void {
    if (this.tcpClosed) return;
    this.tcpClosed = true;
    if (!this.droppedByClient) this.serverDroppedTcp = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.notifyWaiters();
    // Messages still being inflated are recorded before the connection counts as closed.
    void this.deliveries.then(() => {
      this.deflate?.close();
      this.resolveClosed();
    });
  }

  /** The client drops TCP (Autobahn's `dropConnection`): counted as "failed by client". */
  drop(reason: string): void {
    if (this.tcpClosed || this.serverDroppedTcp || this.droppedByClient) return;
    this.droppedByClient = true;
    this.droppedReason = reason;
    this.socket.destroy();
  }

  /** Whether the connection closed within `ms`. */
  async waitForClose(ms: number): Promise<boolean> {
    if (this.tcpClosed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([this.closed.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  get isClosed(): boolean {
    return this.tcpClosed;
  }

  outcome(): CloseOutcome {
    return {
      closeStartedBy: this.closeStartedBy,
      clientCloseSent: this.clientCloseSent,
      serverCloseReceived: this.serverCloseReceived,
      serverCloseCode: this.serverCloseCode,
      serverCloseReason: this.serverCloseReason,
      serverDroppedTcp: this.serverDroppedTcp,
      droppedByClient: this.droppedByClient,
      droppedReason: this.droppedReason,
      wasClean: this.clientCloseSent && this.serverCloseReceived && this.serverDroppedTcp && !this.droppedByClient,
      serverViolation: this.serverViolation,
    };
  }

  private startTimer(ms: number, action: () => void): NodeJS.Timeout | undefined {
    if (this.tcpClosed) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Resolves after `ms`, or as soon as the connection closes. */
  private pause(ms: number): Promise<void> {
    if (this.tcpClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      void this.closed.then(finish);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Writing

  private socketWritable(): boolean {
    return !this.tcpClosed && !this.socket.destroyed && !this.socket.writableEnded;
  }

  /** The client writes while TCP is open and until the server's Close arrives (then it has answered). */
  private mayWrite(): boolean {
    return this.socketWritable() && !this.serverCloseReceived;
  }

  /** Writes one chunk and waits until it is handed to the kernel (or the connection is gone). */
  private writeChunk(chunk: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('close', done);
      this.socket.write(chunk, done);
    });
  }

  /**
   * Writes go one after the other in the order they were asked for, whether or not the script
   * awaits them; each resolves once its octets are flushed (and, for `sync`, a pause passed).
   */
  private enqueueWrite(octets: Uint8Array, options: { chopSize?: number; sync?: boolean; isClose?: boolean }): Promise<void> {
    return this.enqueue(() => this.writeOctets(octets, options));
  }

  /** Runs `job` once every write asked for before it is done. */
  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const done = this.writeQueue.then(job);
    this.writeQueue = done.then(
      () => {},
      () => {},
    );
    return done;
  }

  private async writeOctets(octets: Uint8Array, options: { chopSize?: number; sync?: boolean; isClose?: boolean }): Promise<void> {
    if (!this.mayWrite()) return;
    if (options.isClose) {
      // Autobahn's sendCloseFrame: once closing, a second Close is not sent.
      if (this.clientCloseSent) return;
      this.clientCloseSent = true;
      this.closeStartedBy ??= 'client';
      this.closingHandshakeTimer = this.startTimer(CLOSING_HANDSHAKE_TIMEOUT_MS, () => {
        if (!this.serverCloseReceived) this.drop(`the server did not answer the Close within ${CLOSING_HANDSHAKE_TIMEOUT_MS} ms`);
      });
    }
    const chunkSize = options.chopSize !== undefined && options.chopSize > 0 ? options.chopSize : Math.max(octets.length, 1);
    let start = 0;
    do {
      if (performance.now() - lastYield > MAX_WRITE_SLICE_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      if (!this.mayWrite()) return;
      await this.writeChunk(octets.subarray(start, start + chunkSize));
      start += chunkSize;
    } while (start < octets.length);
    if (options.sync) await this.pause(SYNC_PAUSE_MS);
  }

  // ---------------------------------------------------------------------------------------
  // CaseClient

  sendFrame(frame: FrameToSend): Promise<void> {
    return this.enqueueWrite(encodeFrame(frame), {
      ...(frame.chopSize !== undefined ? { chopSize: frame.chopSize } : {}),
      ...(frame.sync !== undefined ? { sync: frame.sync } : {}),
    });
  }

  sendRaw(bytes: Uint8Array, options: { chopSize?: number; sync?: boolean } = {}): Promise<void> {
    return this.enqueueWrite(bytes, options);
  }

  async sendMessage(opcode: number, payload: string | Uint8Array, options: { fragmentSize?: number; sync?: boolean } = {}): Promise<SentMessage> {
    const octets = toBytes(payload);
    const { fragmentSize, sync } = options;
    const deflate = this.deflate;
    if (deflate === undefined) {
      const pieces = cutIntoFragments(octets, fragmentSize);
      const sent: SentMessage = { opcode, length: octets.length, compressed: false, wireLength: octets.length, frames: pieces.length };
      this.sent.push(sent);
      for (const [i, piece] of pieces.entries()) {
        await this.sendFrame({
          opcode: i === 0 ? opcode : Opcode.continuation,
          payload: piece,
          fin: i === pieces.length - 1,
          ...(sync !== undefined ? { sync } : {}),
        });
      }
      return sent;
    }
    // RFC 7692 §7.2.1: compress the whole message, then cut the compressed octets into frames;
    // §6: RSV1 on the first frame only. Compressing waits its turn in the write queue, so
    // messages are compressed, and go out, in the order they were sent.
    return this.enqueue(async () => {
      const sent: SentMessage = { opcode, length: octets.length, compressed: true, wireLength: 0, frames: 0 };
      if (!this.mayWrite()) return sent;
      const compressed = await deflate.compress(octets);
      const frames = cutIntoFragments(compressed, fragmentSize).map((piece, i, pieces) =>
        encodeFrame({ opcode: i === 0 ? opcode : Opcode.continuation, payload: piece, fin: i === pieces.length - 1, rsv: i === 0 ? 0b100 : 0 }),
      );
      sent.wireLength = compressed.length;
      sent.frames = frames.length;
      this.sent.push(sent);
      if (sync) {
        for (const frame of frames) await this.writeOctets(frame, { sync });
      } else {
        await this.writeOctets(frames.length === 1 ? frames[0]! : Buffer.concat(frames), {});
      }
      return sent;
    });
  }

  sendClose(code?: number, reason?: string | Uint8Array): Promise<void> {
    const reasonOctets = toBytes(reason);
    const body = Buffer.alloc((code === undefined ? 0 : 2) + reasonOctets.length);
    if (code !== undefined) body.writeUInt16BE(code & 0xffff, 0);
    body.set(reasonOctets, code === undefined ? 0 : 2);
    return this.enqueueWrite(encodeFrame({ opcode: Opcode.close, payload: body }), { isClose: true });
  }

  async sleep(ms: number, tag?: string): Promise<void> {
    await this.pause(ms);
    if (tag !== undefined && !this.tcpClosed) {
      this.received.push(['timeout', tag]);
      this.notifyWaiters();
    }
  }

  waitForMessages(count: number): Promise<void> {
    return this.waitUntil(() => this.messageCount >= count);
  }

  waitForPongs(count: number): Promise<void> {
    return this.waitUntil(() => this.pongCount >= count);
  }

  killAfter(ms: number): void {
    this.startTimer(ms, () => this.drop(`the connection was still open after ${ms} ms (killAfter)`));
  }

  closeAfter(ms: number): void {
    this.startTimer(ms, () => {
      if (!this.clientCloseSent && !this.serverCloseReceived) void this.sendClose(NORMAL_CLOSURE);
    });
  }

  private waitUntil(done: () => boolean): Promise<void> {
    if (this.tcpClosed || done()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(() => {
        if (!this.tcpClosed && !done()) return false;
        resolve();
        return true;
      });
    });
  }

  private notifyWaiters(): void {
    if (this.waiters.length > 0) this.waiters = this.waiters.filter((isDone) => !isDone());
  }
}
