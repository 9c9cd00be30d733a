/**
 * What an inspector hears from a connection: every transition its machines take, with the event
 * that caused it (`ProtocolOptions.onTransition`), and every frame header read or written
 * (`ProtocolOptions.onFrame`), each passed on by the I/O layer with the connection it belongs to.
 * With no inspector both are undefined, and the core does one `?.` check per transition and per
 * frame.
 */
import type { ProtocolTransition } from '../protocol-machines.js';
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import type { WebSocketConnection } from '../websocket-connection.js';

export type FrameDirection = 'in' | 'out';

/** A transition of one connection. The core reuses its data-frame event object: copy what you keep. */
export type TransitionHook = (
  connection: WebSocketConnection,
  transition: ProtocolTransition,
  event: ProtocolEvent,
) => void;

/** A frame header of one connection, in or out. */
export type FrameHook = (
  connection: WebSocketConnection,
  direction: FrameDirection,
  opcode: number,
  payloadLength: number,
  fin: boolean,
  rsv1: boolean,
) => void;

/** Both hooks, or whichever one is set; undefined when neither is, so the core's check stays the only cost. */
export function joinTransitionHooks(
  first: TransitionHook | undefined,
  second: TransitionHook | undefined,
): TransitionHook | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  return (connection, transition, event) => {
    first(connection, transition, event);
    second(connection, transition, event);
  };
}

/** The scalar fields of an event worth showing; never the handshake's headers (cookies, tokens). */
export type EventDetail = Readonly<Record<string, string | number | boolean>>;

/**
 * A copy of what an event carries besides its type: the core reuses its data-frame event object,
 * and the opening handshake's headers are not the inspector's to show.
 */
export function eventDetail(event: ProtocolEvent): EventDetail | undefined {
  switch (event.type) {
    case 'HANDSHAKE_REQUEST': {
      const detail: Record<string, string | number | boolean> = {
        method: event.method,
        httpVersion: event.httpVersion,
        perMessageDeflateAgreed: event.perMessageDeflateAgreed,
      };
      // Why the server's limits refused it (431, 403, 503), when they did: the refusal's reason.
      if (event.headerFieldsTooLarge) detail.headerFieldsTooLarge = true;
      if (event.originNotAllowed) detail.originNotAllowed = true;
      if (event.connectionLimitReached) detail.connectionLimitReached = true;
      return detail;
    }
    case 'TEXT_FRAME':
    case 'BINARY_FRAME':
    case 'CONTINUATION_FRAME':
      return { fin: event.fin, rsv1: event.rsv1 };
    case 'CLOSE_FRAME':
      return { payloadLength: event.payloadLength, code: event.code, reasonIsUtf8: event.reasonIsUtf8 };
    case 'CLOSE_REQUESTED':
      return { code: event.code };
    default:
      return undefined;
  }
}
