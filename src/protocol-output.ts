/**
 * What the protocol core (connection-protocol.ts) is given and what it asks for: its options, and
 * the output through which it writes bytes, asks the I/O layer to close TCP or start the close
 * timer, and tells the application what happened.
 */
import type { ProtocolError } from './protocol-error.js';
import type { HandshakeRefusal } from './opening-handshake.js';
import type { NegotiatedPerMessageDeflate, PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import type { MessageCompressor } from './message-assembly.js';
import type { ProtocolTransition } from './protocol-machines.js';
import type { ProtocolEvent } from '../machines/protocol-events.js';

/** What the protocol core asks of the I/O layer and the application. */
export interface ProtocolOutput {
  /** Bytes for the wire, in order. */
  write(bytes: Uint8Array): void;
  /** The opening handshake was refused: answer with this HTTP response and close. */
  refuseHandshake(refusal: HandshakeRefusal): void;
  /** Send FIN: the server closes its side of TCP. */
  closeTcp(): void;
  /** Drop the TCP connection now. */
  destroyTcp(): void;
  /** Send CLOSE_TIMEOUT (via `closeTimeout()`) after the close timeout, unless TCP closes first. */
  startCloseTimer(): void;
  /**
   * The 101 response's header lines, before they are written: the server's `headers` event may
   * inspect or add to them (optional).
   */
  handshakeHeaders?(headers: string[]): void;
  /** Send PONG_TIMEOUT (via `pongTimeout()`) unless a Pong or any byte arrives within the heartbeat deadline. */
  startPongDeadline(): void;
  /** The client role: the server answered the opening handshake with a status other than 101 (§4.1). */
  unexpectedResponse?(): void;
  /** The handshake succeeded: the connection is open. */
  opened(): void;
  message(data: Buffer, isBinary: boolean): void;
  ping(data: Buffer): void;
  pong(data: Buffer): void;
  /** The connection failed because of the peer: the error carries its code and close code. */
  protocolError(error: ProtocolError): void;
  /**
   * TCP is closed; `code` is RFC 6455 §7.1.5's _The WebSocket Connection Close Code_: the code of
   * the valid Close received, 1005 if it had none, 1006 if none was received or the connection failed.
   */
  closed(code: number, reason: string): void;
}

/** An output that ignores everything; extend it to hear only what matters (e.g. a refusal). */
export class DiscardingOutput implements ProtocolOutput {
  write(_bytes: Uint8Array): void {}
  refuseHandshake(_refusal: HandshakeRefusal): void {}
  closeTcp(): void {}
  destroyTcp(): void {}
  startCloseTimer(): void {}
  startPongDeadline(): void {}
  opened(): void {}
  message(_data: Buffer, _isBinary: boolean): void {}
  ping(_data: Buffer): void {}
  pong(_data: Buffer): void {}
  protocolError(_error: ProtocolError): void {}
  closed(_code: number, _reason: string): void {}
}

export interface ProtocolOptions {
  /** Largest message accepted, in bytes (RFC 6455 §10.4); larger ones fail the connection with 1009. */
  maxMessageSize: number;
  /** permessage-deflate settings; undefined: the extension is never agreed. */
  perMessageDeflate?: PerMessageDeflateOptions | undefined;
  /** Makes the compressor once permessage-deflate is agreed (zlib lives in the I/O layer). */
  createCompressor?: ((agreed: NegotiatedPerMessageDeflate, options: PerMessageDeflateOptions) => MessageCompressor) | undefined;
  /** Called on every transition any machine takes (the inspector, the conformance suite). */
  onTransition?: ((transition: ProtocolTransition, event: ProtocolEvent) => void) | undefined;
  /** Called with every frame header read or written (the inspector); positional, so it allocates nothing. */
  onFrame?: ((direction: 'in' | 'out', opcode: number, payloadLength: number, fin: boolean, rsv1: boolean) => void) | undefined;
}

