/**
 * The WebSocket server, with the names and semantics of `ws` 8's `WebSocketServer`: it listens on
 * its own port (`port`), shares an application's HTTP(S) server (`server`), or only handles the
 * upgrades it is given (`noServer` + `handleUpgrade`). HTTP parsing is Node's (llhttp); malformed
 * HTTP gets Node's 400. Every protocol decision on the opening handshake is the connection
 * machine's; the application's hooks (`verifyClient`, `handleProtocols`) run before it.
 *
 * Events (typed, see WebSocketServerEvents): `connection` (connection, request), `listening`,
 * `error`, `headers` (headers, request), `close`, `wsClientError` (error, socket, request).
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketConnection, type ConnectionOptions, type EventListenerOf } from './websocket-connection.js';
import { ConnectionProtocol, DiscardingOutput } from './connection-protocol.js';
import {
  asksForVersion13,
  asksForWebSocketUpgrade,
  handshakeRefusal,
  isGetRequest,
  isWellFormedUpgradeRequest,
  refusalResponseText,
  type HandshakeRefusal,
} from './opening-handshake.js';
import { parseSubprotocols } from './subprotocol.js';
import { CloseCode } from './close-code.js';
import { syncZlibStreamsWork } from './permessage-deflate/sync-zlib-stream.js';
import type { InspectorFeed, InspectOptions } from './inspector/inspector-feed.js';
import type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import {
  checkPerMessageDeflateOptions,
  defaultServerOptions,
  type ListeningAddress,
  type ServerOptions,
  type VerifyClientInfo,
  type WebSocketServerEvents,
} from './server-options.js';
import { HeartbeatSweep } from './heartbeat-sweep.js';
import { handshakeTimeoutServerOptions } from './handshake-timeout.js';
import { allowedOriginSet, handshakeLimitFlags, overAnyLimit, type HandshakeLimits } from './handshake-limits.js';

export {
  defaultServerOptions,
  type ListeningAddress,
  type ServerOptions,
  type VerifyClient,
  type VerifyClientCallback,
  type VerifyClientInfo,
  type WebSocketServerEvents,
} from './server-options.js';

/** Typed listener methods: a misspelt event name or a wrong listener fails to compile. */
export interface WebSocketServer {
  on<E extends keyof WebSocketServerEvents>(event: E, listener: EventListenerOf<WebSocketServerEvents, E>): this;
  once<E extends keyof WebSocketServerEvents>(event: E, listener: EventListenerOf<WebSocketServerEvents, E>): this;
  off<E extends keyof WebSocketServerEvents>(event: E, listener: EventListenerOf<WebSocketServerEvents, E>): this;
  addListener<E extends keyof WebSocketServerEvents>(event: E, listener: EventListenerOf<WebSocketServerEvents, E>): this;
  removeListener<E extends keyof WebSocketServerEvents>(event: E, listener: EventListenerOf<WebSocketServerEvents, E>): this;
  prependListener<E extends keyof WebSocketServerEvents>(event: E, listener: EventListenerOf<WebSocketServerEvents, E>): this;
  emit<E extends keyof WebSocketServerEvents>(event: E, ...args: WebSocketServerEvents[E]): boolean;
}

/** The request passes every check of the connection machine's HANDSHAKE_REQUEST refusals. */
function passesProtocolChecks(request: IncomingMessage): boolean {
  const fields = { method: request.method ?? '', httpVersion: request.httpVersion, headers: request.headers };
  return isGetRequest(fields) && asksForWebSocketUpgrade(fields) && asksForVersion13(fields) && isWellFormedUpgradeRequest(fields);
}

