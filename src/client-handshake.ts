/**
 * RFC 6455 §4.1, the client's side of the opening handshake: the request it sends and the checks
 * its response must pass. Pure functions over parsed HTTP; the connection machine's guards
 * (machines/connection.machine.ts, state `requestSent`) call the predicates.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { secWebSocketAccept } from './opening-handshake.js';
import type { HandshakeResponseEvent } from '../machines/protocol-events.js';

/** The fields of the response the checks read. */
export type HandshakeResponseFields = Pick<HandshakeResponseEvent, 'status' | 'headers' | 'expectedAccept' | 'offeredSubprotocols'>;

/**
 * §4.1 item 7 of the request: "|Sec-WebSocket-Key| ... a nonce consisting of a randomly selected
 * 16-byte value that has been base64-encoded ... The nonce MUST be selected randomly for each
 * connection."
 */
export function newHandshakeKey(): string {
  return randomBytes(16).toString('base64');
}

/** The |Sec-WebSocket-Accept| the server must answer `key` with (§4.1 item 4 of the response). */
export function expectedAccept(key: string): string {
  return secWebSocketAccept(key);
}

function headerTokens(value: string | string[] | undefined): string[] {
  // Stryker disable next-line ArrayDeclaration: equivalent — any list without "upgrade" gives the same answer for an absent Connection header (test/mutation/equivalent-mutants.md)
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((token) => token.trim().toLowerCase());
}

/** §4.1 response item 1: "If the status code received from the server is not 101 ...". */
export function isSwitchingProtocols(response: HandshakeResponseFields): boolean {
  return response.status === 101;
}

/**
 * §4.1 response items 2 and 3: an |Upgrade| header field whose value is "an ASCII case-insensitive
 * match for the value "websocket"" and a |Connection| header field that is "an ASCII
 * case-insensitive match for the value "Upgrade"" (a token of a list, as HTTP allows).
 */
export function upgradesToWebSocket(response: HandshakeResponseFields): boolean {
  const upgrade = response.headers.upgrade;
  return (
    typeof upgrade === 'string' &&
    upgrade.trim().toLowerCase() === 'websocket' &&
    headerTokens(response.headers.connection).includes('upgrade')
  );
}

/** §4.1 response item 4: |Sec-WebSocket-Accept| is the base64 SHA-1 of the key and the GUID. */
export function acceptsTheKey(response: HandshakeResponseFields): boolean {
  const accept = response.headers['sec-websocket-accept'];
  return typeof accept === 'string' && accept.trim() === response.expectedAccept;
}

/**
 * §4.1 response item 6: no |Sec-WebSocket-Protocol|, or exactly one of the subprotocols offered
 * ("a subprotocol that was not present in the client's handshake (the server has indicated a
 * subprotocol not requested by the client)" fails the connection).
 */
export function subprotocolWasOffered(response: HandshakeResponseFields): boolean {
  const answer = response.headers['sec-websocket-protocol'];
  if (answer === undefined) return true;
  // A string: node:http joins a repeated |Sec-WebSocket-Protocol| with ", " (IncomingHttpHeaders types it so).
  return response.offeredSubprotocols.includes(answer.trim());
}

/** The subprotocol the server chose ('' for none). */
export function chosenSubprotocol(headers: IncomingHttpHeaders): string {
  const answer = headers['sec-websocket-protocol'];
  return typeof answer === 'string' ? answer.trim() : '';
}

/**
 * The request's header fields (§4.1 items 2–12 of the request; the request line and |Host| are
 * node:http's): `extra` are the application's, which may not replace the handshake's own.
 */
export function handshakeRequestHeaders(
  key: string,
  subprotocols: readonly string[],
  extensionOffer: string | undefined,
  origin: string | undefined,
  extra: Readonly<Record<string, string | string[] | number>> | undefined,
): Record<string, string | string[] | number> {
  const headers: Record<string, string | string[] | number> = { ...extra };
  // §4.1 item 5: "|Upgrade| header field whose value MUST include the keyword "websocket""; item
  // 6: "|Connection| header field whose value MUST include the token "Upgrade"".
  headers['Upgrade'] = 'websocket';
  headers['Connection'] = 'Upgrade';
  headers['Sec-WebSocket-Key'] = key;
  // §4.1 item 9: "|Sec-WebSocket-Version| ... MUST be 13".
  headers['Sec-WebSocket-Version'] = '13';
  // §4.1 item 10: "|Sec-WebSocket-Protocol| ... one or more comma-separated subprotocol the client wishes to speak".
  if (subprotocols.length > 0) headers['Sec-WebSocket-Protocol'] = subprotocols.join(',');
  // §4.1 item 11: "|Sec-WebSocket-Extensions| ... the protocol-level extension(s) the client wishes to speak".
  if (extensionOffer !== undefined) headers['Sec-WebSocket-Extensions'] = extensionOffer;
  // §4.1 item 8: "|Origin| ... if the request is coming from a browser client"; any client MAY send it.
  if (origin !== undefined) headers['Origin'] = origin;
  return headers;
}
