/**
 * Builders for the transition paths conformance cases declare (`ExpectedPath` in case.ts).
 *
 * Plain string builders, not a simulator: each returns `EVENT->targetState` steps joined by
 * single spaces, written after how the echo server dispatches events:
 * - a data frame's header (`TEXT_FRAME`, `BINARY_FRAME`, `CONTINUATION_FRAME`) and its end
 *   (`FRAME_END`) go to the message machine;
 * - a control frame's header (`CONTROL_FRAME`) goes to the message machine, which stays where
 *   it is; at the frame's end `PING_FRAME` / `PONG_FRAME` go to the closingHandshake machine,
 *   `CLOSE_FRAME` to the connection and closingHandshake machines;
 * - the closingHandshake machine starts in `connecting` and opens on `CONNECTION_OPENED`, which the
 *   connection machine's `acceptHandshake` raises;
 * - a failure cause the frame parser or the data plane finds (a header violation such as
 *   `RESERVED_OPCODE`, `INVALID_UTF8`, …) is the connection machine's event: `open` → `closing`,
 *   naming its error and close code (`failConnection`), which raises `CONNECTION_FAILED` for the
 *   closingHandshake machine; a broken frame sequence fails in the message machine, whose
 *   `failConnection` raises `CONNECTION_FAILED` for the other two;
 * - the peer's FIN is `TCP_END`, the socket's end `TCP_CLOSED`; a machine records only the
 *   events its current state handles;
 * - where a state has several guard branches with the same event and target, the step names its
 *   branch, `EVENT[guard]->target` (src/model-based/declared-steps.ts): the opening handshake
 *   (`HANDSHAKE_ACCEPTED`) and the client's Close (`CLOSE_FRAME_STEP`).
 */
import type { FailureCauseType } from '../../machines/protocol-events.js';
import type { ExpectedPath } from './case.js';

/** The connection machine's first step: the opening handshake is accepted (RFC 6455 §4.2.2), no extension agreed. */
export const HANDSHAKE_ACCEPTED = 'HANDSHAKE_REQUEST[else]->open';

/** The opening handshake is accepted with permessage-deflate agreed (RFC 7692 §5, §7.1). */
export const HANDSHAKE_ACCEPTED_WITH_DEFLATE = 'HANDSHAKE_REQUEST[isPerMessageDeflateAgreed]->open';

/** The closingHandshake machine's first step: the connection opened (CONNECTION_OPENED from `acceptHandshake`). */
export const CLOSING_HANDSHAKE_OPENED = 'CONNECTION_OPENED->open';

/**
 * The connection machine's steps for the echo server's answers: every message the message machine
 * completed (`FRAME_END->awaitingMessage`, its delivery) is sent back, and the connection machine
 * decides each `send` (`SEND_REQUESTED->open`).
 */
export function echoSteps(messageSteps: string): string {
  return times(messageSteps.split(' ').filter((step) => step === 'FRAME_END->awaitingMessage').length, 'SEND_REQUESTED->open');
}

/** Joins steps (strings or lists of strings) with single spaces, skipping empty parts. */
export function steps(...parts: readonly (string | undefined | readonly string[])[]): string {
  return parts
    .flat()
    .filter((part): part is string => part !== undefined && part !== '')
    .join(' ');
}

/** The steps `count` times over. */
export function times(count: number, repeated: string): string {
  return count <= 0 || repeated === '' ? '' : `${repeated} `.repeat(count - 1) + repeated;
}

/** The state the message machine is in after these steps: the last step's target, `awaitingMessage` when there are none. */
export function messageStateAfter(messageSteps: string): string {
  const arrow = messageSteps.lastIndexOf('->');
  return arrow < 0 ? 'awaitingMessage' : messageSteps.slice(arrow + 2);
}

// The message machine.

/** One unfragmented text message. */
export function textMessagePath(): string {
  return 'TEXT_FRAME->text.finalFrame FRAME_END->awaitingMessage';
}

/** One unfragmented binary message. */
export function binaryMessagePath(): string {
  return 'BINARY_FRAME->binary.finalFrame FRAME_END->awaitingMessage';
}

/** One message in `frames` (≥ 2) frames: the first with the message opcode, the last with FIN set. */
export function fragmentedMessagePath(kind: 'text' | 'binary', frames: number): string {
  const opening = kind === 'text' ? 'TEXT_FRAME' : 'BINARY_FRAME';
  return steps(
    `${opening}->${kind}.fragment FRAME_END->${kind}.awaitingContinuation`,
    times(frames - 2, `CONTINUATION_FRAME->${kind}.fragment FRAME_END->${kind}.awaitingContinuation`),
    `CONTINUATION_FRAME->${kind}.finalFrame FRAME_END->awaitingMessage`,
  );
}

/**
 * One compressed message (RFC 7692: RSV1 on its first frame) in `frames` frames (≥ 1). The
 * message machine keeps compressed messages in their own states until the final frame's end
 * delivers them (`deliverCompressedTextMessage` / `deliverCompressedBinaryMessage`).
 */
