/**
 * RFC 6455 §4.2: reading the client's opening handshake and writing the server's answer.
 * Pure functions over parsed HTTP; the connection machine's guards call the predicates.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hasWellFormedSubprotocols } from './subprotocol.js';

/** RFC 6455 §1.3: the GUID concatenated with the key before hashing (the one copy in src/, test/ and bench/). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §4.1: "a base64-encoded value that, when decoded, is 16 bytes in length". */
const SIXTEEN_BYTES_BASE64 = /^[+/0-9A-Za-z]{21}[AQgw]==$/;

export interface HandshakeRequestFields {
  method: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** The I/O layer found the request's resource not served (src/server.ts), and its target. */
  resourceNotServed?: boolean;
  url?: string;
}

function headerTokens(value: string | string[] | undefined): string[] {
  // Stryker disable next-line ArrayDeclaration: equivalent — the list is only searched for "upgrade" or "websocket"; any list without them answers the same for an absent header (test/mutation/equivalent-mutants.md)
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((token) => token.trim().toLowerCase());
}

/** `headerTokens(value).includes(token)` for a lower-case token, without arrays for a one-token string (the usual case). */
function hasHeaderToken(value: string | string[] | undefined, token: string): boolean {
  // Stryker disable next-line StringLiteral: equivalent — a shortcut: without it (`includes("")` is always true) every value takes headerTokens, with the same answer (test/mutation/equivalent-mutants.md)
  if (typeof value === 'string' && !value.includes(',')) return value.trim().toLowerCase() === token;
  return headerTokens(value).includes(token);
}

/** RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request". */
export function isGetRequest(request: HandshakeRequestFields): boolean {
  return request.method === 'GET';
}

/** §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket"". */
export function asksForWebSocketUpgrade(request: HandshakeRequestFields): boolean {
  return hasHeaderToken(request.headers.upgrade, 'websocket');
}

/** §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a value of 13". */
export function asksForVersion13(request: HandshakeRequestFields): boolean {
  return request.headers['sec-websocket-version'] === '13';
}

/**
 * What is wrong with an upgrade request by the rest of §4.2.1 — HTTP/1.1 or higher, a |Host|
 * header, a |Connection| header that includes the "Upgrade" token, a |Sec-WebSocket-Key| that
 * decodes to 16 bytes — and §4.1's grammar for the optional |Sec-WebSocket-Protocol|;
 * undefined when nothing is.
 */
export function malformedHandshakeReason(request: HandshakeRequestFields): string | undefined {
  // Node's parser gives '1.1' for nearly every upgrade request: no split for it. Otherwise it
  // gives `${major}.${minor}` (one digit each): below 1.1 is 0.x or 1.0.
  // Stryker disable next-line StringLiteral: equivalent — with "" every version is split, and '1.1' splits to 1 and 1, which the check below accepts (test/mutation/equivalent-mutants.md)
  if (request.httpVersion !== '1.1') {
    const [major = 0, minor = 0] = request.httpVersion.split('.').map(Number);
    if (major < 1 || (major === 1 && minor === 0)) return `HTTP/${request.httpVersion} cannot upgrade; a WebSocket handshake needs HTTP/1.1 or higher`;
  }
  if (!request.headers.host) return 'the Host header is missing';
  if (!hasHeaderToken(request.headers.connection, 'upgrade')) return 'the Connection header does not include "Upgrade"';
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !SIXTEEN_BYTES_BASE64.test(key.trim())) {
    return 'Sec-WebSocket-Key is missing or is not 16 bytes in base64';
  }
  if (!hasWellFormedSubprotocols(request.headers['sec-websocket-protocol'])) {
    return 'Sec-WebSocket-Protocol is not a list of unique tokens';
  }
  return undefined;
}

/** The request passes every check of `malformedHandshakeReason`. */
export function isWellFormedUpgradeRequest(request: HandshakeRequestFields): boolean {
  return malformedHandshakeReason(request) === undefined;
}

/** §4.2.2 item 5.4: base64(SHA-1(key + GUID)). */
export function secWebSocketAccept(key: string): string {
  return createHash('sha1').update(key.trim() + WEBSOCKET_GUID).digest('base64');
}

/** The header lines of the server's 101 answer (§4.2.2 item 5), before the blank line. */
export function switchingProtocolsHeaders(key: string, extraHeaders: string[] = []): string[] {
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${secWebSocketAccept(key)}`,
    ...extraHeaders,
  ];
}

/**
 * Why the connection machine refused a request with `status`, in words for the response body:
 * the header at fault and what the server expected, as `ws` does. Without a request, the refusal
 * is HANDSHAKE_TIMEOUT's: the server did not decide in time.
 */
export function refusalReason(status: number, request: HandshakeRequestFields | undefined): string {
  if (request === undefined) return 'the server did not decide on the handshake in time; try again';
  if (status === 431) return 'the request header fields are over the server\'s limit (count or bytes)';
  if (status === 403) return `Origin ${String(request.headers.origin)} is not allowed`;
  if (status === 503) return 'the server is at its connection limit; try again';
  if (status === 405) return `${request.method} is not allowed; a WebSocket handshake is a GET request`;
  if (status === 426) {
    if (!asksForWebSocketUpgrade(request)) return 'this is a WebSocket endpoint: send Upgrade: websocket';
    const version = request.headers['sec-websocket-version'];
    return version === undefined
      ? 'Sec-WebSocket-Version is missing; this server speaks 13'
      : `Sec-WebSocket-Version: ${String(version)} is not supported; this server speaks 13`;
  }
  const malformed = malformedHandshakeReason(request);
  if (malformed !== undefined) return malformed;
  if (request.resourceNotServed === true) return `no WebSocket endpoint at ${request.url ?? '/'}`;
  return 'Bad Request';
}

/**
 * Whether the machine refused the request for what it is by RFC 6455 §4.2.1 (405, 426, a
 * malformed 400): `ws` hands those refusals to a `wsClientError` listener. The server's own
 * refusals (its resources, its limits, its application) are answered as they are.
 */
export function isRequestRefusal(refusal: HandshakeRefusal, request: HandshakeRequestFields): boolean {
  if (refusal.status === 405 || refusal.status === 426) return true;
  return refusal.status === 400 && malformedHandshakeReason(request) !== undefined;
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface HandshakeRefusal {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A refusal of the handshake. RFC 6455 §4.2.2: "If the server doesn't support the requested
 * version, it MUST abort the WebSocket handshake ... and instead send an appropriate HTTP
 * error code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field
 * indicating the version(s) the server is capable of understanding."
 */
export function handshakeRefusal(status: number, reason?: string): HandshakeRefusal {
  const statusText = REASON_PHRASES[status] ?? 'Bad Request';
  const body = `${reason ?? statusText}\n`;
  const headers: Record<string, string> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  };
  if (status === 426) {
    headers['Upgrade'] = 'websocket';
    headers['Sec-WebSocket-Version'] = '13';
  }
  if (status === 405) headers['Allow'] = 'GET';
  // RFC 9110 §15.6.4: "The server MAY send a Retry-After header field to suggest an appropriate
  // amount of time for the client to wait before retrying the request." A connection may close
  // any moment: one second.
  if (status === 503) headers['Retry-After'] = '1';
  return { status, statusText, headers, body };
}

/** The refusal as raw HTTP/1.1 text, for a socket taken over by an upgrade. */
export function refusalResponseText(refusal: HandshakeRefusal): string {
  const lines = [`HTTP/1.1 ${refusal.status} ${refusal.statusText}`];
  for (const [name, value] of Object.entries(refusal.headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${refusal.body}`;
}
