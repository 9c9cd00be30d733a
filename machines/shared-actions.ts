/**
 * Actions that more than one machine names, declared once so that every machine gives them the
 * same parameter types (the protocol core's effect table is typed from these declarations).
 *
 * Like every action in `machines/`, they are declarations: the machine names them, the protocol
 * core carries them out (src/protocol-effects.ts). An actor running a machine performs no I/O.
 */
import { ERROR_CLOSE_CODES, type ProtocolErrorCode } from '../src/protocol-error.js';
import { asWritten } from './as-written.js';

/** What `failConnection` carries: the API error code and, from ERROR_CLOSE_CODES, its close code. */
export interface FailureParams {
  readonly error: ProtocolErrorCode;
  readonly closeCode: number;
}

/** The application calls a machine may refuse. */
export type ApplicationRequest = 'send' | 'ping' | 'pong' | 'close' | 'terminate';

export const sharedActions = {
  /**
   * RFC 6455 §7.1.7 "_Fail the WebSocket Connection_": record the failure (a ProtocolError with
   * `error` and `closeCode`) and tell the other machines (CONNECTION_FAILED).
   */
  failConnection: (_: unknown, _params: FailureParams) => {},
  /** The machine refuses the application's request in its current state: the call throws InvalidStateError. */
  refuseRequest: (_: unknown, _params: { readonly request: ApplicationRequest }) => {},
};

/** `failConnection` for an error code, its close code from the one table (src/protocol-error.ts). */
export function failWith<const E extends ProtocolErrorCode>(error: E) {
  return asWritten({ type: 'failConnection', params: { error, closeCode: ERROR_CLOSE_CODES[error] } });
}

/** `refuseRequest` for a request. */
export function refuse<const R extends ApplicationRequest>(request: R) {
  return asWritten({ type: 'refuseRequest', params: { request } });
}
