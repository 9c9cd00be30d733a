/**
 * Bytes → frame events: the event objects the protocol core hands the machines for what the
 * frame parser (frame-parser.ts) reads, and the reading of a Close frame's body.
 *
 * Events without fields are shared constants, and a connection reuses one DataFrameEvent for
 * every data frame header, so reading frames allocates no event.
 */
import type {
  ApplicationRequestEvent,
  BareEvent,
  CloseFrameEvent,
  FailureCauseType,
} from '../machines/protocol-events.js';
import { FAILURE_CAUSE_TYPES } from '../machines/protocol-events.js';
import { isValidUtf8 } from './utf8-validator.js';

type ConstantEventType = BareEvent['type'] | ApplicationRequestEvent['type'] | FailureCauseType;

/** Every event type without fields. */
export const CONSTANT_EVENT_TYPES: readonly ConstantEventType[] = [
  'FRAME_END',
  'CONTROL_FRAME',
  'PING_FRAME',
  'PONG_FRAME',
  'CLIENT_HANDSHAKE_SENT',
  'RESPONSE_TIMEOUT',
  'CONNECTION_OPENED',
  'CONNECTION_FAILED',
  'CLOSE_TIMEOUT',
  'HANDSHAKE_TIMEOUT',
  'APPLICATION_REFUSED',
  'HEARTBEAT_DUE',
  'PONG_TIMEOUT',
  'PONGS_UNREAD',
  'BUFFERED_AMOUNT_EXCEEDED',
  'TCP_END',
  'TCP_CLOSED',
  'SEND_REQUESTED',
  'PING_REQUESTED',
  'PONG_REQUESTED',
  'TERMINATE_REQUESTED',
  ...FAILURE_CAUSE_TYPES,
];

/** The one event object of each event type that has no fields. */
export const EVENT = Object.freeze(
  Object.fromEntries(CONSTANT_EVENT_TYPES.map((type) => [type, Object.freeze({ type })])),
) as { readonly [T in ConstantEventType]: { readonly type: T } };

/** A Close frame's body, read (RFC 6455 §5.5.1): the event for the machines, and the code and reason. */
export interface ReceivedClose {
  readonly event: CloseFrameEvent;
  /** The status code, undefined when the body has none (fewer than 2 bytes). */
  readonly code: number | undefined;
  /** The reason, '' when there is none or it is not UTF-8. */
  readonly reason: string;
}

/** §5.5.1: "the first two bytes of the body MUST be a 2-byte unsigned integer ... Following the 2-byte integer, the body MAY contain UTF-8-encoded data". */
export function readCloseBody(body: Buffer): ReceivedClose {
  if (body.length < 2) {
    // Stryker disable next-line BooleanLiteral: equivalent — a body of 0 or 1 byte is decided by the closing-handshake machine's hasNoCloseBody / hasOneByteCloseBody guards, which come before isUtf8CloseReason, the only reader of reasonIsUtf8 (test/mutation/equivalent-mutants.md)
    return { event: { type: 'CLOSE_FRAME', payloadLength: body.length, code: 0, reasonIsUtf8: true }, code: undefined, reason: '' };
  }
  const code = body.readUInt16BE(0);
  const reason = body.subarray(2);
  const reasonIsUtf8 = isValidUtf8(reason);
  return {
    event: { type: 'CLOSE_FRAME', payloadLength: body.length, code, reasonIsUtf8 },
    code,
    reason: reasonIsUtf8
      ? reason.toString('utf8')
      : // Stryker disable next-line StringLiteral: equivalent — a reason that is not UTF-8 fails the connection (1007), whose actions neither record nor echo it (test/mutation/equivalent-mutants.md)
        '',
  };
}