/** Answer a handshake the application refused, as `ws` does, and close. */
function abortHandshake(socket: Duplex, status: number, message?: string, headers: Record<string, string | number> = {}): void {
  const refusal = handshakeRefusal(status, message);
  for (const [name, value] of Object.entries(headers)) refusal.headers[name] = String(value);
  socket.once('finish', () => socket.destroy());
  socket.end(refusalResponseText(refusal));
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

export class WebSocketServer extends EventEmitter {
  /** The HTTP(S) server upgrades come from: statesocket's own (`port`) or the application's (`server`). */
  readonly httpServer: Server | HttpsServer | undefined;
  /** Connections whose TCP connection is not closed yet (always kept: `shutdown` needs them). */
  readonly connections = new Set<WebSocketConnection>();
  /** The live inspector, once loaded, when the `inspect` option is on. */
  inspector: InspectorFeed | undefined;
  private readonly options: ServerOptions;
  private readonly perMessageDeflate: PerMessageDeflateOptions | undefined;
  /** Settings shared by every connection (one object, so connections share their protocol options). */
  private connectionOptions: ConnectionOptions;
  /** The same for the inspector page's own connection, which is never inspected. */
  private uninspectedConnectionOptions: ConnectionOptions;
  private state = RUNNING;
  /** Settles once the server listens (or fails to); for `listen()`. */
  private listening: Promise<ListeningAddress> | undefined;
  /** Someone awaits `listen()`: a listen error rejects it rather than being emitted unheard. */
  private listenAwaited = false;
  private readonly detachFromHttpServer: (() => void) | undefined;
  /** The limits the connection machine refuses requests over (431, 403, 503). */
  private readonly limits: HandshakeLimits;
  /** How long a complete upgrade request may wait for an asynchronous `verifyClient`. */
  private readonly handshakeTimeoutMs: number;

  constructor(options: ServerOptions = {}, callback?: () => void) {
    super();
    const modes = [options.port != null, options.server != null, options.noServer === true].filter(Boolean).length;
    if (modes !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    this.options = options;
    const { perMessageDeflate } = options;
    this.perMessageDeflate = perMessageDeflate === true ? {} : perMessageDeflate || undefined;
    if (this.perMessageDeflate) checkPerMessageDeflateOptions(this.perMessageDeflate);
    if (this.perMessageDeflate && !syncZlibStreamsWork) {
      // RFC 7692 §5: a server may decline every offer; better that than a codec that misbehaves.
      process.emitWarning('this Node has no synchronous zlib handle (see sync-zlib-stream.ts): permessage-deflate is declined', 'StatesocketWarning');
      this.perMessageDeflate = undefined;
    }
    this.connectionOptions = {
      maxMessageSize: options.maxPayload ?? options.maxMessageSize ?? defaultServerOptions.maxMessageSize,
      closeTimeoutMs: options.closeTimeoutMs ?? defaultServerOptions.closeTimeoutMs,
      writeHighWaterMark: options.writeHighWaterMark ?? defaultServerOptions.writeHighWaterMark,
      maxBufferedAmount: options.maxBufferedAmount ?? defaultServerOptions.maxBufferedAmount,
      perMessageDeflate: this.perMessageDeflate,
      onTransition: options.onTransition,
      heartbeat: (options.heartbeatIntervalMs ?? 0) > 0 ? new HeartbeatSweep(options.heartbeatIntervalMs!) : undefined,
    };
    this.uninspectedConnectionOptions = { ...this.connectionOptions, onTransition: undefined, onFrame: undefined };
    this.limits = {
      maxHeaderCount: options.maxHeaderCount ?? defaultServerOptions.maxHeaderCount,
      maxHeaderBytes: options.maxHeaderBytes ?? defaultServerOptions.maxHeaderBytes,
      allowedOrigins: allowedOriginSet(options.allowedOrigins),
      maxConnections: options.maxConnections ?? defaultServerOptions.maxConnections,
    };
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? defaultServerOptions.handshakeTimeoutMs;
    const inspectorLoaded = options.inspect ? this.loadInspector(options.inspect) : undefined;

    if (options.noServer) return;
    const server =
      options.server ??
      createServer(
        // Node answers 431 itself to a request whose head is over maxHeaderSize.
        { ...handshakeTimeoutServerOptions(this.handshakeTimeoutMs), maxHeaderSize: this.limits.maxHeaderBytes },
        (request, response) => this.onRequest(request, response),
      );
    this.httpServer = server;
    const listeners = {
      listening: () => this.emit('listening'),
      error: (error: Error) => this.onServerError(error),
      upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) =>
        this.handleUpgrade(request, socket, head, (connection) => this.emit('connection', connection, request)),
    };
    for (const [event, listener] of Object.entries(listeners)) server.on(event, listener);
    this.detachFromHttpServer = () => {
      for (const [event, listener] of Object.entries(listeners)) server.off(event, listener);
    };
    if (callback) this.once('listening', callback);
    if (options.port == null) return;
    // ws: a server made with `port` listens at once. `listen()` only waits for it.
    this.listening = this.whenListening(server);
    const { port, host, backlog } = options;
    const bind = () => server.listen({ port, host, backlog: backlog ?? undefined });
    if (inspectorLoaded) inspectorLoaded.then(bind, bind);
    else bind();
  }

  /**
   * Resolves with the address once the server listens; rejects (and emits no `error`) when it
   * cannot, e.g. EADDRINUSE. With `port` the server started listening when constructed; with
   * `server` it listens when the application starts it.
   */
  listen(): Promise<ListeningAddress> {
    if (this.httpServer === undefined) return Promise.reject(new Error('The server is operating in "noServer" mode'));
    this.listenAwaited = true;
    return (this.listening ??= this.whenListening(this.httpServer));
  }

  private whenListening(server: Server | HttpsServer): Promise<ListeningAddress> {
    const listening = new Promise<ListeningAddress>((resolve, reject) => {
      const settle = (error?: Error) => {
        server.off('listening', settle);
        server.off('error', settle);
        if (error) return reject(error);
        const { port } = server.address() as AddressInfo;
        const host = this.options.host ?? 'localhost';
        const scheme = 'setSecureContext' in server ? 'wss' : 'ws';
        resolve({ host, port, url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}` });
      };
      if (server.listening) return settle();
      server.on('listening', settle);
      server.on('error', settle);
    });
    listening.catch(() => {});
    return listening;
  }

  /** A server error reaches `error` listeners; a listen error nobody listens for only rejects `listen()`. */
  private onServerError(error: Error): void {
    if (this.listenerCount('error') > 0 || !this.listenAwaited || this.httpServer?.listening) this.emit('error', error);
  }

  private async loadInspector(inspect: true | InspectOptions): Promise<void> {
    const [{ InspectorFeed }, { joinTransitionHooks }] = await Promise.all([
      import('./inspector/inspector-feed.js'),
      import('./inspector/inspection-hooks.js'),
    ]);
    const inspector = new InspectorFeed(inspect === true ? {} : inspect);
    this.inspector = inspector;
    this.connectionOptions = {
      ...this.connectionOptions,
      onTransition: joinTransitionHooks(this.options.onTransition, inspector.onTransition),
      onFrame: inspector.onFrame,
    };
  }

  /** The bound address, as `net.Server.address()`; throws in noServer mode. */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this.httpServer?.address() ?? null;
  }

  /** The open connections, when `clientTracking` is on (the default). */
  get clients(): Set<WebSocketConnection> | undefined {
    return this.options.clientTracking === false ? undefined : this.connections;
  }

  /** ws: whether this server handles the request (its `path` matches). */
  shouldHandle(request: IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    return (query < 0 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * ws: stop accepting connections; `close` is emitted (and `callback` called) once the server
   * has closed — with `port`, when its HTTP server has, which waits for every connection to
   * end; otherwise when no tracked connection is left. Open connections are not closed: see
   * `shutdown()`. Resolves when `close` is emitted.
   */
  close(callback?: (error?: Error) => void): Promise<void> {
    const closed = new Promise<void>((resolve) => this.once('close', resolve));
    if (this.state === CLOSED) {
      if (callback) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return closed;
    }
    if (callback) this.once('close', callback);
    if (this.state === CLOSING) return closed;
    this.state = CLOSING;
    this.detachFromHttpServer?.();
    const emitClose = () => {
      this.state = CLOSED;
      this.emit('close');
    };
    if (this.options.port != null) {
      this.httpServer!.close(() => emitClose());
    } else if (this.connections.size === 0 || this.options.clientTracking === false) {
      process.nextTick(emitClose);
    } else {
      this.closeWhenEmpty = () => {
        if (this.connections.size > 0) return;
        this.closeWhenEmpty = undefined;
        emitClose();
      };
    }
    return closed;
  }

  /** Set by `close()` without a port while connections remain: emits `close` after the last. */
  private closeWhenEmpty: (() => void) | undefined;

  /**
   * statesocket's graceful stop: `close()`, and start the closing handshake on every open
   * connection with `code` (default 1001, "going away"); resolves once all are closed, dropping
   * those still open after `timeoutMs`.
   */
  async shutdown(code: number = CloseCode.goingAway, reason = 'server shutting down', timeoutMs = 5000): Promise<void> {
    const closed = this.close();
    if (this.options.port != null) (this.httpServer as Server).closeAllConnections();
    const allClosed = Promise.all(
      [...this.connections].map((connection) => new Promise<void>((resolve) => {
        if (connection.readyState === WebSocketConnection.CLOSED) return resolve();
        connection.once('close', () => resolve());
        connection.close(code, reason);
      })),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([allClosed, deadline]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.terminate();
    await closed;
  }

  /**
   * ws: run the opening handshake for an upgrade request; `callback` gets the connection once
   * open. Refusals are answered here (with an HTTP status and a body naming the reason).
   */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: IncomingMessage) => void,
  ): void {
    socket.on('error', destroySocket);
    // The inspector page's own WebSocket is served here but never inspected, nor emitted.
    const inspectorPage = this.inspector?.pageUpgrade(request, socket as Socket);
    if (inspectorPage === 'refused') return;
    if (inspectorPage) return this.open(request, socket, head, undefined, this.uninspectedConnectionOptions, inspectorPage);
    if (!passesProtocolChecks(request)) {
      // The connection machine refuses it; with a `wsClientError` listener, the listener answers.
      if (this.listenerCount('wsClientError') > 0) {
        const probe = this.refusalOf(request);
        return void this.emit('wsClientError', new Error(probe.body.trim()), socket, request);
      }
      return this.open(request, socket, head, undefined, this.connectionOptions, callback);
    }
    if (!this.shouldHandle(request)) return abortHandshake(socket, 400, `no WebSocket endpoint at ${request.url}`);
    // Over a limit (431, 403, 503): the connection machine refuses it, before verifyClient is asked.
    if (overAnyLimit(handshakeLimitFlags(request, this.limits, this.connections.size))) {
      return this.open(request, socket, head, undefined, this.connectionOptions, callback);
    }
    const verifyClient = this.options.verifyClient;
    if (verifyClient === undefined) return this.completeUpgrade(request, socket, head, callback);
    const info: VerifyClientInfo = {
      origin: request.headers.origin,
      secure: Boolean((request.socket as Socket & { encrypted?: boolean }).encrypted),
      req: request,
    };
    if (verifyClient.length >= 2) {
      const pending = this.awaitDecision(request, socket);
      verifyClient(info, (result, code, message, headers) => {
        // HANDSHAKE_TIMEOUT came first: the machine has refused (503) and the socket is closing.
        if (!pending.decided()) return;
        if (!result) return abortHandshake(socket, code || 401, message, headers);
        this.completeUpgrade(request, socket, head, callback, pending.connection);
      });
      return;
    }
    if (!verifyClient(info, () => {})) return abortHandshake(socket, 401);
    this.completeUpgrade(request, socket, head, callback);
  }

  /**
   * A complete upgrade request now waits for the application (an asynchronous verifyClient): its
   * connection exists, CONNECTING, and gets HANDSHAKE_TIMEOUT unless the answer comes within
   * `handshakeTimeoutMs`. One timer per waiting request — they are few (only requests an
   * asynchronous verifyClient holds, each already past Node's header timeout), and Node keeps
   * every timer of one duration in one list behind one native timer, which is the shared timer
   * wheel the issue asks for. The timer goes with the decision or with the socket.
   */
  private awaitDecision(request: IncomingMessage, socket: Duplex): { connection: WebSocketConnection; decided(): boolean } {
    const connection = new WebSocketConnection(socket as Socket, request, this.connectionOptions);
    let timedOut = false;
    const timer = setTimeout(() => {
      socket.off('close', stop);
      timedOut = connection.handshakeTimeout();
    }, this.handshakeTimeoutMs);
    timer.unref();
    const stop = () => clearTimeout(timer);
    socket.once('close', stop);
    return {
      connection,
      decided: () => {
        stop();
        socket.off('close', stop);
        return !timedOut;
      },
    };
  }

  private completeUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: IncomingMessage) => void,
    pending?: WebSocketConnection,
  ): void {
    // The client may have gone while verifyClient was deciding.
    if (!socket.readable || !socket.writable) return void socket.destroy();
    if (this.state !== RUNNING) return abortHandshake(socket, 503, 'the server is closing');
    const offered = parseSubprotocols(request.headers['sec-websocket-protocol']) ?? [];
    let subprotocol: string | undefined;
    if (offered.length > 0 && this.options.handleProtocols) {
      const chosen = this.options.handleProtocols(new Set(offered), request);
      if (typeof chosen === 'string') {
        // §4.2.2 item 5.4: "The value chosen MUST be derived from the client's handshake".
        if (!offered.includes(chosen)) {
          return abortHandshake(socket, 500, `handleProtocols chose "${chosen}", which the client did not offer`);
        }
        subprotocol = chosen;
      }
    }
    this.open(request, socket, head, subprotocol, this.connectionOptions, callback, pending);
  }

  private open(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    subprotocol: string | undefined,
    options: ConnectionOptions,
    callback: (connection: WebSocketConnection, request: IncomingMessage) => void,
    pending?: WebSocketConnection,
  ): void {
    const connection = pending ?? new WebSocketConnection(socket as Socket, request, options);
    if (this.listenerCount('headers') > 0) connection.onHandshakeHeaders = (headers) => this.emit('headers', headers, request);
    // The limits as they stand now (verifyClient may have waited while connections opened); the
    // inspector page's own connection is not held to them.
    const limits = options === this.uninspectedConnectionOptions ? {} : handshakeLimitFlags(request, this.limits, this.connections.size);
    if (!connection.start(request, head, subprotocol, limits)) return;
    socket.off('error', destroySocket);
    this.track(connection);
    callback(connection, request);
  }

  /**
   * Keep the connection in `connections` until it closes. A method of its own, so that the
   * listener's closure holds only the connection: made inside `open`, it would share that
   * function's context and keep the upgrade request (its headers, its IncomingMessage) alive for
   * as long as the connection lives — about 1 KiB of heap per idle connection.
   */
  private track(connection: WebSocketConnection): void {
    this.connections.add(connection);
    connection.once('close', () => {
      this.connections.delete(connection);
      this.closeWhenEmpty?.();
    });
  }

  /** What the connection machine answers this request (it runs on a throwaway core). */
  private refusalOf(request: IncomingMessage): HandshakeRefusal {
    let refusal: HandshakeRefusal = handshakeRefusal(400);
    const output = new (class extends DiscardingOutput {
      override refuseHandshake(decided: HandshakeRefusal): void {
        refusal = decided;
      }
    })();
    const protocol = new ConnectionProtocol(output, { maxMessageSize: 0, perMessageDeflate: undefined });
    protocol.receiveHandshake({ method: request.method ?? '', httpVersion: request.httpVersion, headers: request.headers });
    return refusal;
  }

  /**
   * A request that is not an upgrade, on statesocket's own HTTP server (`port`): the connection
   * machine refuses it like any handshake it cannot accept (most often 426 Upgrade Required).
   */
  protected onRequest(request: IncomingMessage, response: ServerResponse): void {
    if (this.inspector?.handleRequest(request, response)) return;
    const refusal = this.refusalOf(request);
    response.writeHead(refusal.status, refusal.statusText, refusal.headers);
    response.end(refusal.body);
  }
}
