/**
 * One WebSocket connection, server side or client side (one class for both roles, as in `ws`):
 * the I/O layer around a ConnectionProtocol. It moves bytes between the socket and the protocol
 * core, owns the close timer, applies backpressure, and turns the core's output into events for
 * the application — with the names and semantics of `ws` 8's `WebSocket` (numeric `readyState`,
 * `send(data, options, cb)`, `binaryType`, `pause`/`resume`, `close (code, reason: Buffer)`).
 *
 * `new WebSocket(address, protocols?, options?)` makes a client (RFC 6455 §4.1): the opening
 * handshake is src/client-request.ts's, the options src/client-options.ts's; the machines take
 * the client role from the first event (CLIENT_HANDSHAKE_SENT). WebSocketServer makes the
 * server side's connections.
 *
 * Events (typed, see WebSocketConnectionEvents): `message` (data, isBinary), `ping` (data),
 * `pong` (data), `close` (code, reason), `error` (ProtocolError — emitted only when a listener is
 * attached, so a misbehaving peer can never crash a server that did not ask).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { ConnectionProtocol, type ProtocolOptions, type ReadyState } from './connection-protocol.js';
import type { ProtocolTransition } from './protocol-machines.js';
import type { HandshakeRequestEvent, ProtocolEvent } from '../machines/protocol-events.js';
import { InvalidStateError, type ProtocolError } from './protocol-error.js';
import { refusalResponseText, type HandshakeRefusal } from './opening-handshake.js';
import type { NegotiatedPerMessageDeflate, PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import { PerMessageDeflateCodec } from './permessage-deflate/zlib-codec.js';
import type { FrameHook } from './inspector/inspection-hooks.js';
import {
  kConnection,
  SocketOutput,
  socketOnClose,
  socketOnData,
  socketOnDrain,
  socketOnEnd,
  socketOnError,
  uncorkConnection,
  type ConnectedSocket,
} from './socket-output.js';
import { HeartbeatMark, type HeartbeatSweep } from './heartbeat-sweep.js';
import { ClientHandshake } from './client-request.js';
import { clientConnectionOptions, clientSubprotocols, clientUrl, deflateOffer, type ClientOptions } from './client-options.js';
import { connectionFailed, protocolError } from './protocol-error.js';
import type { handshakeLimitFlags } from './handshake-limits.js';

/** What the I/O layer measured of the request against the server's limits (handshake-limits.ts). */
type HandshakeLimitFlags = ReturnType<typeof handshakeLimitFlags>;

/** What the server found out about an upgrade request, for the connection machine's HANDSHAKE_REQUEST. */
export type UpgradeRequestFacts = Pick<
  HandshakeRequestEvent,
  'subprotocol' | 'headerFieldsTooLarge' | 'originNotAllowed' | 'connectionLimitReached' | 'resourceNotServed' | 'url' | 'applicationDecides'
>;


/**
 * Answer a refused handshake and close: the socket is dropped once the answer is written, so a
 * client that never closes its side cannot keep it (a refusal is never followed by more).
 */
function sendRefusal(socket: Socket, refusal: HandshakeRefusal): void {
  socket.once('finish', () => socket.destroy());
  socket.end(refusalResponseText(refusal));
}

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

const EMPTY = Buffer.alloc(0);

/** The WebSocket API's readyState numbers, by the connection machine's state. */
const READY_STATE_NUMBERS: Record<ReadyState, 0 | 1 | 2 | 3> = { connecting: 0, open: 1, closing: 2, closed: 3 };
const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

export interface ConnectionOptions {
  maxMessageSize: number;
  closeTimeoutMs: number;
  /** Stop reading from the peer while this many bytes wait to be written to it. */
  writeHighWaterMark: number;
  /** Fail the connection (1008) when the application's sends leave more than this waiting for the peer. */
  maxBufferedAmount?: number | undefined;
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
  /**
   * As in `ws`; statesocket compresses every message at least `perMessageDeflate.threshold`
   * long once permessage-deflate is agreed, and ignores this.
   */
  compress?: boolean;
  /** Only `true` (the default): statesocket sends whole messages. */
  fin?: boolean;
  /** A server never masks (RFC 6455 §5.1); only `false` or absent. */
  mask?: boolean;
}

