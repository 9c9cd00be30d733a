/**
 * One WebSocket connection: the I/O layer around a ConnectionProtocol. It moves bytes between
 * the socket and the protocol core, owns the close timer, applies backpressure, and turns the
 * core's output into events for the application.
 *
 * Events: `message` (data: Buffer, isBinary: boolean), `ping` (data), `pong` (data),
 * `close` (code: number, reason: string), `error` (ProtocolError — emitted only when a
 * listener is attached, so a misbehaving peer can never crash a server that did not ask).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { ConnectionProtocol, type ProtocolOptions, type ProtocolOutput, type ReadyState } from './connection-protocol.js';
import type { ProtocolTransition } from './protocol-machines.js';
import type { ProtocolEvent } from '../machines/protocol-events.js';
import { InvalidStateError, type ProtocolError } from './protocol-error.js';
import { refusalResponseText, type HandshakeRefusal } from './opening-handshake.js';
import type { NegotiatedPerMessageDeflate, PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import { PerMessageDeflateCodec } from './permessage-deflate/zlib-codec.js';
import type { FrameHook } from './inspector/inspection-hooks.js';
import { HeartbeatMark, type HeartbeatSweep } from './heartbeat-sweep.js';

/** The socket's connection, for the socket listeners below (shared functions, no closures). */
const kConnection = Symbol('statesocket connection');
type ConnectedSocket = Socket & { [kConnection]: WebSocketConnection };

function createCompressor(agreed: NegotiatedPerMessageDeflate, options: PerMessageDeflateOptions): PerMessageDeflateCodec {
  return new PerMessageDeflateCodec(agreed, options);
}

/**
 * A peer that sends Pings while not reading: Pongs written while the socket needs a drain are
 * counted, and past this many the connection fails with 1008 (PONGS_UNREAD). 4096 Pongs of the
 * largest Ping (127 bytes each) are 508 KiB, under the 1 MiB `writeHighWaterMark` at which reading
 * stops (so the bound is reached while the Pings are still read); a peer that reads is never near
 * it (one 64 KiB read holds at most 10,922 Pings, of which at most ~2,700 Pongs are counted).
 */
const MAX_UNREAD_PONGS = 4096;

/** Protocol options without per-connection hooks are shared by every connection that has the same settings. */
const sharedProtocolOptions = new WeakMap<ConnectionOptions, ProtocolOptions>();

export interface ConnectionOptions {
  maxMessageSize: number;
  closeTimeoutMs: number;
  /** Stop reading from the peer while this many bytes wait to be written to it. */
  writeHighWaterMark: number;
  /** permessage-deflate settings, when the server offers it. */
  perMessageDeflate: PerMessageDeflateOptions | undefined;
  onTransition?: ((connection: WebSocketConnection, transition: ProtocolTransition, event: ProtocolEvent) => void) | undefined;
  /** Called with every frame header read or written (the inspector). */
  onFrame?: FrameHook | undefined;
  /** The server's heartbeat (`heartbeatIntervalMs`), when on. */
  heartbeat?: HeartbeatSweep | undefined;
}

export interface SendOptions {
  /** Send a binary message (opcode 0x2); default: text for strings, binary for bytes. */
  binary?: boolean;
}

export class WebSocketConnection extends EventEmitter {
  /** The request path and query of the opening handshake, e.g. `/chat?room=1`. */
  readonly requestUrl: string;
  private readonly protocol: ConnectionProtocol;
  /** @internal */ closeTimer: NodeJS.Timeout | undefined;
  private readingPaused = false;
  private handlingData = false;
  private corkedUntilNextTick = false;
  /** @internal */ refusal: HandshakeRefusal | undefined;
  /** @internal HeartbeatMark bits (heartbeat-sweep.ts). */
  heartbeatMarks = 0;
  /** @internal Pongs written since the socket last drained, while it needed a drain. */
  unreadPongs = 0;
  /** @internal The first exception an application listener threw while the core was handling input. */
  listenerError: { error: unknown } | undefined;

