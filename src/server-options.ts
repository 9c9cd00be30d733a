/**
 * What a WebSocketServer is made with and what it emits: `ws` 8's option names (with statesocket's
 * own additions), the `verifyClient` hook's types, and the event map that types `on`/`emit`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { WebSocketConnection } from './websocket-connection.js';
import type { ProtocolTransition } from './protocol-machines.js';
import type { ProtocolEvent } from '../machines/protocol-events.js';
import type { InspectOptions } from './inspector/inspector-feed.js';
import type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';

function checkRange(name: string, value: number | undefined, low: number, high: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < low || value > high)) {
    throw new RangeError(`perMessageDeflate.${name} must be an integer from ${low} to ${high}`);
  }
}

/** Refuse settings zlib or RFC 7692 cannot keep, at construction rather than per connection. */
export function checkPerMessageDeflateOptions(options: PerMessageDeflateOptions): void {
  // zlib turns a raw-deflate window of 8 bits into 9: a promise of 8 could not be kept.
  checkRange('serverMaxWindowBits', options.serverMaxWindowBits, 9, 15);
  checkRange('clientMaxWindowBits', options.clientMaxWindowBits, 8, 15);
  checkRange('level', options.level, 0, 9);
  checkRange('memLevel', options.memLevel, 1, 9);
  checkRange('threshold', options.threshold, 0, Number.MAX_SAFE_INTEGER);
  checkRange('releaseAfterIdleMs', options.releaseAfterIdleMs, 0, 2 ** 31 - 1);
}

/** What `verifyClient` is told about a handshake, as in `ws`. */
export interface VerifyClientInfo {
  origin: string | undefined;
  /** The request came over TLS. */
  secure: boolean;
  req: IncomingMessage;
}

/** How an asynchronous `verifyClient` answers: accept, or refuse with a status (default 401), a body and headers. */
export type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: Record<string, string | number>) => void;

/**
 * `(info) => boolean`, or — when it declares two parameters, as `ws` tells them apart —
 * `(info, callback) => void` answering through `callback`.
 */
export type VerifyClient = (info: VerifyClientInfo, callback: VerifyClientCallback) => boolean | void;

export interface ServerOptions {
  /** Listen on this port (0: a free one) and host; exactly one of `port`, `server`, `noServer`. */
  port?: number;
  /** With `port`: the address to bind. Default: every interface, as `ws` and `net` do. */
  host?: string;
  /** With `port`: the listen backlog. */
  backlog?: number;
  /** Share this HTTP or HTTPS server: its upgrade requests are handled, its plain requests left to it. */
  server?: Server | HttpsServer;
  /** Handle only the upgrades passed to `handleUpgrade`. */
  noServer?: boolean;
  /** Accept only requests whose path (without the query) is this; others get 400. */
  path?: string;
  /** Decide whether to accept a handshake (after the protocol checks passed). */
  verifyClient?: VerifyClient;
  /**
   * Choose one of the client's subprotocols (RFC 6455 §4.2.2 item 5.4), or false for none. Called
   * only when the client offered some. Default: none is chosen (where `ws` takes the first). A
   * value the client did not offer is a server bug: the handshake is refused with 500.
   */
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false | null | undefined;
  /** Keep the open connections in `clients`. Default true. */
  clientTracking?: boolean;
  /** Largest message accepted, in bytes; a larger one fails the connection with 1009. Default 64 MiB. */
  maxPayload?: number;
  /** The same as `maxPayload` (statesocket's earlier name). */
  maxMessageSize?: number;
  /** How long to wait for the peer to finish closing before dropping TCP. Default 30 s. */
  closeTimeoutMs?: number;
  /** Stop reading from a peer while this many bytes wait to be written to it. Default 1 MiB. */
  writeHighWaterMark?: number;
  /**
   * Fail a connection with 1008 and drop TCP when the application's `send()` leaves more than this
   * many bytes (`bufferedAmount`) waiting for a peer that does not read. Default 64 MiB (one
   * largest message); `Infinity`: no bound, as in `ws`.
   */
  maxBufferedAmount?: number;
  /**
   * Ping a connection idle this long, and fail it with 1011 (dropping TCP) when neither a Pong
   * nor any byte arrives within as long again (src/heartbeat-sweep.ts). Default 0: off.
   */
  heartbeatIntervalMs?: number;
  /**
   * The opening handshake's request must be complete within this time, or the HTTP server answers
   * 408 and closes (src/handshake-timeout.ts; with `server`, set that server's
   * `headersTimeout`/`requestTimeout`). And once complete, an asynchronous `verifyClient` must
   * answer within as long again, or the connection machine refuses with 503 (HANDSHAKE_TIMEOUT).
   * Default 10 s.
   */
  handshakeTimeoutMs?: number;
  /**
   * Most open connections; an upgrade over it is refused with 503 and `Retry-After: 1`.
   * Default: unlimited (as `ws` and python-websockets), the process's file-descriptor limit bounds it.
   */
  maxConnections?: number;
  /**
   * RFC 6455 §10.2: the origins (RFC 6454 serializations, e.g. `https://example.com`, compared
   * case-insensitively in scheme and host) whose scripts may connect; any other |Origin| gets 403.
   * A request without Origin (a client that is no browser) is allowed. Default: absent, every origin.
   */
  allowedOrigins?: string[];
  /** Most header fields an upgrade request may have; over it: 431. Default 128 (python-websockets' limit). */
  maxHeaderCount?: number;
  /**
   * Most bytes of header fields an upgrade request may have; over it: 431. Default 16 KiB (Node's
   * `maxHeaderSize`, which statesocket's own HTTP server is given too).
   */
  maxHeaderBytes?: number;
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
   * Serve the live inspector at `/inspect` (src/inspector/, loaded only when asked for): `true`, or
   * options. The page is served only with `port` (statesocket owns the HTTP server then).
   */
  inspect?: boolean | InspectOptions;
}

export const defaultServerOptions = {
  maxMessageSize: 64 * 1024 * 1024,
  closeTimeoutMs: 30_000,
  writeHighWaterMark: 1024 * 1024,
  heartbeatIntervalMs: 0,
  maxBufferedAmount: 64 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  maxConnections: Infinity,
  maxHeaderCount: 128,
  maxHeaderBytes: 16 * 1024,
} as const;

/** Where the server listens; what `listen()` resolves with. */
export interface ListeningAddress {
  host: string;
  port: number;
  /** `ws://` or, over an HTTPS server, `wss://`. */
  url: string;
}

/** The events of a server and their arguments. */
export interface WebSocketServerEvents {
  connection: [connection: WebSocketConnection, request: IncomingMessage];
  listening: [];
  error: [error: Error];
  /** The 101 response's header lines, before they are written: add to them or read them. */
  headers: [headers: string[], request: IncomingMessage];
  close: [];
  /** A handshake failed the protocol checks; with a listener, the socket is the listener's to answer. */
  wsClientError: [error: Error, socket: Duplex, request: IncomingMessage];
}
