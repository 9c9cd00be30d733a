/**
 * The events that drive statesocket's machines. The protocol core turns bytes, socket
 * happenings, timers and application calls into these events and hands each one to every
 * machine that declares it (a machine ignores events it does not know).
 *
 * Events carry only what a guard needs to choose a branch; payload bytes stay in the
 * protocol core so machine context stays finite.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** RFC 6455 §4.1: the client's opening handshake, as parsed by the HTTP layer. */
export interface HandshakeRequestEvent {
  type: 'HANDSHAKE_REQUEST';
  method: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** permessage-deflate was offered and the server agreed on parameters (RFC 7692 §5). */
  perMessageDeflateAgreed: boolean;
  /**
   * RFC 6455 §4.2.2 item 5.4 /subprotocol/: the one the server chose among those the client
   * offered (the application's `handleProtocols`), or undefined for none.
   */
  subprotocol?: string | undefined;
}

/** A data frame's header has arrived (RFC 6455 §5.6); its payload follows. */
export interface DataFrameEvent {
  type: 'TEXT_FRAME' | 'BINARY_FRAME' | 'CONTINUATION_FRAME';
  fin: boolean;
  rsv1: boolean;
}

/** The last payload byte of the current data frame has arrived. */
export interface FrameEndEvent {
  type: 'FRAME_END';
}

/** A control frame's header has arrived (RFC 6455 §5.5); it may sit between fragments. */
export interface ControlFrameEvent {
  type: 'CONTROL_FRAME';
}

export interface PingFrameEvent {
  type: 'PING_FRAME';
}

export interface PongFrameEvent {
  type: 'PONG_FRAME';
}

/**
 * A whole Close frame has arrived (RFC 6455 §5.5.1). `payloadLength` is the body's length,
 * `code` the status code when the body has one, `reasonIsUtf8` whether the reason is valid UTF-8.
 */
export interface CloseFrameEvent {
  type: 'CLOSE_FRAME';
  payloadLength: number;
  code: number;
  reasonIsUtf8: boolean;
}

/** The peer broke the protocol or a limit: fail the connection with `closeCode` (§7.1.7). */
export interface ProtocolErrorEvent {
  type: 'PROTOCOL_ERROR';
  closeCode: number;
}

/** The application asked to start the closing handshake (§7.1.2). */
export interface CloseRequestedEvent {
  type: 'CLOSE_REQUESTED';
  code: number;
}

/** The peer never finished the closing handshake or never closed TCP in time. */
export interface CloseTimeoutEvent {
  type: 'CLOSE_TIMEOUT';
}

/** The peer ended its side of the TCP connection (FIN received). */
export interface TcpEndEvent {
  type: 'TCP_END';
}

/** The TCP connection is gone, for whatever reason. */
export interface TcpClosedEvent {
  type: 'TCP_CLOSED';
}

export type ProtocolEvent =
  | HandshakeRequestEvent
  | DataFrameEvent
  | FrameEndEvent
  | ControlFrameEvent
  | PingFrameEvent
  | PongFrameEvent
  | CloseFrameEvent
  | ProtocolErrorEvent
  | CloseRequestedEvent
  | CloseTimeoutEvent
  | TcpEndEvent
  | TcpClosedEvent;

export type ProtocolEventType = ProtocolEvent['type'];