  /** @internal Created by WebSocketServer for each upgrade request. */
  constructor(
    /** @internal */ readonly socket: Socket,
    request: IncomingMessage,
    /** @internal */ readonly options: ConnectionOptions,
  ) {
    super();
    this.requestUrl = request.url ?? '/';
    this.protocol = new ConnectionProtocol(new SocketOutput(this), this.protocolOptions(options));
  }

  private protocolOptions(options: ConnectionOptions): ProtocolOptions {
    const { onTransition, onFrame } = options;
    if (onTransition === undefined && onFrame === undefined) {
      let shared = sharedProtocolOptions.get(options);
      if (shared === undefined) {
        shared = { maxMessageSize: options.maxMessageSize, perMessageDeflate: options.perMessageDeflate, createCompressor };
        sharedProtocolOptions.set(options, shared);
      }
      return shared;
    }
    return {
      maxMessageSize: options.maxMessageSize,
      perMessageDeflate: options.perMessageDeflate,
      createCompressor,
      onTransition: onTransition && ((transition, event) => onTransition(this, transition, event)),
      onFrame: onFrame && ((direction, opcode, length, fin, rsv1) => onFrame(this, direction, opcode, length, fin, rsv1)),
    };
  }

  /** The peer's address (read when asked: it costs a system call). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** RFC 6455 readyState, straight from the connection machine. */
  get readyState(): ReadyState {
    return this.protocol.readyState;
  }

  /** Bytes written but not yet handed to the operating system (as in the browser API). */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** The current state of each protocol machine. */
  get machineStates(): ConnectionProtocol['machineStates'] {
    return this.protocol.machineStates;
  }

  /** Send a message. Strings go as text, bytes as binary unless `options.binary` says otherwise. */
  send(data: string | Uint8Array, options?: SendOptions): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new TypeError('a message is a string or bytes');
    const isBinary = options?.binary ?? typeof data !== 'string';
    this.corkUntilNextTick();
    this.protocol.send(typeof data === 'string' ? Buffer.from(data) : data, isBinary);
  }

  ping(data?: string | Uint8Array): void {
    this.protocol.ping(data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Start the closing handshake (RFC 6455 §7.1.2); once closing or closed, nothing happens (as in ws). */
  close(code?: number, reason?: string): void {
    try {
      this.protocol.close(code, reason);
    } catch (error) {
      if (!(error instanceof InvalidStateError)) throw error;
    }
  }

  /** Drop the TCP connection without a closing handshake. */
  terminate(): void {
    this.protocol.terminate();
  }

  /**
   * @internal Run the opening handshake on the upgrade request; `head` is the first bytes
   * after it. Returns whether the connection opened.
   */
  start(request: IncomingMessage, head: Buffer): boolean {
    const socket = this.socket as ConnectedSocket;
    socket[kConnection] = this;
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    this.protocol.receiveHandshake({ method: request.method ?? '', httpVersion: request.httpVersion, headers: request.headers });
    if (this.refusal !== undefined) {
      socket.end(refusalResponseText(this.refusal));
      return false;
    }
    socket.setNoDelay(true);
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('drain', socketOnDrain);
    this.options.heartbeat?.add(this);
    if (head.length > 0) this.receive(head);
    return true;
  }

  /** @internal Bytes from the socket. */
  receive(chunk: Buffer): void {
    // Everything written while handling one chunk (echoes, pongs) leaves in one writev.
    const socket = this.socket;
    this.heartbeatMarks |= HeartbeatMark.peerActive;
    this.handlingData = true;
    socket.cork();
    try {
      this.protocol.receiveData(chunk);
    } finally {
      // Never left corked, whatever happened.
      socket.uncork();
      this.handlingData = false;
    }
    // Backpressure: a peer that sends but does not read must not make us buffer without bound.
    if (socket.writableLength > this.options.writeHighWaterMark && !this.readingPaused) {
      this.readingPaused = true;
      socket.pause();
    }
    this.rethrowListenerError();
  }

  /** @internal Emit an event for the application from inside the core: a listener's exception waits until the core is done. */
  emitFromCore(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.listenerError ??= { error };
    }
  }

  /**
   * A listener threw while the core handled input: the input was handled to its end and the
   * socket uncorked; now the exception goes on, out of the socket's event (as in ws: the
   * process's `uncaughtException`, which by default ends the process).
   */
  private rethrowListenerError(): void {
    const thrown = this.listenerError;
    if (thrown === undefined) return;
    this.listenerError = undefined;
    throw thrown.error;
  }

  /** @internal */
  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.socket.resume();
  }

  /** Sends made outside a data event in the same tick leave together, in one writev. */
  private corkUntilNextTick(): void {
    if (this.handlingData || this.corkedUntilNextTick) return;
    this.corkedUntilNextTick = true;
    this.socket.cork();
    process.nextTick(uncorkConnection, this);
  }

  /** @internal */
  uncork(): void {
    this.corkedUntilNextTick = false;
    this.socket.uncork();
  }

  /** @internal */
  receiveTcpEnd(): void {
    this.protocol.receiveTcpEnd();
  }

  /** @internal */
  receiveTcpClosed(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.options.heartbeat?.delete(this);
    this.protocol.receiveTcpClosed();
    this.rethrowListenerError();
  }

  /** @internal The heartbeat found the connection idle. */
  heartbeatDue(): void {
    this.protocol.heartbeatDue();
  }

  /** @internal More than MAX_UNREAD_PONGS Pongs wait for a peer that does not read. */
  pongsUnread(): void {
    this.unreadPongs = 0;
    this.protocol.pongsUnread();
  }

  /** @internal The heartbeat's Ping went unanswered. */
  pongTimeout(): void {
    this.protocol.pongTimeout();
  }

  /** @internal */
  closeTimeout(): void {
    this.closeTimer = undefined;
    this.protocol.closeTimeout();
  }
}

