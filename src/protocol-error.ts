/**
 * The errors of the protocol core, made in one place each (as ws's error factory does):
 *
 * - `ProtocolError`: the peer broke RFC 6455 / RFC 7692, or a limit we set. It has a stable API
 *   `code` (`WS_ERR_INVALID_UTF8`) and the `closeCode` the connection is failed with, both from
 *   ERROR_CLOSE_CODES, the one mapping from error code to close code. The machines name the error
 *   code at the transition that fails the connection (`failConnection`); `protocolError()` makes
 *   the error.
 * - `InvalidStateError`: the application asked for something the machines refuse in their current
 *   state (e.g. `send` once the closing handshake started, RFC 6455 §5.5.1).
 */
import { CloseCode } from './close-code.js';

/** Every API error code, with the close code a connection failed for it is closed with (§7.4.1). */
export const ERROR_CLOSE_CODES = {
  /** §5.2: RSV1 without an extension that defines it, or RFC 7692 §6: on a control frame or continuation. */
  WS_ERR_UNEXPECTED_RSV_1: CloseCode.protocolError,
  /** §5.2: RSV2 or RSV3 set; no negotiated extension defines them. */
  WS_ERR_UNEXPECTED_RSV_2_3: CloseCode.protocolError,
  /** §5.2: a reserved opcode (%x3-7, %xB-F). */
  WS_ERR_INVALID_OPCODE: CloseCode.protocolError,
  /** §5.5: "All control frames ... MUST NOT be fragmented." */
  WS_ERR_FRAGMENTED_CONTROL_FRAME: CloseCode.protocolError,
  /** §5.5: "All control frames MUST have a payload length of 125 bytes or less". */
  WS_ERR_CONTROL_FRAME_TOO_LONG: CloseCode.protocolError,
  /** §5.1: "The server MUST close the connection upon receiving a frame that is not masked." */
  WS_ERR_EXPECTED_MASK: CloseCode.protocolError,
  /** §5.1: "A client MUST close a connection if it detects a masked frame." */
  WS_ERR_UNEXPECTED_MASK: CloseCode.protocolError,
  /** §5.2: a 64-bit length with its most significant bit set, or a length not in the minimal number of bytes. */
  WS_ERR_INVALID_PAYLOAD_LENGTH: CloseCode.protocolError,
  /** A 64-bit length beyond 2^53 - 1: too big for any limit (§10.4). */
  WS_ERR_UNSUPPORTED_PAYLOAD_LENGTH: CloseCode.messageTooBig,
  /** §5.4: a continuation frame with no message to continue. */
  WS_ERR_UNEXPECTED_CONTINUATION: CloseCode.protocolError,
  /** §5.4: a new data message while a fragmented one is in progress. */
  WS_ERR_EXPECTED_CONTINUATION: CloseCode.protocolError,
  /** §8.1: text (or a close reason) that is not UTF-8. */
  WS_ERR_INVALID_UTF8: CloseCode.invalidPayloadData,
  /** §5.5.1: a Close body of one octet (a status code takes two). */
  WS_ERR_INVALID_CLOSE_PAYLOAD: CloseCode.protocolError,
  /** §7.4: a status code an endpoint may not send. */
  WS_ERR_INVALID_CLOSE_CODE: CloseCode.protocolError,
  /** §10.4: a message over `maxMessageSize`, announced or inflated. */
  WS_ERR_MESSAGE_TOO_BIG: CloseCode.messageTooBig,
  /** RFC 7692 §8: the compressed data does not inflate (as ws: 1007). */
  WS_ERR_INVALID_COMPRESSED_DATA: CloseCode.invalidPayloadData,
  /** The heartbeat's Ping got no Pong (nor any byte) before its deadline: as python-websockets, 1011. */
  WS_ERR_PONG_TIMEOUT: CloseCode.internalError,
  /** §10.4-style resource limit: a peer sending Pings but not reading the Pongs (1008, policy). */
  WS_ERR_PONGS_UNREAD: CloseCode.policyViolation,
  // The client's opening handshake (§4.1): "the client MUST _Fail the WebSocket Connection_".
  // No Close frame can be sent before the connection is open: TCP is dropped, and the
  // application hears 1006 (§7.1.5: "the WebSocket connection is closed" without a Close).
  /** §4.1 item 1: the status code is not 101 (ws: "Unexpected server response"). */
  WS_ERR_HANDSHAKE_UNEXPECTED_STATUS: CloseCode.abnormalClosure,
  /** §4.1 items 2, 3: no |Upgrade: websocket| or no |Connection: Upgrade| in the response. */
  WS_ERR_HANDSHAKE_INVALID_UPGRADE: CloseCode.abnormalClosure,
  /** §4.1 item 4: |Sec-WebSocket-Accept| missing or not the key's hash. */
  WS_ERR_HANDSHAKE_INVALID_ACCEPT: CloseCode.abnormalClosure,
  /** §4.1 item 5: an extension the client did not offer (or not as RFC 7692 §7.1 allows). */
  WS_ERR_HANDSHAKE_INVALID_EXTENSION: CloseCode.abnormalClosure,
  /** §4.1 item 6: a subprotocol the client did not offer, or one when none was offered. */
  WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL: CloseCode.abnormalClosure,
  /** No response to the opening handshake within `handshakeTimeout` (ws: "Opening handshake has timed out"). */
  WS_ERR_HANDSHAKE_TIMEOUT: CloseCode.abnormalClosure,
  /** The client's connection could not be made or broke before the response (Node's error is the `cause`: ECONNREFUSED, a TLS error). */
  WS_ERR_CONNECTION_FAILED: CloseCode.abnormalClosure,
} as const;

