/**
 * One case's connection, played from the server's end against the client under test: the same
 * `CaseClient` primitives the conformance client has (test/conformance/wire-client.ts), but as
 * Autobahn|Testsuite's fuzzingserver runs a case —
 * - frames go out unmasked (RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to
 *   the client"), written exactly as the case asks (RSV bits, opcodes, chop sizes, sync pauses);
 * - frames from the client must be masked ("The server MUST close the connection upon receiving
 *   a frame that is not masked"): an unmasked frame, or any other violation by the client, fails
 *   the connection with a Close (1002, or 1007 for a text message that is not UTF-8) and is
 *   reported;
 * - closing as a server does (§7.1.1: "the server ... close[s] the underlying TCP connection"
 *   first): when the client's Close answers ours, TCP is dropped at once; when the client closes
 *   first, its Close is answered with 1000 and TCP dropped; if the client does not answer our
 *   Close within 1 s, TCP is dropped and the close is not clean.
 *
 * Like Autobahn's server, `wasClean` is true once a Close from the client arrived (in answer, or
 * its own); whether the client dropped TCP before the harness did is reported beside it.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { unmask } from '../../src/masking.js';
import { Opcode, type CaseClient, type FrameToSend, type ReceivedEvent, type SentMessage } from '../conformance/case.js';
import type { ClientDeflate } from '../conformance/permessage-deflate-client.js';
import { cutIntoFragments, encodeFrame, IncomingOctets } from '../conformance/wire-client.js';

/** Autobahn's server gives the peer this long to answer its Close. */
export const CLOSING_HANDSHAKE_TIMEOUT_MS = 1000;
/** The pause after a `sync` write. */
const SYNC_PAUSE_MS = 20;
/** The longest the harness writes without yielding (the client under test shares this process). */
const MAX_WRITE_SLICE_MS = 10;
const NORMAL_CLOSURE = 1000;
/** RFC 6455 §7.4.1. */
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;

let lastYield = performance.now();

/** How the connection ended, seen from the harness (the server end). */
export interface FuzzingCloseOutcome {
  /** Who sent the first Close: the harness (the case's side) or the client under test. */
  closeStartedBy: 'harness' | 'client' | undefined;
  /** A Close from the client arrived. */
  clientCloseReceived: boolean;
  /** Its status code; undefined when its body was empty (or none came). */
  clientCloseCode: number | undefined;
  clientCloseReason: string | undefined;
  /** The harness sent a Close (its own, or its answer). */
  harnessCloseSent: boolean;
  /** The client ended TCP (FIN or reset) before the harness dropped it. */
  clientDroppedTcp: boolean;
  /** The harness dropped TCP, and why. */
  droppedByHarness: boolean;
  droppedReason: string | undefined;
  /** Autobahn's `wasClean` in server mode: a Close from the client arrived. */
  wasClean: boolean;
  /** The first protocol violation seen in what the client sent. */
  clientViolation: string | undefined;
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function toBytes(payload: string | Uint8Array | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x08) !== 0;
}

export interface FuzzingConnectionOptions {
  /** Record messages as digests (length and SHA-1). */
  digestMessages?: boolean | undefined;
  /** The harness's permessage-deflate streams, when agreed (compress: the server's parameters). */
  deflate?: ClientDeflate | undefined;
}

export class FuzzingConnection implements CaseClient {
  readonly masksFrames = false;
  readonly received: ReceivedEvent[] = [];
  readonly sent: SentMessage[] = [];
  /** Resolves once TCP is closed and every message that arrived is recorded. */
  readonly closed: Promise<void>;

  private readonly incoming = new IncomingOctets();
  private pendingHeader: FrameHeader | undefined;
  private fragments: Buffer[] | undefined;
  private fragmentsOpcode = 0;
  private fragmentsCompressed = false;
  private deliveries: Promise<void> = Promise.resolve();
  private ignoringIncoming = false;

  private messageCount = 0;
  private pongCount = 0;
  private waiters: (() => boolean)[] = [];
  private writeQueue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();