export function compressedMessagePath(kind: 'text' | 'binary', frames: number): string {
  const opening = kind === 'text' ? 'TEXT_FRAME' : 'BINARY_FRAME';
  const state = kind === 'text' ? 'compressedText' : 'compressedBinary';
  if (frames <= 1) return `${opening}->${state}.finalFrame FRAME_END->awaitingMessage`;
  return steps(
    `${opening}->${state}.fragment FRAME_END->${state}.awaitingContinuation`,
    times(frames - 2, `CONTINUATION_FRAME->${state}.fragment FRAME_END->${state}.awaitingContinuation`),
    `CONTINUATION_FRAME->${state}.finalFrame FRAME_END->awaitingMessage`,
  );
}

/** A control frame's header: the message machine stays in `state` (between messages by default). */
export function controlFramePath(state = 'awaitingMessage'): string {
  return `CONTROL_FRAME->${state}`;
}

// The closingHandshake machine, before any Close.

/** A Ping is answered with a Pong: the closingHandshake machine stays open. */
export function pingPath(): string {
  return 'PING_FRAME->open';
}

/** A Pong is taken note of: the closingHandshake machine stays open. */
export function pongPath(): string {
  return 'PONG_FRAME->open';
}

// The closingHandshake machine, on the client's Close.

/**
 * The closingHandshake machine's step on the client's Close, by the guard branch its body falls
 * in (RFC 6455 §5.5.1, §7.4): echoed (`closeHandshakeComplete`) or refused (`failed`).
 */
export const CLOSE_FRAME_STEP = {
  /** §5.5.1: "The Close frame MAY contain a body": none, so no status code; echoed empty. */
  noBody: 'CLOSE_FRAME[hasNoCloseBody]->closeHandshakeComplete',
  /** A valid status code and, if any, a UTF-8 reason: echoed. */
  valid: 'CLOSE_FRAME[else]->closeHandshakeComplete',
  /** §5.5.1: a body's "first two bytes ... MUST be a 2-byte unsigned integer": one octet fails (1002). */
  oneOctetBody: 'CLOSE_FRAME[hasOneByteCloseBody]->failed',
  /** §7.4: a code no endpoint may send fails (1002). */
  invalidCode: 'CLOSE_FRAME[!isValidCloseCode]->failed',
  /** §5.5.1, §8.1: a reason that is not UTF-8 fails (1007). */
  reasonNotUtf8: 'CLOSE_FRAME[!isUtf8CloseReason]->failed',
} as const;

export type CloseFrameStep = (typeof CLOSE_FRAME_STEP)[keyof typeof CLOSE_FRAME_STEP];

// Whole cases.

/** The machines' steps before the connection starts to close. */
export interface PathBeforeClose {
  /** The connection machine's first step (default `HANDSHAKE_ACCEPTED`: no extension). */
  handshake?: string;
  /** The message machine's steps (default none). */
  message?: string;
  /** The closingHandshake machine's steps (Pings, Pongs; default none). */
  closingHandshake?: string;
}

/**
 * The client closes: its Close frame's header reaches the message machine (which stays in
 * the state `before.message` left it in), the frame itself the connection and closingHandshake
 * machines. A valid Close is echoed (`closeHandshakeComplete`); one whose body a guard refuses
 * fails the connection (`failed`): `closeFrame` says which branch (default: a valid code, the
 * Close 1000 most cases end with). Either way the server drops TCP, and the client's FIN
 * (`TCP_END`) is ignored by both `closing` and the closingHandshake machine's state.
 */
export function clientClosePath(before: PathBeforeClose = {}, closeFrame: CloseFrameStep = CLOSE_FRAME_STEP.valid): ExpectedPath {
  const message = before.message ?? '';
  return {
    connection: steps(before.handshake ?? HANDSHAKE_ACCEPTED, echoSteps(message), 'CLOSE_FRAME->closing TCP_CLOSED->closed'),
    message: steps(message, controlFramePath(messageStateAfter(message))),
    closingHandshake: steps(CLOSING_HANDSHAKE_OPENED, before.closingHandshake, `${closeFrame} TCP_CLOSED->closed`),
  };
}

/**
 * The server fails the connection for `cause`: a failure cause the frame parser or the data plane
 * found (`RESERVED_OPCODE`, `INVALID_UTF8`, `CONTROL_FRAME_TOO_LONG`, …: the connection machine's
 * step names it), or `CONNECTION_FAILED` when the message machine failed a broken frame sequence
 * (`before.message` then ends with its step, e.g. `CONTINUATION_FRAME->failed`).
 */
export function serverFailPath(cause: FailureCauseType | 'CONNECTION_FAILED', before: PathBeforeClose = {}): ExpectedPath {
  return {
    connection: steps(before.handshake ?? HANDSHAKE_ACCEPTED, echoSteps(before.message ?? ''), `${cause}->closing TCP_CLOSED->closed`),
    message: before.message ?? '',
    closingHandshake: steps(CLOSING_HANDSHAKE_OPENED, before.closingHandshake, 'CONNECTION_FAILED->failed TCP_CLOSED->closed'),
  };
}
