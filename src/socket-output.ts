/**
 * The socket side of a WebSocketConnection: the listeners on its socket (shared functions that
 * find their connection through a symbol, so a connection costs no closures) and the protocol
 * core's output carried out on the socket and as connection events.
 */
import type { Socket } from 'node:net';
import type { ProtocolOutput } from './connection-protocol.js';
import type { HandshakeRefusal } from './opening-handshake.js';
import type { ProtocolError } from './protocol-error.js';
import type { WebSocketConnection } from './websocket-connection.js';
import { HeartbeatMark } from './heartbeat-sweep.js';

/**
 * A peer that sends Pings while not reading: Pongs written while the socket needs a drain are
 * counted, and past this many the connection fails with 1008 (PONGS_UNREAD). 4096 Pongs of the
 * largest Ping (127 bytes each) are 508 KiB, under the 1 MiB `writeHighWaterMark` at which reading
 * stops (so the bound is reached while the Pings are still read); a peer that reads is never near
 * it (one 64 KiB read holds at most 10,922 Pings, of which at most ~2,700 Pongs are counted).
 */
const MAX_UNREAD_PONGS = 4096;

/** The socket's connection, for the socket listeners below. */
export const kConnection = Symbol('statesocket connection');
export type ConnectedSocket = Socket & { [kConnection]: WebSocketConnection };

export function socketOnData(this: ConnectedSocket, chunk: Buffer): void {
  this[kConnection].receive(chunk);
}

export function socketOnEnd(this: ConnectedSocket): void {
  this[kConnection].receiveTcpEnd();
}

export function socketOnDrain(this: ConnectedSocket): void {
  this[kConnection].unreadPongs = 0;
  this[kConnection].resumeReading();
}

export function socketOnClose(this: ConnectedSocket): void {
  this[kConnection].receiveTcpClosed();
}

export function socketOnError(this: ConnectedSocket): void {
  this.destroy();
}

export function uncorkConnection(connection: WebSocketConnection): void {
  connection.uncork();
}

function closeTimerExpired(connection: WebSocketConnection): void {
  connection.closeTimeout();
}

/** The protocol core's output, carried out on the socket and as connection events. */
export class SocketOutput implements ProtocolOutput {
  constructor(private readonly connection: WebSocketConnection) {}

  write(bytes: Uint8Array): void {
    const socket = this.connection.socket;
    if (!socket.destroyed && socket.writable) socket.write(bytes);
  }

  refuseHandshake(refusal: HandshakeRefusal): void {
    this.connection.refusal = refusal;
  }

  handshakeHeaders(headers: string[]): void {
    this.connection.onHandshakeHeaders?.(headers);
  }

  closeTcp(): void {
    this.connection.socket.end();
    // Keep reading (and discarding) so that the peer's FIN is seen.
    this.connection.resumeReading();
    if (this.connection.isPaused) this.connection.resume();
  }

  destroyTcp(): void {
    this.connection.dropTcp();
  }

  unexpectedResponse(): void {
    this.connection.unexpectedResponse();
  }

  startCloseTimer(): void {
    const connection = this.connection;
    if (connection.closeTimer !== undefined) clearTimeout(connection.closeTimer);
    connection.closeTimer = setTimeout(closeTimerExpired, connection.options.closeTimeoutMs, connection);
    connection.closeTimer.unref();
  }

  startPongDeadline(): void {
    this.connection.heartbeatMarks |= HeartbeatMark.awaitingPong;
  }

  opened(): void {
    this.connection.emitFromCore('open');
  }

  message(data: Buffer, isBinary: boolean): void {
    this.connection.deliverMessage(data, isBinary);
  }

  ping(data: Buffer): void {
    const connection = this.connection;
    // `sendPong` has just written the Pong: count it if the peer is not reading.
    if (connection.socket.writableNeedDrain && ++connection.unreadPongs > MAX_UNREAD_PONGS) connection.pongsUnread();
    connection.emitFromCore('ping', data);
  }

  pong(data: Buffer): void {
    this.connection.emitFromCore('pong', data);
  }

  protocolError(error: ProtocolError): void {
    if (this.connection.listenerCount('error') > 0) this.connection.emitFromCore('error', error);
  }

  closed(code: number, reason: string): void {
    this.connection.emitFromCore('close', code, Buffer.from(reason));
  }
}
