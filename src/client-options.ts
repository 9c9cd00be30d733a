/**
 * The client's options (`new WebSocket(address, protocols, options)`), with `ws` 8's names, and
 * their reading into what the connection and the handshake use.
 */
import type { SecureContextOptions } from 'node:tls';
import type { ClientPerMessageDeflateOptions } from './client-deflate-offer.js';
import type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import type { ProtocolTransition } from './protocol-machines.js';
import type { ProtocolEvent } from '../machines/protocol-events.js';
import type { FrameHook } from './inspector/inspection-hooks.js';
import type { ConnectionOptions, WebSocketConnection } from './websocket-connection.js';
import { parseSubprotocols } from './subprotocol.js';

export type { ClientPerMessageDeflateOptions } from './client-deflate-offer.js';

export interface ClientOptions {
  /** Extra request headers (the handshake's own — Upgrade, Connection, Sec-WebSocket-* — cannot be replaced). */
  headers?: Record<string, string | string[] | number>;
  /** The |Origin| header (RFC 6455 §4.1 item 8, §10.2). */
  origin?: string;
  /**
   * The permessage-deflate offer (RFC 7692): `true` (the default, as ws) offers
   * `permessage-deflate; client_max_window_bits`; an object sets each parameter of the offer
   * (`clientMaxWindowBits: true` offers the parameter without a value) and the compressor's
   * `level`, `memLevel`, `threshold`; `false` offers nothing.
   */
  perMessageDeflate?: boolean | ClientPerMessageDeflateOptions;
  /** Fail the handshake (1006, `WS_ERR_HANDSHAKE_TIMEOUT`) when no response arrives within this many ms. Default: none. */
  handshakeTimeout?: number;
  /** The largest message accepted, in bytes; a larger one fails the connection with 1009. Default 100 MiB (as ws's client). */
  maxPayload?: number;
  /**
   * How long to wait for the server's Close after ours, and for the server to close TCP after the
   * closing handshake (RFC 6455 §7.1.1), before dropping TCP. Default 30,000 ms (as ws).
   */
  closeTimeoutMs?: number;
  /** Called on every transition any machine takes (the inspector). */
  onTransition?: (connection: WebSocketConnection, transition: ProtocolTransition, event: ProtocolEvent) => void;
  /** Called with every frame header read or written (the inspector). */
  onFrame?: FrameHook;
  /** TLS (wss://): passed to `tls.connect`. */
  ca?: SecureContextOptions['ca'];
  cert?: SecureContextOptions['cert'];
  key?: SecureContextOptions['key'];
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** ws's client limit. */
export const DEFAULT_CLIENT_MAX_PAYLOAD = 100 * 1024 * 1024;
export const DEFAULT_CLIENT_CLOSE_TIMEOUT_MS = 30_000;

/**
 * The address as ws reads it: `ws:` and `wss:` (and `http:`/`https:`, taken as them); anything
 * else, an unparsable address or one with a fragment, is a SyntaxError.
 */
export function clientUrl(address: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(address));
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`The URL's protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"`);
  }
  // RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket URIs".
  if (url.hash) throw new SyntaxError('The URL contains a fragment identifier');
  return url;
}

/** The subprotocols offered: a list of unique tokens (§4.1), or a SyntaxError as in ws. */
export function clientSubprotocols(protocols: string | string[] | undefined): string[] {
  if (protocols === undefined) return [];
  const list = typeof protocols === 'string' ? [protocols] : protocols;
  const parsed = parseSubprotocols(list.join(','));
  if (list.length > 0 && (parsed === undefined || parsed.length !== list.length)) {
    throw new SyntaxError('An invalid or duplicated subprotocol was specified');
  }
  return parsed ?? [];
}

/** The offer's parameters, or undefined when none is made. */
export function deflateOffer(options: ClientOptions): ClientPerMessageDeflateOptions | undefined {
  const setting = options.perMessageDeflate ?? true;
  if (setting === false) return undefined;
  return setting === true ? {} : setting;
}

/** What the connection needs of the options. */
export function clientConnectionOptions(options: ClientOptions, offer: ClientPerMessageDeflateOptions | undefined): ConnectionOptions {
  const compressor: PerMessageDeflateOptions | undefined =
    offer === undefined
      ? undefined
      : { level: offer.level, memLevel: offer.memLevel, threshold: offer.threshold, releaseAfterIdleMs: offer.releaseAfterIdleMs };
  return {
    maxMessageSize: options.maxPayload ?? DEFAULT_CLIENT_MAX_PAYLOAD,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLIENT_CLOSE_TIMEOUT_MS,
    writeHighWaterMark: 1024 * 1024,
    perMessageDeflate: compressor,
    onTransition: options.onTransition,
    onFrame: options.onFrame,
  };
}