export type ProtocolErrorCode = keyof typeof ERROR_CLOSE_CODES;

// Stryker disable all: messages are prose for people; programs and tests read `code` and `closeCode`.
const MESSAGES: Record<ProtocolErrorCode, string> = {
  WS_ERR_UNEXPECTED_RSV_1: 'RSV1 must be clear',
  WS_ERR_UNEXPECTED_RSV_2_3: 'RSV2 and RSV3 must be clear',
  WS_ERR_INVALID_OPCODE: 'invalid opcode',
  WS_ERR_FRAGMENTED_CONTROL_FRAME: 'FIN must be set on a control frame',
  WS_ERR_CONTROL_FRAME_TOO_LONG: 'a control frame payload is at most 125 bytes',
  WS_ERR_EXPECTED_MASK: 'MASK must be set',
  WS_ERR_UNEXPECTED_MASK: 'MASK must be clear',
  WS_ERR_INVALID_PAYLOAD_LENGTH: 'the length must have its most significant bit clear and use the minimal number of bytes',
  WS_ERR_UNSUPPORTED_PAYLOAD_LENGTH: 'payload length above 2^53 - 1 is not supported',
  WS_ERR_UNEXPECTED_CONTINUATION: 'a continuation frame with no message to continue',
  WS_ERR_EXPECTED_CONTINUATION: 'a new message inside a fragmented one',
  WS_ERR_INVALID_UTF8: 'invalid UTF-8',
  WS_ERR_INVALID_CLOSE_PAYLOAD: 'a Close body of one octet',
  WS_ERR_INVALID_CLOSE_CODE: 'a close code that may not be sent',
  WS_ERR_MESSAGE_TOO_BIG: 'the message exceeds maxMessageSize',
  WS_ERR_INVALID_COMPRESSED_DATA: 'invalid permessage-deflate data',
  WS_ERR_PONG_TIMEOUT: 'no Pong to the heartbeat Ping before the deadline',
  WS_ERR_PONGS_UNREAD: 'too many Pongs wait unread by the peer',
  WS_ERR_HANDSHAKE_UNEXPECTED_STATUS: 'the server answered the opening handshake with a status other than 101',
  WS_ERR_HANDSHAKE_INVALID_UPGRADE: 'the response lacks Upgrade: websocket or Connection: Upgrade',
  WS_ERR_HANDSHAKE_INVALID_ACCEPT: 'invalid Sec-WebSocket-Accept header',
  WS_ERR_HANDSHAKE_INVALID_EXTENSION: 'the server answered with an extension or parameters the client did not offer',
  WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL: 'the server answered with a subprotocol the client did not offer',
  WS_ERR_HANDSHAKE_TIMEOUT: 'opening handshake has timed out',
  WS_ERR_CONNECTION_FAILED: 'the connection could not be made',
};
// Stryker restore all

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** @internal Made by `protocolError()` only, so code and close code always agree. */
  constructor(
    /** The stable API code, e.g. `WS_ERR_INVALID_UTF8`. */
    readonly code: ProtocolErrorCode,
    /** The close code the connection was failed with (RFC 6455 §7.4.1), e.g. 1007. */
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The one factory of ProtocolErrors: the close code comes from ERROR_CLOSE_CODES. */
export function protocolError(code: ProtocolErrorCode): ProtocolError {
  return new ProtocolError(code, ERROR_CLOSE_CODES[code], MESSAGES[code]);
}

/** The client's connection failed below WebSocket (TCP, TLS, HTTP): Node's error is the cause, its message the message. */
export function connectionFailed(cause: Error): ProtocolError {
  const error = protocolError('WS_ERR_CONNECTION_FAILED');
  error.message = cause.message;
  (error as { cause?: unknown }).cause = cause;
  return error;
}

/**
 * The application asked for something the machines refuse in their current state, e.g. `send`
 * after `close()` (RFC 6455 §5.5.1: after a Close frame, "the endpoint MUST NOT send any more
 * data frames") or `close()` before the opening handshake completed. The connection is unchanged.
 */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
  readonly code = 'WS_ERR_INVALID_STATE';
  /** @internal Made by the protocol core when a machine refuses a request. */
  constructor(
    /** The refused request: `send`, `ping`, `pong`, `close` or `terminate`. */
    readonly request: string,
    /** The state of each machine when it refused. */
    readonly machineStates: Readonly<Record<string, string>>,
  ) {
    super(
      `${request}() is not allowed while the connection is ${Object.entries(machineStates)
        .map(([machine, state]) => `${machine}: ${state}`)
        .join(', ')}`,
    );
  }
}
