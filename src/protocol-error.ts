/**
 * Every way a peer can break RFC 6455 (or a limit we set) is a ProtocolError: a stable
 * `code` for programs and the close code that the connection is failed with.
 * One place turns it into a Close frame and the TCP close: the closing-handshake machine's
 * PROTOCOL_ERROR transition (`sendCloseFrame`, `closeTcp`).
 */
export type ProtocolErrorCode =
  | 'WS_ERR_UNEXPECTED_RSV_1'
  | 'WS_ERR_UNEXPECTED_RSV_2_3'
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_FRAGMENTED_CONTROL_FRAME'
  | 'WS_ERR_CONTROL_FRAME_TOO_LONG'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_INVALID_PAYLOAD_LENGTH'
  | 'WS_ERR_UNSUPPORTED_PAYLOAD_LENGTH'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_PAYLOAD'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_MESSAGE_TOO_BIG'
  | 'WS_ERR_INVALID_COMPRESSED_DATA';

/** RFC 6455 §7.4.1 status codes that this server sends. */
export const CloseCode = {
  normalClosure: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayloadData: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}