function socketOnData(this: ConnectedSocket, chunk: Buffer): void {
  this[kConnection].receive(chunk);
}

function socketOnEnd(this: ConnectedSocket): void {
  this[kConnection].receiveTcpEnd();
}

function socketOnDrain(this: ConnectedSocket): void {
  this[kConnection].unreadPongs = 0;
  this[kConnection].resumeReading();
}

function socketOnClose(this: ConnectedSocket): void {
  this[kConnection].receiveTcpClosed();
}

function socketOnError(this: ConnectedSocket): void {
  this.destroy();
}

function uncorkConnection(connection: WebSocketConnection): void {
  connection.uncork();
}

function closeTimerExpired(connection: WebSocketConnection): void {
  connection.closeTimeout();
}

/** The protocol core's output, carried out on the socket and as connection events. */
class SocketOutput implements ProtocolOutput {
  constructor(private readonly connection: WebSocketConnection) {}

  write(bytes: Uint8Array): void {
    const socket = this.connection.socket;
    if (!socket.destroyed && socket.writable) socket.write(bytes);
  }

  refuseHandshake(refusal: HandshakeRefusal): void {
    this.connection.refusal = refusal;
  }

  closeTcp(): void {
    this.connection.socket.end();
    // Keep reading (and discarding) so that the peer's FIN is seen.
    this.connection.resumeReading();
  }

  destroyTcp(): void {
    this.connection.socket.destroy();
  }

  startCloseTimer(): void {
    const connection = this.connection;
    if (connection.closeTimer !== undefined) clearTimeout(connection.closeTimer);
    connection.closeTimer = setTimeout(closeTimerExpired, connection.options.closeTimeoutMs, connection);
    connection.closeTimer.unref();
  }

  startPongDeadline(): void {
    this.connection.heartbeatMarks |= HeartbeatMark.awaitingPong;
  }

  opened(): void {}

  message(data: Buffer, isBinary: boolean): void {
    this.connection.emitFromCore('message', data, isBinary);
  }

  ping(data: Buffer): void {
    const connection = this.connection;
    // `sendPong` has just written the Pong: count it if the peer is not reading.
    if (connection.socket.writableNeedDrain && ++connection.unreadPongs > MAX_UNREAD_PONGS) connection.pongsUnread();
    connection.emitFromCore('ping', data);
  }

  pong(data: Buffer): void {
    this.connection.emitFromCore('pong', data);
  }

  protocolError(error: ProtocolError): void {
    if (this.connection.listenerCount('error') > 0) this.connection.emitFromCore('error', error);
  }

  closed(code: number, reason: string): void {
    this.connection.emitFromCore('close', code, reason);
  }
}
