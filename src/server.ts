/**
 * The WebSocket server: an HTTP server whose upgrade requests become WebSocketConnections.
 * HTTP parsing is Node's (llhttp); malformed HTTP gets Node's 400 and the socket closes.
 *
 * Events: `connection` (connection: WebSocketConnection, request: IncomingMessage),
 * `listening`, `error`.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketConnection, type ConnectionOptions } from './websocket-connection.js';
import { ConnectionProtocol, DiscardingOutput } from './connection-protocol.js';
import type { HandshakeRefusal } from './opening-handshake.js';
import { syncZlibStreamsWork } from './permessage-deflate/sync-zlib-stream.js';
import type { ProtocolTransition } from './protocol-machines.js';
import { CloseCode } from './close-code.js';
import type { ProtocolEvent } from '../machines/protocol-events.js';
import { InspectorFeed, type InspectOptions } from './inspector/inspector-feed.js';
import { joinTransitionHooks } from './inspector/inspection-hooks.js';
import type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import { HeartbeatSweep } from './heartbeat-sweep.js';
import { handshakeTimeoutServerOptions } from './handshake-timeout.js';

function checkRange(name: string, value: number | undefined, low: number, high: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < low || value > high)) {
    throw new RangeError(`perMessageDeflate.${name} must be an integer from ${low} to ${high}`);
  }
}

/** Refuse settings zlib or RFC 7692 cannot keep, at construction rather than per connection. */
function checkPerMessageDeflateOptions(options: PerMessageDeflateOptions): void {
  // zlib turns a raw-deflate window of 8 bits into 9: a promise of 8 could not be kept.
  checkRange('serverMaxWindowBits', options.serverMaxWindowBits, 9, 15);
  checkRange('clientMaxWindowBits', options.clientMaxWindowBits, 8, 15);
  checkRange('level', options.level, 0, 9);
  checkRange('memLevel', options.memLevel, 1, 9);
  checkRange('threshold', options.threshold, 0, Number.MAX_SAFE_INTEGER);
}

export interface ServerOptions {
  /** Default 9001. 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest message accepted, in bytes; a larger one fails the connection with 1009. Default 64 MiB. */
  maxMessageSize?: number;
  /** How long to wait for the peer to finish closing before dropping TCP. Default 30 s. */
  closeTimeoutMs?: number;
  /** Stop reading from a peer while this many bytes wait to be written to it. Default 1 MiB. */
  writeHighWaterMark?: number;
  /**
   * Ping a connection idle this long, and fail it with 1011 (dropping TCP) when neither a Pong
   * nor any byte arrives within as long again (src/heartbeat-sweep.ts). Default 0: off.
   */
  heartbeatIntervalMs?: number;
  /**
   * The opening handshake's request must be complete within this time, or Node's HTTP server
   * answers 408 and closes (src/handshake-timeout.ts). Default 10 s.
   */
  handshakeTimeoutMs?: number;
  /**
   * RFC 7692 permessage-deflate: `true` for the defaults, an options object to tune it, false or
   * absent to never agree to it. The message size limit applies to the inflated size.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * Called on every transition any connection's machines take, with the event that caused it.
   * The event object may be reused by the connection for the next frame: copy what you keep.
   */
  onTransition?: (connection: WebSocketConnection, transition: ProtocolTransition, event: ProtocolEvent) => void;
  /**
   * Serve the live inspector at `/inspect` on this port (src/inspector/): `true`, or options.
   * Off (the default), inspection costs nothing.
   */
  inspect?: boolean | InspectOptions;
}

export const defaultServerOptions = {
  port: 9001,
  host: '127.0.0.1',
  maxMessageSize: 64 * 1024 * 1024,
  closeTimeoutMs: 30_000,
  writeHighWaterMark: 1024 * 1024,
  heartbeatIntervalMs: 0,
  handshakeTimeoutMs: 10_000,
} as const;

