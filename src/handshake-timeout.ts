/**
 * The opening handshake's timeout (a slowloris defence): the client's upgrade request must be
 * complete within `handshakeTimeoutMs`.
 *
 * Two waits, two owners. While the request is *incomplete*, no connection object exists: the
 * wait is in the HTTP parser (llhttp), so its timer belongs to the I/O layer that owns the parser
 * (this file). Once the request is complete, the connection machine is CONNECTING; when an
 * asynchronous `verifyClient` keeps it waiting, the server (server.ts `awaitDecision`) sends
 * HANDSHAKE_TIMEOUT after `handshakeTimeoutMs` and the machine refuses with 503 (drawn in
 * diagrams/connection.svg). For the incomplete request: Node's `headersTimeout` and `requestTimeout`,
 * checked by one interval per server (`connectionsCheckingInterval`), never a timer per socket.
 * A request still incomplete when the timeout passes gets `408 Request Timeout` and the socket is
 * closed (Node's answer). nginx's `client_header_timeout` does the same (its default: 60 s, 408).
 */
import type { ServerOptions } from 'node:http';

/** How often Node checks for requests that took too long: a quarter of the timeout, 50 ms to 1 s. */
export function handshakeCheckingIntervalMs(handshakeTimeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(handshakeTimeoutMs / 4)));
}

/** The HTTP server options that bound the opening handshake's request to `handshakeTimeoutMs`. */
export function handshakeTimeoutServerOptions(handshakeTimeoutMs: number): ServerOptions {
  if (!Number.isInteger(handshakeTimeoutMs) || handshakeTimeoutMs <= 0) {
    throw new RangeError('handshakeTimeoutMs must be a positive integer');
  }
  return {
    // The headers (all of an upgrade request) within the timeout...
    headersTimeout: handshakeTimeoutMs,
    // ...and the whole request (Node requires requestTimeout ≥ headersTimeout).
    requestTimeout: handshakeTimeoutMs,
    connectionsCheckingInterval: handshakeCheckingIntervalMs(handshakeTimeoutMs),
  };
}
