/**
 * Control frames and the closing handshake (RFC 6455 §5.5, §7), including failing the
 * connection (§7.1.7).
 *
 * Rules for this file: every decision about Ping, Pong and Close frames, about who closes
 * TCP and when, lives here. No timers: the machine asks for one (`startCloseTimer`) and the
 * I/O layer answers with CLOSE_TIMEOUT.
 */
import { not, setup } from 'xstate';
import type { ProtocolEvent } from './protocol-events.js';
import { isValidCloseCode } from '../src/close-code.js';

/** §5.5.1: after the Close frame answers or fails the connection, the server closes TCP first (§7.1.1). */
const failWithProtocolError = [
  { type: 'sendCloseFrame', params: { closeCode: 1002 } },
  'ignoreFurtherFrames',
  'closeTcp',
  'startCloseTimer',
] as const;

export const closingHandshakeMachine = setup({
  types: {
    events: {} as ProtocolEvent,
  },
  guards: {
    /** §5.5.1: "The Close frame MAY contain a body"; without one there is no status code. */
    hasNoCloseBody: ({ event }) => event.type === 'CLOSE_FRAME' && event.payloadLength === 0,
    /** §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer". */
    hasOneByteCloseBody: ({ event }) => event.type === 'CLOSE_FRAME' && event.payloadLength === 1,
    /** §7.4: the status code is one an endpoint may send (§7.4.1 defined, §7.4.2 ranges). */
    isValidCloseCode: ({ event }) => event.type === 'CLOSE_FRAME' && isValidCloseCode(event.code),
    /** §5.5.1: "the body ... MAY contain UTF-8-encoded data" — it must be valid UTF-8. */
    isUtf8CloseReason: ({ event }) => event.type === 'CLOSE_FRAME' && event.reasonIsUtf8,
  },
  actions: {
    // Effects. The machine names them; the protocol core carries them out from the action
    // list that each transition returns. An actor running this machine performs no I/O.
    /** §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response". */
    sendPong: () => {},
    /** Tell the application a Ping arrived. */
    reportPing: () => {},
    /** Tell the application a Pong arrived. */
    reportPong: () => {},
    /** §5.5.1: answer a Close with a Close, "typically echoing the status code it received". */
    echoCloseFrame: () => {},
    /** Send a Close frame with the status code in params, or in the event that caused it. */
    sendCloseFrame: (_, _params: { closeCode: number } | undefined) => {},
    /** Stop reading frames: §5.5.1 "the endpoint ... MUST NOT send more data", and we read no more. */
    ignoreFurtherFrames: () => {},
    /** §7.1.1: "the server SHOULD close the underlying TCP connection" first: send FIN. */
    closeTcp: () => {},
    /** Drop the TCP connection at once (a peer that never finished closing). */
    destroyTcp: () => {},
    /** Ask the I/O layer for a CLOSE_TIMEOUT after the configured close timeout. */
    startCloseTimer: () => {},
  },
}).createMachine({
  id: 'closingHandshake',
  initial: 'open',
  states: {
    /** Neither side has sent a Close frame. */
    open: {
      on: {
        PING_FRAME: { actions: ['sendPong', 'reportPing'] },
        PONG_FRAME: { actions: 'reportPong' },
        CLOSE_FRAME: [
          {
            guard: 'hasNoCloseBody',
            target: 'closeHandshakeComplete',
            actions: ['echoCloseFrame', 'ignoreFurtherFrames', 'closeTcp', 'startCloseTimer'],
          },
          { guard: 'hasOneByteCloseBody', target: 'failed', actions: failWithProtocolError },
          // §7.4.1/§7.4.2: codes an endpoint must not send (1004–1006, 1015, <1000, 1016–2999, ≥5000).
          { guard: not('isValidCloseCode'), target: 'failed', actions: failWithProtocolError },
          // §8.1: invalid UTF-8 → "_Fail the WebSocket Connection_" with 1007 (§7.4.1).
          {
            guard: not('isUtf8CloseReason'),
            target: 'failed',
            actions: [
              { type: 'sendCloseFrame', params: { closeCode: 1007 } },
              'ignoreFurtherFrames',
              'closeTcp',
              'startCloseTimer',
            ],
          },
          {
            target: 'closeHandshakeComplete',
            actions: ['echoCloseFrame', 'ignoreFurtherFrames', 'closeTcp', 'startCloseTimer'],
          },
        ],
        // §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status code".
        PROTOCOL_ERROR: {
          target: 'failed',
          actions: ['sendCloseFrame', 'ignoreFurtherFrames', 'closeTcp', 'startCloseTimer'],
        },
        // §7.1.2: "Start the WebSocket Closing Handshake": send a Close and wait for the peer's.
        CLOSE_REQUESTED: { target: 'closeSent', actions: ['sendCloseFrame', 'startCloseTimer'] },
        // The peer closed TCP without a Close frame: §7.1.5, status 1006.
        TCP_END: { target: 'closed', actions: 'closeTcp' },
        TCP_CLOSED: { target: 'closed' },
      },
    },
    /** §7.1.3: we sent a Close frame and wait for the peer's. */
    closeSent: {
      on: {
        // §5.5.2: "an endpoint MUST send a Pong frame in response, unless it already received a
        // Close frame" — having only sent one, it still answers (§5.5.1 forbids data frames, not control frames).
        PING_FRAME: { actions: ['sendPong', 'reportPing'] },
        PONG_FRAME: { actions: 'reportPong' },
        // §7.1.1: once both Close frames are exchanged, "the server ... close[s] the underlying TCP connection".
        CLOSE_FRAME: { target: 'closeHandshakeComplete', actions: ['ignoreFurtherFrames', 'closeTcp'] },
        PROTOCOL_ERROR: { target: 'failed', actions: ['ignoreFurtherFrames', 'closeTcp'] },
        CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
        TCP_END: { target: 'closed', actions: 'closeTcp' },
        TCP_CLOSED: { target: 'closed' },
      },
    },
    /** Both Close frames are exchanged; the server has closed its side of TCP and waits for the peer's. */
    closeHandshakeComplete: {
      on: {
        CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
        TCP_CLOSED: { target: 'closed' },
      },
    },
    /** §7.1.7 "_Fail the WebSocket Connection_": a Close with the error's code is sent and TCP is closing. */
    failed: {
      on: {
        CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
        TCP_CLOSED: { target: 'closed' },
      },
    },
    /** §7.1.4: the TCP connection is closed. */
    closed: { type: 'final' },
  },
});