export class WebSocketServer extends EventEmitter {
  readonly httpServer: Server;
  /** Connections whose TCP connection is not closed yet. */
  readonly connections = new Set<WebSocketConnection>();
  private readonly options: Required<Omit<ServerOptions, 'onTransition' | 'perMessageDeflate' | 'inspect'>> & Pick<ServerOptions, 'onTransition'>;
  private readonly perMessageDeflate: PerMessageDeflateOptions | undefined;
  /** The live inspector, when the `inspect` option is on. */
  readonly inspector: InspectorFeed | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    const { perMessageDeflate, inspect, ...rest } = options;
    this.options = { ...defaultServerOptions, ...rest };
    this.inspector = inspect ? new InspectorFeed(inspect === true ? {} : inspect) : undefined;
    this.options.onTransition = joinTransitionHooks(rest.onTransition, this.inspector?.onTransition);
    this.perMessageDeflate = perMessageDeflate === true ? {} : perMessageDeflate || undefined;
    if (this.perMessageDeflate) checkPerMessageDeflateOptions(this.perMessageDeflate);
    if (this.perMessageDeflate && !syncZlibStreamsWork) {
      // RFC 7692 §5: a server may decline every offer; better that than a codec that misbehaves.
      process.emitWarning('this Node has no synchronous zlib handle (see sync-zlib-stream.ts): permessage-deflate is declined', 'StatesocketWarning');
      this.perMessageDeflate = undefined;
    }
    this.connectionOptions = {
      maxMessageSize: this.options.maxMessageSize,
      closeTimeoutMs: this.options.closeTimeoutMs,
      writeHighWaterMark: this.options.writeHighWaterMark,
      perMessageDeflate: this.perMessageDeflate,
      onTransition: this.options.onTransition,
      onFrame: this.inspector?.onFrame,
      heartbeat: this.options.heartbeatIntervalMs > 0 ? new HeartbeatSweep(this.options.heartbeatIntervalMs) : undefined,
    };
    this.uninspectedConnectionOptions = { ...this.connectionOptions, onTransition: undefined, onFrame: undefined };
    this.httpServer = createServer(handshakeTimeoutServerOptions(this.options.handshakeTimeoutMs), (request, response) => this.onRequest(request, response));
    this.httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(request, socket as Socket, head),
    );
    this.httpServer.on('error', (error) => this.emit('error', error));
  }

  /** Start listening; resolves with the address actually bound. */
  listen(): Promise<{ host: string; port: number; url: string }> {
    return new Promise((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(this.options.port, this.options.host, () => {
        this.httpServer.off('error', reject);
        const address = this.httpServer.address();
        const port = typeof address === 'object' && address !== null ? address.port : this.options.port;
        const host = this.options.host;
        const hostInUrl = host.includes(':') ? `[${host}]` : host;
        this.emit('listening');
        resolve({ host, port, url: `ws://${hostInUrl}:${port}` });
      });
    });
  }

  /**
   * Stop accepting connections, start the closing handshake on every open connection with
   * `code` (default 1001, "going away"), and resolve once all are closed — dropping those
   * still open after `timeoutMs`.
   */
  async close(code: number = CloseCode.goingAway, reason = 'server shutting down', timeoutMs = 5000): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.httpServer.closeAllConnections();
    const open = [...this.connections];
    const allClosed = Promise.all(
      open.map((connection) => new Promise<void>((resolve) => {
        if (connection.readyState === 'closed') return resolve();
        connection.once('close', () => resolve());
        connection.close(code, reason);
      })),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([allClosed, deadline]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.terminate();
    await stopped;
  }

  /** Settings shared by every connection (one object, so connections share their protocol options). */
  private readonly connectionOptions: ConnectionOptions;
  /** The same for the inspector page's own connection, which is never inspected. */
  private readonly uninspectedConnectionOptions: ConnectionOptions;

  private onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    // The inspector page's own WebSocket is served here but never inspected, nor emitted.
    const inspectorPage = this.inspector?.pageUpgrade(request, socket);
    if (inspectorPage === 'refused') return;
    const options = inspectorPage ? this.uninspectedConnectionOptions : this.connectionOptions;
    const connection = new WebSocketConnection(socket, request, options);
    if (!connection.start(request, head)) return;
    this.connections.add(connection);
    connection.once('close', () => this.connections.delete(connection));
    if (inspectorPage) return inspectorPage(connection);
    this.emit('connection', connection, request);
  }

  /**
   * A request that is not an upgrade: the connection machine refuses it like any handshake
   * it cannot accept (most often 426 Upgrade Required).
   */
  protected onRequest(request: IncomingMessage, response: ServerResponse): void {
    if (this.inspector?.handleRequest(request, response)) return;
    let refusal: HandshakeRefusal = { status: 400, statusText: 'Bad Request', headers: {}, body: '' };
    const output = new (class extends DiscardingOutput {
      override refuseHandshake(decided: HandshakeRefusal): void {
        refusal = decided;
      }
    })();
    const protocol = new ConnectionProtocol(output, { maxMessageSize: 0, perMessageDeflate: undefined });
    protocol.receiveHandshake({ method: request.method ?? '', httpVersion: request.httpVersion, headers: request.headers });
    response.writeHead(refusal.status, refusal.statusText, refusal.headers);
    response.end(refusal.body);
  }
}