  private tcpClosed = false;
  private closeStartedBy: FuzzingCloseOutcome['closeStartedBy'];
  private harnessCloseSent = false;
  private clientCloseReceived = false;
  private clientCloseCode: number | undefined;
  private clientCloseReason: string | undefined;
  private clientDroppedTcp = false;
  private droppedByHarness = false;
  private droppedReason: string | undefined;
  private clientViolation: string | undefined;
  private resolveClosed!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly options: FuzzingConnectionOptions = {},
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('close', () => this.onTcpClosed());
    socket.on('error', () => {});
  }

  /** Octets that arrived with the opening handshake, after its head. */
  feed(octets: Buffer): void {
    if (octets.length > 0) this.onData(octets);
  }

  // ---------------------------------------------------------------------------------------
  // Reading the client's frames

  private onData(chunk: Buffer): void {
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
      const head = this.incoming.take(header.headerLength);
      // A copy: the payload is unmasked in place.
      const payload = Buffer.from(this.incoming.take(header.payloadLength));
      unmask(payload, head.subarray(header.headerLength - 4), 0);
      this.onFrame(header, payload);
    }
    this.incoming.clear();
  }

  private readHeader(): FrameHeader | undefined {
    if (this.incoming.length < 2) return undefined;
    const [b0, b1] = this.incoming.peek(2);
    const masked = (b1! & 0x80) !== 0;
    const length7 = b1! & 0x7f;
    const extendedLengthOctets = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
    if (!masked) return this.clientBrokeProtocol('an unmasked frame', PROTOCOL_ERROR);
    const headerLength = 2 + extendedLengthOctets + 4;
    if (this.incoming.length < headerLength) return undefined;
    const head = this.incoming.peek(headerLength);
    let payloadLength = length7;
    if (extendedLengthOctets === 2) payloadLength = head.readUInt16BE(2);
    else if (extendedLengthOctets === 8) {
      const long = head.readBigUInt64BE(2);
      if (long > BigInt(Number.MAX_SAFE_INTEGER)) return this.clientBrokeProtocol(`a frame of ${long} octets`, PROTOCOL_ERROR);
      payloadLength = Number(long);
    }
    const header: FrameHeader = { fin: (b0! & 0x80) !== 0, rsv: (b0! >> 4) & 0b111, opcode: b0! & 0x0f, masked, headerLength, payloadLength };
    // §5.2: RSV bits are 0 unless an extension gives them a meaning; RFC 7692 §6: RSV1 on a message's first frame.
    if (header.rsv !== 0) {
      const startsMessage = header.opcode === Opcode.text || header.opcode === Opcode.binary;
      if (header.rsv !== 0b100 || this.options.deflate === undefined || !startsMessage) {
        return this.clientBrokeProtocol(`a frame with RSV bits ${header.rsv} and opcode ${header.opcode}`, PROTOCOL_ERROR);
      }
    }
    if (isControlOpcode(header.opcode)) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (!header.fin) return this.clientBrokeProtocol('a fragmented control frame', PROTOCOL_ERROR);
      if (payloadLength > 125) return this.clientBrokeProtocol(`a control frame of ${payloadLength} octets`, PROTOCOL_ERROR);
    }
    return header;
  }

  private onFrame(header: FrameHeader, payload: Buffer): void {
    switch (header.opcode) {
      case Opcode.close:
        this.onClientClose(payload);
        return;
      case Opcode.ping:
        // An echo client has no reason to ping; Autobahn would list it among the events, so it fails the behaviour.
        this.clientViolation ??= 'the client sent a Ping (an echo client sends only echoes)';
        void this.enqueueWrite(encodeFrame({ opcode: Opcode.pong, payload, mask: false }), {});
        return;
      case Opcode.pong:
        this.pongCount++;
        this.received.push(['pong', new Uint8Array(payload)]);
        this.notifyWaiters();
        return;
      case Opcode.text:
      case Opcode.binary:
        if (this.fragments !== undefined) {
          this.clientBrokeProtocol('a new message while a fragmented one was in progress', PROTOCOL_ERROR);
          return;
        }
        this.fragments = [payload];
        this.fragmentsOpcode = header.opcode;
        this.fragmentsCompressed = (header.rsv & 0b100) !== 0;
        break;
      case Opcode.continuation:
        if (this.fragments === undefined) {
          this.clientBrokeProtocol('a continuation frame with no message in progress', PROTOCOL_ERROR);
          return;
        }
        this.fragments.push(payload);
        break;
      default:
        this.clientBrokeProtocol(`a frame with the reserved opcode ${header.opcode}`, PROTOCOL_ERROR);
        return;
    }
    if (!header.fin) return;
    const data = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
    this.fragments = undefined;
    const isText = this.fragmentsOpcode === Opcode.text;
    const deflate = this.options.deflate;
    if (deflate === undefined) {
      this.recordMessage(data, isText);
      return;
    }
    // RFC 7692 §7.2.2: a message with RSV1 is inflated; one without is taken as it is, in order.
    const message = this.fragmentsCompressed ? deflate.inflate(data) : Promise.resolve(data);
    this.deliveries = this.deliveries.then(() =>
      message.then(
        (octets) => this.recordMessage(octets, isText),
        (error: unknown) => void this.clientBrokeProtocol(`a compressed message that does not inflate (${(error as Error).message})`, PROTOCOL_ERROR),
      ),
    );
  }

  private recordMessage(data: Buffer, isText: boolean): void {
    if (this.options.digestMessages) {
      if (isText && !isUtf8(data)) {
        this.clientBrokeProtocol('a text message that is not valid UTF-8', INVALID_PAYLOAD);
        return;
      }
      const sha1 = createHash('sha1').update(data).digest('hex');
      this.received.push(['messageDigest', { length: data.length, sha1 }, !isText]);
    } else if (isText) {
      let text: string;
      try {
        text = utf8.decode(data);
      } catch {
        this.clientBrokeProtocol('a text message that is not valid UTF-8', INVALID_PAYLOAD);
        return;
      }
      this.received.push(['message', text, false]);
    } else {
      this.received.push(['message', new Uint8Array(data.buffer, data.byteOffset, data.length), true]);
    }
    this.messageCount++;
    this.notifyWaiters();
  }

  /**
   * §5.5.1: the client's Close. If the harness closed first, the closing handshake is complete and
   * the server drops TCP at once; otherwise the harness answers with 1000 and drops TCP.
   */
  private onClientClose(body: Buffer): void {
    this.clientCloseReceived = true;
    this.ignoringIncoming = true;
    if (body.length === 1) this.clientViolation ??= 'the client sent a Close frame with a 1-octet body';
    if (body.length >= 2) {
      this.clientCloseCode = body.readUInt16BE(0);
      try {
        this.clientCloseReason = utf8.decode(body.subarray(2));
      } catch {
        this.clientViolation ??= 'the client sent a Close reason that is not valid UTF-8';
        this.clientCloseReason = body.subarray(2).toString('utf8');
      }
    }
    if (!this.harnessCloseSent) {
      this.closeStartedBy ??= 'client';
      this.harnessCloseSent = true;
      if (this.socketWritable()) this.socket.write(encodeFrame({ opcode: Opcode.close, payload: Uint8Array.of(0x03, 0xe8), mask: false }));
      this.dropTcp('the closing handshake is complete (the client closed first)');
      return;
    }
    this.dropTcp('the closing handshake is complete');
  }

  /** Fails the connection, as Autobahn's server does: a Close with `code`, then TCP dropped after the answer (or 1 s). */
  private clientBrokeProtocol(what: string, code: number): undefined {
    this.clientViolation ??= `the client sent ${what}`;
    this.ignoringIncoming = true;
    if (!this.harnessCloseSent && this.socketWritable()) {
      this.harnessCloseSent = true;
      this.closeStartedBy ??= 'harness';
      this.socket.write(encodeFrame({ opcode: Opcode.close, payload: Uint8Array.of(code >> 8, code & 0xff), mask: false }));
    }
    this.startTimer(CLOSING_HANDSHAKE_TIMEOUT_MS, () => this.dropTcp(`failed the connection: the client sent ${what}`));
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // TCP

  private onClientEnd(): void {
    if (!this.droppedByHarness) this.clientDroppedTcp = true;
    this.socket.end();
  }

  private onTcpClosed(): void {
    if (this.tcpClosed) return;
    this.tcpClosed = true;
    if (!this.droppedByHarness) this.clientDroppedTcp = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.notifyWaiters();
    void this.deliveries.then(() => {
      this.options.deflate?.close();
      this.resolveClosed();
    });
  }

  /** The harness drops TCP (the server closes it first, §7.1.1; or a guard timer ran out). */
  dropTcp(reason: string): void {
    if (this.tcpClosed || this.droppedByHarness) return;
    this.droppedByHarness = true;
    this.droppedReason = reason;
    this.socket.destroy();
  }

  async waitForClose(ms: number): Promise<boolean> {
    if (this.tcpClosed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([this.closed.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  outcome(): FuzzingCloseOutcome {
    return {
      closeStartedBy: this.closeStartedBy,
      clientCloseReceived: this.clientCloseReceived,
      clientCloseCode: this.clientCloseCode,
      clientCloseReason: this.clientCloseReason,
      harnessCloseSent: this.harnessCloseSent,
      clientDroppedTcp: this.clientDroppedTcp,
      droppedByHarness: this.droppedByHarness,
      droppedReason: this.droppedReason,
      wasClean: this.clientCloseReceived,
      clientViolation: this.clientViolation,
    };
  }

  private startTimer(ms: number, action: () => void): void {
    if (this.tcpClosed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

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

  /** The harness writes while TCP is open and until the client's Close arrives (then it has answered). */
  private mayWrite(): boolean {
    return this.socketWritable() && !this.clientCloseReceived;
  }

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

  private enqueueWrite(octets: Uint8Array, options: { chopSize?: number; sync?: boolean; isClose?: boolean }): Promise<void> {
    return this.enqueue(() => this.writeOctets(octets, options));
  }

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
      // Once closing, a second Close is not sent.
      if (this.harnessCloseSent) return;
      this.harnessCloseSent = true;
      this.closeStartedBy ??= 'harness';
      this.startTimer(CLOSING_HANDSHAKE_TIMEOUT_MS, () => {
        if (!this.clientCloseReceived) this.dropTcp(`the client did not answer the Close within ${CLOSING_HANDSHAKE_TIMEOUT_MS} ms`);
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
  // CaseClient, from the server's end

  sendFrame(frame: FrameToSend): Promise<void> {
    return this.enqueueWrite(encodeFrame({ ...frame, mask: false }), {
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
    const deflate = this.options.deflate;
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
    // RFC 7692 §7.2.1: compress the whole message, cut the compressed octets into frames, RSV1 on the first.
    return this.enqueue(async () => {
      const sent: SentMessage = { opcode, length: octets.length, compressed: true, wireLength: 0, frames: 0 };
      if (!this.mayWrite()) return sent;
      const compressed = await deflate.compress(octets);
      const frames = cutIntoFragments(compressed, fragmentSize).map((piece, i, pieces) =>
        encodeFrame({ opcode: i === 0 ? opcode : Opcode.continuation, payload: piece, fin: i === pieces.length - 1, rsv: i === 0 ? 0b100 : 0, mask: false }),
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
    return this.enqueueWrite(encodeFrame({ opcode: Opcode.close, payload: body, mask: false }), { isClose: true });
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

  /** Autobahn's "KL": drop TCP if the connection is still open after `ms`. */
  killAfter(ms: number): void {
    this.startTimer(ms, () => this.dropTcp(`the connection was still open after ${ms} ms (killAfter)`));
  }

  closeAfter(ms: number): void {
    this.startTimer(ms, () => {
      if (!this.harnessCloseSent && !this.clientCloseReceived) void this.sendClose(NORMAL_CLOSURE);
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
