/**
 * The client's opening handshake on the wire (RFC 6455 §4.1): the upgrade request through
 * node:http or node:https, its timer, and the hand-over of the socket to the connection once the
 * server answered. What the answer means is decided by the connection machine (state
 * `requestSent`, guards over src/client-handshake.ts); this file only moves things.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { WebSocketConnection } from './websocket-connection.js';
import type { ClientOptions } from './client-options.js';
import type { ClientPerMessageDeflateOptions } from './client-deflate-offer.js';
import { perMessageDeflateOffer } from './client-deflate-offer.js';
import { expectedAccept, handshakeRequestHeaders, newHandshakeKey } from './client-handshake.js';

/** The client's side of one opening handshake, kept by its connection until the server answered. */
export class ClientHandshake {
  readonly request: ClientRequest;
  readonly key = newHandshakeKey();
  /** The response, once one arrived (101 or not). */
  response: IncomingMessage | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: WebSocketConnection,
    url: URL,
    readonly subprotocols: readonly string[],
    readonly deflateOffer: ClientPerMessageDeflateOptions | undefined,
    options: ClientOptions,
  ) {
    const secure = url.protocol === 'wss:';
    const headers = handshakeRequestHeaders(
      this.key,
      subprotocols,
      deflateOffer === undefined ? undefined : perMessageDeflateOffer(deflateOffer),
      options.origin,
      options.headers,
    );
    const requestOptions = {
      // §3: the host, without the brackets of an IPv6 literal.
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      // §3: "resource-name" is the path and the query.
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers,
      // A connection of its own: an upgraded socket never goes back to a pool.
      agent: false as const,
      ...(secure
        ? { ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized, servername: options.servername }
        : {}),
    };
    this.request = secure ? httpsRequest(requestOptions) : httpRequest(requestOptions);
    this.request.on('error', (error) => this.failed(error));
    this.request.on('response', (response) => this.answered(response));
    this.request.on('upgrade', (response, socket, head) => this.upgraded(response, socket, head));
    this.request.on('close', () => this.closed());
    if (options.handshakeTimeout !== undefined && options.handshakeTimeout > 0) {
      this.timer = setTimeout(() => connection.responseTimeout(), options.handshakeTimeout);
    }
    this.request.end();
  }

  /** What the machines need with the response: the accept value and the subprotocols the key and offer call for. */
  responseContext(): { expectedAccept: string; offeredSubprotocols: readonly string[] } {
    return { expectedAccept: expectedAccept(this.key), offeredSubprotocols: this.subprotocols };
  }

  /** The connection could not be made, or broke before the answer (ECONNREFUSED, TLS, a reset). */
  private failed(error: Error): void {
    this.stopTimer();
    if (this.connection.readyState === 0) this.connection.emitClientError(error);
  }

  /** §4.1: a response that is not 101 ("the client handles the response per HTTP"). */
  private answered(response: IncomingMessage): void {
    this.stopTimer();
    this.response = response;
    this.connection.receiveHandshakeResponse(response, undefined, undefined);
  }

  private upgraded(response: IncomingMessage, socket: Socket, head: Buffer): void {
    this.stopTimer();
    this.response = response;
    this.connection.receiveHandshakeResponse(response, socket, head);
  }

  /** The request's connection is gone before an upgrade: TCP_CLOSED for the machines. */
  private closed(): void {
    this.stopTimer();
    if (!this.request.socket || !this.connection.upgraded) this.connection.receiveTcpClosed();
  }

  /** Drop the request and its connection (a failed or abandoned handshake). */
  abort(): void {
    this.stopTimer();
    this.request.destroy();
    this.response?.destroy();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
