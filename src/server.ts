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
import { WebSocketConnection, type ConnectionOptions, type EventListenerOf, type UpgradeRequestFacts } from './websocket-connection.js';
import { ConnectionProtocol, DiscardingOutput } from './connection-protocol.js';
import { handshakeRefusal, isRequestRefusal, type HandshakeRefusal, type HandshakeRequestFields } from './opening-handshake.js';
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
import { allowedOriginSet, handshakeLimitFlags, type HandshakeLimits } from './handshake-limits.js';

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

/** The request as the opening-handshake predicates read it. */
function requestFields(request: IncomingMessage): HandshakeRequestFields {
  return { method: request.method ?? '', httpVersion: request.httpVersion, headers: request.headers };
}

/** What `handleProtocols` chose: an offered subprotocol, none, or (a server bug) one the client did not offer. */
interface SubprotocolChoice {
  chosen?: string;
  notOffered?: string;
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
   *
   * The connection machine decides on the request once (HANDSHAKE_REQUEST), in ws's order: the
   * request itself (405, 426, 400), the resource (`path` / `shouldHandle`, 400), the server's
   * limits (431, 403, 503). A request it accepts is answered at once, unless the application has
   * a say (`verifyClient`, a closing server, a `handleProtocols` choice the client did not offer):
   * then the machine waits for it (APPLICATION_ACCEPTED, APPLICATION_REFUSED, or
   * HANDSHAKE_TIMEOUT), and `verifyClient` is asked only about a request the machine accepted.
   * `shouldHandle`, and without `verifyClient` also `handleProtocols`, are asked before the
   * machine decides (their answers are facts of the request); neither is asked twice.
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
    if (inspectorPage) return this.openInspectorPage(request, socket, head, inspectorPage);
    const { verifyClient, handleProtocols } = this.options;
    // Without verifyClient, handleProtocols' choice is known now and goes with the request (a
    // choice the client did not offer is refused once the machine has looked at the request).
    let choice: SubprotocolChoice | undefined;
    if (verifyClient === undefined && handleProtocols !== undefined && this.state === RUNNING) choice = this.chooseSubprotocol(request);
    const applicationDecides = verifyClient !== undefined || this.state !== RUNNING || choice?.notOffered !== undefined;
    const connection = new WebSocketConnection(socket as Socket, request, this.connectionOptions);
    if (this.listenerCount('headers') > 0) connection.onHandshakeHeaders = (headers) => this.emit('headers', headers, request);
    const facts: UpgradeRequestFacts = handshakeLimitFlags(request, this.limits, this.connections.size);
    if (!this.shouldHandle(request)) {
      facts.resourceNotServed = true;
      facts.url = request.url;
    }
    if (applicationDecides) facts.applicationDecides = true;
    else if (choice?.chosen !== undefined) facts.subprotocol = choice.chosen;
    connection.receiveUpgradeRequest(request, facts);
    const refusal = connection.refusal;
    if (refusal !== undefined) {
      // ws: a listener answers a request that is not a valid WebSocket request itself.
      if (this.listenerCount('wsClientError') > 0 && isRequestRefusal(refusal, requestFields(request))) {
        return void this.emit('wsClientError', new Error(refusal.body.trim()), socket, request);
      }
      return void connection.finishOpeningHandshake(head);
    }
    if (!applicationDecides) return this.opened(connection, request, head, callback);
    if (verifyClient === undefined) return this.completeUpgrade(connection, request, socket, head, callback, choice);
    const info: VerifyClientInfo = {
      origin: request.headers.origin,
      secure: Boolean((request.socket as Socket & { encrypted?: boolean }).encrypted),
      req: request,
    };
    if (verifyClient.length >= 2) {
      const pending = this.awaitDecision(connection, socket);
      verifyClient(info, (result, code, message, headers) => {
        // HANDSHAKE_TIMEOUT came first: the machine has refused (503) and the socket is closing.
        if (!pending.decided()) return;
        if (!result) return this.refuse(connection, head, code || 401, message, headers);
        this.completeUpgrade(connection, request, socket, head, callback);
      });
      return;
    }
    if (!verifyClient(info, () => {})) return this.refuse(connection, head, 401);
    this.completeUpgrade(connection, request, socket, head, callback);
  }

  /**
   * An asynchronous `verifyClient` decides: the connection, CONNECTING, gets HANDSHAKE_TIMEOUT
   * unless the answer comes within `handshakeTimeoutMs`. One timer per waiting request — they are
   * few (only requests an asynchronous verifyClient holds, each already past Node's header
   * timeout), and Node keeps every timer of one duration in one list behind one native timer,
   * which is the shared timer wheel the issue asks for. The timer goes with the decision or with
   * the socket.
   */
  private awaitDecision(connection: WebSocketConnection, socket: Duplex): { decided(): boolean } {
    let timedOut = false;
    const timer = setTimeout(() => {
      socket.off('close', stop);
      timedOut = connection.handshakeTimeout();
    }, this.handshakeTimeoutMs);
    timer.unref();
    const stop = () => clearTimeout(timer);
    socket.once('close', stop);
    return {
      decided: () => {
        stop();
        socket.off('close', stop);
        return !timedOut;
      },
    };
  }

  /** The application let the request through `verifyClient` (or had none): the server's state and `handleProtocols` have their say. */
  private completeUpgrade(
    connection: WebSocketConnection,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: IncomingMessage) => void,
    choice?: SubprotocolChoice,
  ): void {
    // The client may have gone while verifyClient was deciding.
    if (!socket.readable || !socket.writable) return void socket.destroy();
    if (this.state !== RUNNING) return this.refuse(connection, head, 503, 'the server is closing');
    const { chosen, notOffered } = choice ?? this.chooseSubprotocol(request);
    if (notOffered !== undefined) {
      return this.refuse(connection, head, 500, `handleProtocols chose "${notOffered}", which the client did not offer`);
    }
    // The connection limit as it stands now (verifyClient may have waited while connections opened).
    connection.applicationAccepted(chosen, this.connections.size >= this.limits.maxConnections);
    this.opened(connection, request, head, callback);
  }

  /** The application's `handleProtocols` choice among the subprotocols the request offers (none asked without an offer). */
  private chooseSubprotocol(request: IncomingMessage): SubprotocolChoice {
    const offered = parseSubprotocols(request.headers['sec-websocket-protocol']) ?? [];
    if (offered.length === 0 || !this.options.handleProtocols) return {};
    const chosen = this.options.handleProtocols(new Set(offered), request);
    if (typeof chosen !== 'string') return {};
    // §4.2.2 item 5.4: "The value chosen MUST be derived from the client's handshake".
    return offered.includes(chosen) ? { chosen } : { notOffered: chosen };
  }

  /** The application refused the request, as `ws` answers: `status`, `message` (or the status's phrase) and `headers`. */
  private refuse(connection: WebSocketConnection, head: Buffer, status: number, message?: string, headers: Record<string, string | number> = {}): void {
    const refusal = handshakeRefusal(status, message);
    for (const [name, value] of Object.entries(headers)) refusal.headers[name] = String(value);
    connection.applicationRefused(refusal);
    connection.finishOpeningHandshake(head);
  }

  /** The machines have answered: a refusal is sent; an open connection is tracked and handed to `callback`. */
  private opened(
    connection: WebSocketConnection,
    request: IncomingMessage,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: IncomingMessage) => void,
  ): void {
    if (!connection.finishOpeningHandshake(head)) return;
    connection.socket.off('error', destroySocket);
    this.track(connection);
    callback(connection, request);
  }

  /** The inspector page's own connection: not inspected, not held to the limits, not emitted. */
  private openInspectorPage(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: IncomingMessage) => void,
  ): void {
    const connection = new WebSocketConnection(socket as Socket, request, this.uninspectedConnectionOptions);
    connection.receiveUpgradeRequest(request, {});
    this.opened(connection, request, head, callback);
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
    protocol.receiveHandshake(requestFields(request));
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