/** How `message` delivers data: a Buffer (default), an ArrayBuffer, or an array of Buffers. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments';
/** What a `message` listener receives, by `binaryType`. */
export type RawData = Buffer | ArrayBuffer | Buffer[];
/** What can be sent: text, or bytes in any of Node's forms. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;
/** Called once the data is written, or with the error that kept it from being written. */
export type SendCallback = (error?: Error | null) => void;

/** The events of a connection and their arguments. */
export interface WebSocketConnectionEvents {
  /** The client role: the opening handshake completed (the server side's connections are open when handed over). */
  open: [];
  /** The client role: the server's 101 response, before it is checked (as ws). */
  upgrade: [response: IncomingMessage];
  /**
   * The client role: the server answered with a status other than 101 (RFC 6455 §4.1). Without a
   * listener the connection fails (`error` with WS_ERR_HANDSHAKE_UNEXPECTED_STATUS, then `close`
   * 1006); with one, the application reads or drops the response (`request.destroy()`), and
   * `close` 1006 follows once its connection is gone.
   */
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  message: [data: RawData, isBinary: boolean];
  /** RFC 6455 §7.1.5's close code (1005: the Close had none, 1006: none was received) and reason. */
  close: [code: number, reason: Buffer];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /**
   * A ProtocolError: the peer broke the protocol, or (the client role) the handshake failed or the
   * connection could not be made (`WS_ERR_CONNECTION_FAILED`, Node's error as `cause`).
   */
  error: [error: ProtocolError];
}

/** The listener of event `E` of an event map: `(...args) => void` with the event's arguments. */
export type EventListenerOf<Events, E extends keyof Events> = Events[E] extends unknown[] ? (...args: Events[E]) => void : never;

/** Typed listener methods: a misspelt event name or a wrong listener fails to compile. */
export interface WebSocketConnection {
  on<E extends keyof WebSocketConnectionEvents>(event: E, listener: EventListenerOf<WebSocketConnectionEvents, E>): this;
  once<E extends keyof WebSocketConnectionEvents>(event: E, listener: EventListenerOf<WebSocketConnectionEvents, E>): this;
  off<E extends keyof WebSocketConnectionEvents>(event: E, listener: EventListenerOf<WebSocketConnectionEvents, E>): this;
  addListener<E extends keyof WebSocketConnectionEvents>(event: E, listener: EventListenerOf<WebSocketConnectionEvents, E>): this;
  removeListener<E extends keyof WebSocketConnectionEvents>(event: E, listener: EventListenerOf<WebSocketConnectionEvents, E>): this;
  prependListener<E extends keyof WebSocketConnectionEvents>(event: E, listener: EventListenerOf<WebSocketConnectionEvents, E>): this;
  emit<E extends keyof WebSocketConnectionEvents>(event: E, ...args: WebSocketConnectionEvents[E]): boolean;
}

