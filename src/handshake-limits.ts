/**
 * What the I/O layer measures of an upgrade request for the connection machine's refusals
 * (HANDSHAKE_REQUEST's `headerFieldsTooLarge`, `originNotAllowed`, `connectionLimitReached`):
 * the numbers and lists live here, the decisions (431, 403, 503) in connection.machine.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { HandshakeRequestEvent } from '../machines/protocol-events.js';

export interface HandshakeLimits {
  /** Most header fields a request may have (counted in `rawHeaders`: Node keeps only `maxHeadersCount` in `headers`). */
  maxHeaderCount: number;
  /** Most bytes of header fields (`name: value\r\n` each) a request may have. */
  maxHeaderBytes: number;
  /** RFC 6454 serializations of the origins allowed; undefined: every origin. */
  allowedOrigins: ReadonlySet<string> | undefined;
  /** Most open connections the server holds. */
  maxConnections: number;
}

/**
 * RFC 6454 §6.2, the ASCII serialization of an origin: `scheme "://" host [ ":" port ]`, scheme
 * and host in lower case, the port only when it is not the scheme's default. `new URL()` does
 * exactly that (and IDNA to punycode). "null" (an opaque origin, §6.2 step 1) stays itself;
 * anything that is no URL is kept as written (it then matches only itself).
 */
export function serializeOrigin(origin: string): string {
  const trimmed = origin.trim();
  if (trimmed === 'null') return trimmed;
  try {
    const serialized = new URL(trimmed).origin;
    return serialized === 'null' ? trimmed : serialized;
  } catch {
    return trimmed;
  }
}

/** The allow-list as a set of serialized origins (undefined: no list, every origin allowed). */
export function allowedOriginSet(origins: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (origins === undefined) return undefined;
  if (!Array.isArray(origins) || origins.some((origin) => typeof origin !== 'string')) {
    throw new TypeError('allowedOrigins must be an array of origin strings, e.g. ["https://example.com"]');
  }
  return new Set(origins.map(serializeOrigin));
}

/**
 * RFC 6455 §10.2: "The |Origin| header field [RFC6454] is used to protect against unauthorized
 * cross-origin use of a WebSocket server by scripts using the WebSocket API in a web browser."
 * Browsers always send it (§4.1: "if the request is coming from a browser client"); other
 * clients need not, and the header protects against none of them (any client may write any
 * Origin). So a request without Origin is allowed: the list guards browsers' scripts only.
 */
export function isOriginAllowed(origin: string | undefined, allowed: ReadonlySet<string> | undefined): boolean {
  if (allowed === undefined || origin === undefined) return true;
  return allowed.has(serializeOrigin(origin));
}

/**
 * Header fields over the limits? Counted in `rawHeaders` (name, value, name, value…), one pass,
 * no regular expression (ws's CVE-2024-37890 came from many headers, CVE-2021-32640 from a
 * regular expression over one header's value). Node's own `maxHeaderSize` has already answered
 * 431 for a request over it on statesocket's HTTP server; this also covers a shared `server`.
 */
export function headerFieldsTooLarge(rawHeaders: readonly string[], limits: HandshakeLimits): boolean {
  if (rawHeaders.length / 2 > limits.maxHeaderCount) return true;
  let bytes = 0;
  for (let i = 0; i < rawHeaders.length; i++) bytes += rawHeaders[i]!.length;
  // Each field is `name: value\r\n`: 4 bytes besides its name and value.
  return bytes + 2 * rawHeaders.length > limits.maxHeaderBytes;
}

/** What HANDSHAKE_REQUEST carries for the limits; only the flags that are set, so a plain request is unchanged. */
export function handshakeLimitFlags(
  request: IncomingMessage,
  limits: HandshakeLimits,
  openConnections: number,
): Pick<HandshakeRequestEvent, 'headerFieldsTooLarge' | 'originNotAllowed' | 'connectionLimitReached'> {
  const flags: Pick<HandshakeRequestEvent, 'headerFieldsTooLarge' | 'originNotAllowed' | 'connectionLimitReached'> = {};
  if (headerFieldsTooLarge(request.rawHeaders, limits)) flags.headerFieldsTooLarge = true;
  const origin = request.headers.origin;
  if (!isOriginAllowed(typeof origin === 'string' ? origin : undefined, limits.allowedOrigins)) flags.originNotAllowed = true;
  if (openConnections >= limits.maxConnections) flags.connectionLimitReached = true;
  return flags;
}

/** Whether the connection machine will refuse the request for one of the limits. */
export function overAnyLimit(flags: ReturnType<typeof handshakeLimitFlags>): boolean {
  return flags.headerFieldsTooLarge === true || flags.originNotAllowed === true || flags.connectionLimitReached === true;
}