function toBytes(data: SendData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export class WebSocketConnection extends EventEmitter {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** The request path and query of the opening handshake, e.g. `/chat?room=1`. */
  readonly requestUrl: string;
  /** @internal The socket (the client role: once the server upgraded the connection). */
  socket: Socket;
  /** @internal */ readonly options: ConnectionOptions;
  /** @internal The client role: the opening handshake, until the server answered. */
  clientHandshake: ClientHandshake | undefined;
  /** @internal The client role: the server upgraded the connection (the socket is this connection's). */
  upgraded = false;
  private readonly clientAddress: string;
  private readonly protocolCore: ConnectionProtocol;
  private binaryTypeValue: BinaryType = 'nodebuffer';
  /** @internal */ closeTimer: NodeJS.Timeout | undefined;
  /** Reading stopped for backpressure (the I/O layer's own). */
  private readingPaused = false;
  /** Reading stopped by `pause()`. */
  private pausedByApplication = false;
  private handlingData = false;
  private corkedUntilNextTick = false;
  /** @internal */ refusal: HandshakeRefusal | undefined;
  /** @internal The permessage-deflate codec, kept for the inspector on inspected connections. */
  compressor: PerMessageDeflateCodec | undefined;
  /** @internal The server's `headers` event, for the 101 response of this connection. */
  onHandshakeHeaders: ((headers: string[]) => void) | undefined;
  /** @internal HeartbeatMark bits (heartbeat-sweep.ts). */
  heartbeatMarks = 0;
  /** @internal Pongs written since the socket last drained, while it needed a drain. */
  unreadPongs = 0;
  /** @internal The first exception an application listener threw while the core was handling input. */
  listenerError: { error: unknown } | undefined;

  /**
   * A client (RFC 6455 §4.1): connects to `address` (`ws://` or `wss://`; `http(s)://` as ws)
   * offering `protocols`, and emits `open` once the server's response passed every check.
   * @throws SyntaxError for an invalid URL, scheme or subprotocol list (as ws)
   */
  constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions);
  /** A client without subprotocols: the options as the second argument, as ws accepts. */
  constructor(address: string | URL, options?: ClientOptions);
  /** @internal Created by WebSocketServer for each upgrade request. */
  constructor(socket: Socket, request: IncomingMessage, options: ConnectionOptions);
  constructor(
    addressOrSocket: string | URL | Socket,
    protocolsOrRequest?: string | string[] | IncomingMessage | ClientOptions,
    options?: ClientOptions | ConnectionOptions,
  ) {
    super();
    if (typeof addressOrSocket === 'string' || addressOrSocket instanceof URL) {
      // The client role.
      const url = clientUrl(addressOrSocket);
      // As ws: an object that is not a list in the second place is the options.
      const optionsSecond = typeof protocolsOrRequest === 'object' && protocolsOrRequest !== null && !Array.isArray(protocolsOrRequest);
      const clientOptions = ((optionsSecond ? protocolsOrRequest : options) ?? {}) as ClientOptions;
      const subprotocols = clientSubprotocols(optionsSecond ? undefined : (protocolsOrRequest as string | string[] | undefined));
      const offer = deflateOffer(clientOptions);
      this.clientAddress = url.href;
      this.requestUrl = `${url.pathname}${url.search}`;
      this.socket = undefined as unknown as Socket;
      this.options = clientConnectionOptions(clientOptions, offer);
      this.protocolCore = new ConnectionProtocol(new SocketOutput(this), this.protocolOptions(this.options));
      this.clientHandshake = new ClientHandshake(this, url, subprotocols, offer, clientOptions);
      this.protocolCore.clientHandshakeSent();
      return;
    }
    this.clientAddress = '';
    this.socket = addressOrSocket;
    this.options = options as ConnectionOptions;
    this.requestUrl = (protocolsOrRequest as IncomingMessage).url ?? '/';
    this.protocolCore = new ConnectionProtocol(new SocketOutput(this), this.protocolOptions(this.options));
  }

  /** Which side of the connection this is: `server` (made by WebSocketServer) or `client` (`new WebSocket(url)`). */
  get role(): 'server' | 'client' {
    return this.clientAddress === '' ? 'server' : 'client';
  }

  /** The client role: the URL connected to, as ws's `url`; '' on the server side. */
  get url(): string {
    return this.clientAddress;
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
      createCompressor: (agreed, deflateOptions) => (this.compressor = createCompressor(agreed, deflateOptions)),
      onTransition: onTransition && ((transition, event) => onTransition(this, transition, event)),
      onFrame: onFrame && ((direction, opcode, length, fin, rsv1) => onFrame(this, direction, opcode, length, fin, rsv1)),
    };
  }

  /** The peer's address (read when asked: it costs a system call); undefined on a client before its socket exists, as in ws. */
  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  /** The WebSocket API's readyState: 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED (the connection machine's state). */
  get readyState(): 0 | 1 | 2 | 3 {
    return READY_STATE_NUMBERS[this.protocolCore.readyState];
  }

  /** The connection machine's state by name: `connecting`, `open`, `closing` or `closed`. */
  get readyStateName(): ReadyState {
    return this.protocolCore.readyState;
  }

  /** RFC 6455 §4.2.2 item 5.4: the subprotocol agreed in the opening handshake, '' for none. */
  get protocol(): string {
    return this.protocolCore.subprotocol;
  }

  /** The extensions agreed in the opening handshake: '' or 'permessage-deflate'. */
  get extensions(): string {
    return this.protocolCore.extensions;
  }

  /** How binary and text data reach `message` listeners. */
  get binaryType(): BinaryType {
    return this.binaryTypeValue;
  }

  set binaryType(type: BinaryType) {
    if (type !== 'nodebuffer' && type !== 'arraybuffer' && type !== 'fragments') return;
    this.binaryTypeValue = type;
  }

  /** Bytes written but not yet handed to the operating system (as in the browser API). */
  get bufferedAmount(): number {
    return this.socket === undefined ? 0 : this.socket.writableLength;
  }

  /** The current state of each protocol machine. */
  get machineStates(): ConnectionProtocol['machineStates'] {
    return this.protocolCore.machineStates;
  }

  /** `pause()` was called and `resume()` not since. */
  get isPaused(): boolean {
    return this.pausedByApplication;
  }

  /**
   * Send a message: strings as text, bytes as binary unless `options.binary` says otherwise. As in
   * `ws`, a connection that is closing or closed does not throw: `callback` gets the error.
   */
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof options === 'function') [callback, options] = [options, undefined];
    if (options?.fin === false) throw new TypeError('statesocket sends whole messages: fin must be true');
    // ws sends a number as its text; anything else that is not text or bytes is the application's bug.
    if (typeof data === 'number') data = String(data);
    if (typeof data !== 'string' && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)) {
      throw new TypeError('a message is a string or bytes');
    }
    if (this.refuseWhenNotOpen(callback)) return;
    const isBinary = options?.binary ?? typeof data !== 'string';
    this.corkUntilNextTick();
    // The hot path: `refused` inlined (no closure per message).
    try {
      this.protocolCore.send(toBytes(data), isBinary);
    } catch (error) {
      if (!(error instanceof InvalidStateError)) throw error;
      if (callback) process.nextTick(callback, error);
      return;
    }
    this.afterWrite(callback);
    if (this.socket.writableLength > (this.options.maxBufferedAmount ?? Infinity)) this.protocolCore.bufferedAmountExceeded();
  }

  /** Send a Ping (RFC 6455 §5.5.2); `mask` is accepted for `ws` compatibility and ignored (servers never mask). */
  ping(data?: SendData, _mask?: boolean, callback?: SendCallback): void {
    if (this.refuseWhenNotOpen(callback)) return;
    if (this.refused(() => this.protocolCore.ping(data === undefined ? undefined : toBytes(data)), callback)) return;
    this.afterWrite(callback);
  }

  /** Send an unsolicited Pong (RFC 6455 §5.5.3). */
  pong(data?: SendData, _mask?: boolean, callback?: SendCallback): void {
    if (this.refuseWhenNotOpen(callback)) return;
    if (this.refused(() => this.protocolCore.pong(data === undefined ? undefined : toBytes(data)), callback)) return;
    this.afterWrite(callback);
  }

  /**
   * Start the closing handshake (RFC 6455 §7.1.2); once closing or closed, nothing happens (as in
   * ws). A client still CONNECTING abandons the handshake (as ws: `close` 1006 follows).
   */
  close(code?: number, reason?: string | Buffer): void {
    if (this.clientHandshake !== undefined && this.readyState === WebSocketConnection.CONNECTING) {
      this.terminate();
      return;
    }
    this.refused(() => this.protocolCore.close(code, reason), undefined);
  }

  /** Drop the TCP connection without a closing handshake. */
  terminate(): void {
    this.protocolCore.terminate();
  }

  /** Stop reading from the peer: no `message`, `ping` or `pong` until `resume()`. */
  pause(): void {
    if (this.readyState === WebSocketConnection.CLOSED || this.socket === undefined) return;
    this.pausedByApplication = true;
    this.socket.pause();
  }

  /** Read from the peer again (unless backpressure holds reading). */
  resume(): void {
    if (this.readyState === WebSocketConnection.CLOSED || this.socket === undefined) return;
    this.pausedByApplication = false;
    if (!this.readingPaused) this.socket.resume();
  }

  /**
   * `ws`'s rule: sending on a connection that is not open is the application's race with the
   * peer, not a bug — the callback hears of it; only CONNECTING throws.
   */
  private refuseWhenNotOpen(callback: SendCallback | undefined): boolean {
    // (By name: the hot path, a send on an open connection, compares one string.)
    if (this.protocolCore.readyState === 'open') return false;
    const state = this.readyState;
    const error = new Error(`WebSocket is not open: readyState ${state} (${READY_STATE_NAMES[state]})`);
    if (state === WebSocketConnection.CONNECTING) throw error;
    if (callback) process.nextTick(callback, error);
    return true;
  }

  /**
   * Run an application request; when the machines refuse it (InvalidStateError, e.g. a Close was
   * already sent or received), the callback hears of it, as `ws` does, and true is returned.
   */
  private refused(request: () => void, callback: SendCallback | undefined): boolean {
    try {
      request();
      return false;
    } catch (error) {
      if (!(error instanceof InvalidStateError)) throw error;
      if (callback) process.nextTick(callback, error);
      return true;
    }
  }

  /** Call back once everything written so far has reached the operating system. */
  private afterWrite(callback: SendCallback | undefined): void {
    if (callback === undefined) return;
    if (this.socket.writable) this.socket.write(EMPTY, callback);
    else process.nextTick(callback, new Error('the socket was closed before the data could be written'));
  }

  /** @internal A message from the core, in the form `binaryType` asks for. */
  deliverMessage(data: Buffer, isBinary: boolean): void {
    const type = this.binaryTypeValue;
    if (type === 'nodebuffer') {
      // The hot path: emitFromCore inlined (no rest-argument array per message).
      try {
        this.emit('message', data, isBinary);
      } catch (error) {
        this.listenerError ??= { error };
      }
    }
    else if (type === 'fragments') this.emitFromCore('message', [data], isBinary);
    else this.emitFromCore('message', data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer, isBinary);
  }

  /**
   * @internal Run the opening handshake on the upgrade request; `head` is the first bytes after
   * it; `subprotocol` the one chosen by the server (one the client offered). Returns whether the
   * connection opened. Frames in `head` are read only once the caller has returned to the event
   * loop, so `connection` listeners attached meanwhile hear them.
   */
  start(request: IncomingMessage, head: Buffer, subprotocol?: string, limits: HandshakeLimitFlags = {}): boolean {
    this.receiveUpgradeRequest(request, { subprotocol, ...limits });
    return this.finishOpeningHandshake(head);
  }

  /**
   * @internal The server role: the machines take the upgrade request (RFC 6455 §4.2.1) with what
   * the server found out about it (`facts`). They refuse it (`refusal` holds the answer, sent by
   * `finishOpeningHandshake`), accept it (OPEN, the 101 written), or leave it to the application
   * (CONNECTING, until `applicationAccepted` or `applicationRefused`).
   */
  receiveUpgradeRequest(request: IncomingMessage, facts: UpgradeRequestFacts): void {
    const socket = this.socket as ConnectedSocket;
    socket[kConnection] = this;
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    this.protocolCore.receiveHandshake({
      method: request.method ?? '',
      httpVersion: request.httpVersion,
      headers: request.headers,
      ...facts,
    });
  }

  /** @internal The server's application accepted the request left to it, choosing `subprotocol`. */
  applicationAccepted(subprotocol: string | undefined, connectionLimitReached: boolean): void {
    this.protocolCore.applicationAccepted(subprotocol, connectionLimitReached);
  }

  /** @internal The server's application refused the request left to it, with `refusal`. */
  applicationRefused(refusal: HandshakeRefusal): void {
    this.protocolCore.applicationRefused(refusal);
  }

  /**
   * @internal Once the machines have answered the upgrade request: send their refusal and return
   * false, or, open, read frames (those in `head` first) and return true. Frames are read only once
   * the caller has returned to the event loop, so `connection` listeners attached meanwhile hear them.
   */
  finishOpeningHandshake(head: Buffer): boolean {
    this.onHandshakeHeaders = undefined;
    const socket = this.socket;
    if (this.refusal !== undefined) {
      sendRefusal(socket, this.refusal);
      return false;
    }
    if (this.protocolCore.readyState !== 'open') return false;
    socket.setNoDelay?.(true);
    // Read from the socket's buffer like any later bytes: data events start on a later tick.
    if (head.length > 0) socket.unshift(head);
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('drain', socketOnDrain);
    this.options.heartbeat?.add(this);
    return true;
  }

  /**
   * @internal The client role: the server answered the opening handshake; `socket` and `head` when
   * it upgraded the connection (the machines check the response, §4.1).
   */
  receiveHandshakeResponse(response: IncomingMessage, socket: Socket | undefined, head: Buffer | undefined): void {
    const handshake = this.clientHandshake!;
    if (socket !== undefined) {
      this.upgraded = true;
      this.attachSocket(socket);
      this.emitFromCore('upgrade', response);
    }
    this.protocolCore.receiveHandshakeResponse(
      { status: response.statusCode ?? 0, headers: response.headers, ...handshake.responseContext() },
      handshake.deflateOffer,
    );
    if (socket !== undefined && this.readyState === WebSocketConnection.OPEN) {
      this.clientHandshake = undefined;
      socket.setNoDelay(true);
      if (head !== undefined && head.length > 0) socket.unshift(head);
      socket.on('data', socketOnData);
      socket.on('end', socketOnEnd);
      socket.on('drain', socketOnDrain);
    }
    this.rethrowListenerError();
  }

  /** The socket's error and close listeners (data follows once the handshake is accepted). */
  private attachSocket(socket: Socket): void {
    this.socket = socket;
    (socket as ConnectedSocket)[kConnection] = this;
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
  }

  /** @internal The client role: no response within `handshakeTimeout`. */
  responseTimeout(): void {
    this.protocolCore.responseTimeout();
    this.rethrowListenerError();
  }

  /** @internal The client role: the connection could not be made (ECONNREFUSED, TLS, a reset before the answer). */
  emitClientError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emitFromCore('error', connectionFailed(error));
  }

  /** @internal The client role: the machines found a status other than 101 (RFC 6455 §4.1). */
  unexpectedResponse(): void {
    const handshake = this.clientHandshake!;
    if (this.listenerCount('unexpected-response') > 0) {
      this.emitFromCore('unexpected-response', handshake.request, handshake.response!);
      return;
    }
    if (this.listenerCount('error') > 0) {
      const error = protocolError('WS_ERR_HANDSHAKE_UNEXPECTED_STATUS');
      error.message = `Unexpected server response: ${handshake.response!.statusCode}`;
      this.emitFromCore('error', error);
    }
    handshake.abort();
  }

  /** @internal Drop TCP now: the socket, or (the client role) the request not yet upgraded. */
  dropTcp(): void {
    if (this.socket !== undefined) this.socket.destroy();
    else this.clientHandshake?.abort();
  }

  /** @internal Bytes from the socket. */
  receive(chunk: Buffer): void {
    // Everything written while handling one chunk (echoes, pongs) leaves in one writev.
    const socket = this.socket;
    this.heartbeatMarks |= HeartbeatMark.peerActive;
    this.handlingData = true;
    socket.cork();
    try {
      this.protocolCore.receiveData(chunk);
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
  emitFromCore<E extends keyof WebSocketConnectionEvents>(event: E, ...args: WebSocketConnectionEvents[E]): void {
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
    if (!this.pausedByApplication) this.socket.resume();
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
    this.protocolCore.receiveTcpEnd();
  }

  /** @internal */
  receiveTcpClosed(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.options.heartbeat?.delete(this);
    this.protocolCore.receiveTcpClosed();
    this.rethrowListenerError();
  }

  /**
   * @internal HANDSHAKE_TIMEOUT: the server did not decide on the upgrade request in time. Returns
   * whether the connection machine refused the handshake (it does, while CONNECTING).
   */
  handshakeTimeout(): boolean {
    this.protocolCore.handshakeTimeout();
    if (this.refusal === undefined) return false;
    sendRefusal(this.socket, this.refusal);
    return true;
  }

  /** @internal The heartbeat found the connection idle. */
  heartbeatDue(): void {
    this.protocolCore.heartbeatDue();
  }

  /** @internal More than MAX_UNREAD_PONGS Pongs wait for a peer that does not read. */
  pongsUnread(): void {
    this.unreadPongs = 0;
    this.protocolCore.pongsUnread();
  }

  /** @internal The heartbeat's Ping went unanswered. */
  pongTimeout(): void {
    this.protocolCore.pongTimeout();
  }

  /** @internal */
  closeTimeout(): void {
    this.closeTimer = undefined;
    this.protocolCore.closeTimeout();
  }
}
