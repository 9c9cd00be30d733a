/**
 * Control frames and the closing handshake (RFC 6455 §5.5, §7), including failing the
 * connection (§7.1.7) and the close code the application is told (§7.1.5).
 *
 * Rules for this file: every decision about Ping, Pong and Close frames, about the application's
 * `close()`, about who closes TCP and when, lives here. No timers: the machine asks for one
 * (`startCloseTimer`) and the I/O layer answers with CLOSE_TIMEOUT.
 */
import { not, setup } from 'xstate';
import type { ProtocolEvent } from './protocol-events.js';
import { asWritten } from './as-written.js';
import { failWith, refuse, sharedActions } from './shared-actions.js';
import { isValidCloseCode } from '../src/close-code.js';

export const closingHandshakeActions = {
  ...sharedActions,
  /** The connection is open: tell the application. */
  reportOpen: () => {},
  /** §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response". */
  sendPong: () => {},
  /** Tell the application a Ping arrived. */
  reportPing: () => {},
  /** Tell the application a Pong arrived. */
  reportPong: () => {},
  /** §7.1.5: the valid Close received sets _The WebSocket Connection Close Code_ (1005 if it had no code) and reason. */
  recordCloseCode: () => {},
  /** §5.5.1: answer a Close with a Close, "typically echoing the status code it received". */
  echoCloseFrame: () => {},
  /** §7.1.2: send a Close frame with the code and reason the application asked for. */
  sendCloseFrame: () => {},
  /** §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status code": the failure's. */
  sendFailureCloseFrame: () => {},
  /** Tell the application why the connection failed (the ProtocolError `failConnection` recorded). */
  reportFailure: () => {},
  /** Stop reading frames: after a Close or a failure, further bytes are not read (§5.5.1, §7.1.7). */
  stopReadingFrames: () => {},
  /** §7.1.1: "the server SHOULD close the underlying TCP connection" first: send FIN. */
  closeTcp: () => {},
  /** Drop the TCP connection at once (a peer that never finished closing). */
  destroyTcp: () => {},
  /** Ask the I/O layer for a CLOSE_TIMEOUT after the configured close timeout. */
  startCloseTimer: () => {},
  /** §5.5.2: "A Ping frame MAY be sent ... as a means to verify that the remote endpoint is still responsive." */
  sendHeartbeatPing: () => {},
  /** Ask the I/O layer for a PONG_TIMEOUT unless a Pong (or any byte) arrives within the heartbeat deadline. */
  startPongDeadline: () => {},
};

/**
 * The two roles differ in who closes TCP. §7.1.1: "the underlying TCP connection, in most normal
 * cases, SHOULD be closed first by the server, so that it holds the TIME_WAIT state and not the
 * client"; "the client SHOULD wait for the server to close the connection but MAY close the
 * connection at any time after sending and receiving a close message, e.g., if it has not
 * received a TCP Close from the server in a reasonable time period". So the server sends FIN
 * (`closeTcp`) once closing; the client waits, its close timer bounding the wait.
 */
type Role = 'server' | 'client';

/**
 * The heartbeat's Ping went unanswered: the peer is gone (half-open TCP) or stalled. Fail with
 * 1011 as python-websockets does ("keepalive ping timeout") and drop TCP at once: a peer that
 * answers nothing will not finish a closing handshake.
 */
const failUnresponsive = asWritten([failWith('WS_ERR_PONG_TIMEOUT'), 'sendFailureCloseFrame', 'stopReadingFrames', 'reportFailure', 'destroyTcp']);

/**
 * §7.1.7 while no Close was sent: send the failure's Close, read no more; the server closes TCP
 * first (§7.1.1), the client waits for it (python-websockets: "a client waits for the server to
 * close the TCP connection").
 */
function failAndSendClose(role: Role) {
  return role === 'server'
    ? asWritten(['sendFailureCloseFrame', 'stopReadingFrames', 'reportFailure', 'closeTcp', 'startCloseTimer'])
    : asWritten(['sendFailureCloseFrame', 'stopReadingFrames', 'reportFailure', 'startCloseTimer']);
}
/** §7.1.7 once our Close is sent: no second Close (§5.5.1), read no more; the server closes TCP (the timer runs). */
function failAfterClose(role: Role) {
  return role === 'server' ? asWritten(['stopReadingFrames', 'reportFailure', 'closeTcp']) : asWritten(['stopReadingFrames', 'reportFailure']);
}

/** The branches of a received Close frame: its body decides (§5.5.1, §7.4). */
function closeFrameBranches(role: Role, answered: 'answer' | 'alreadySent') {
  const complete = role === 'server' ? 'closeHandshakeComplete' : 'awaitingServerClose';
  const onValid =
    role === 'server'
      ? answered === 'answer'
        ? asWritten(['recordCloseCode', 'echoCloseFrame', 'stopReadingFrames', 'closeTcp', 'startCloseTimer'])
        : // §7.1.1: once both Close frames are exchanged, "the server ... close[s] the underlying TCP connection".
          asWritten(['recordCloseCode', 'stopReadingFrames', 'closeTcp'])
      : answered === 'answer'
        ? // §7.1.1: the client "SHOULD wait for the server to close the connection": the timer bounds the wait.
          asWritten(['recordCloseCode', 'echoCloseFrame', 'stopReadingFrames', 'startCloseTimer'])
        : asWritten(['recordCloseCode', 'stopReadingFrames']);
  const onInvalid = answered === 'answer' ? failAndSendClose(role) : failAfterClose(role);
  return asWritten([
    { guard: 'hasNoCloseBody', target: complete, actions: onValid },
    // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer".
    { guard: 'hasOneByteCloseBody', target: 'failed', actions: [failWith('WS_ERR_INVALID_CLOSE_PAYLOAD'), ...onInvalid] },
    // §7.4.1/§7.4.2: codes an endpoint must not send (1004–1006, 1015, <1000, 1016–2999, ≥5000).
    { guard: not('isValidCloseCode'), target: 'failed', actions: [failWith('WS_ERR_INVALID_CLOSE_CODE'), ...onInvalid] },
    // §8.1: invalid UTF-8 → "_Fail the WebSocket Connection_" with 1007 (§7.4.1).
    { guard: not('isUtf8CloseReason'), target: 'failed', actions: [failWith('WS_ERR_INVALID_UTF8'), ...onInvalid] },
    { target: complete, actions: onValid },
  ]);
}

/** The states of the closing handshake after CONNECTING, for one role (the targets are siblings). */
function closingStates(role: Role) {
  const failAndClose = failAndSendClose(role);
  return asWritten({
    /** Neither side has sent a Close frame. */
    open: {
      on: {
        PING_FRAME: { actions: ['sendPong', 'reportPing'] },
        PONG_FRAME: { actions: 'reportPong' },
        CLOSE_FRAME: closeFrameBranches(role, 'answer'),
        // §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status code".
        CONNECTION_FAILED: { target: 'failed', actions: failAndClose },
        // §7.1.2: "Start the WebSocket Closing Handshake": send a Close and wait for the peer's.
        CLOSE_REQUESTED: { target: 'closeSent', actions: ['sendCloseFrame', 'startCloseTimer'] },
        // The peer closed TCP without a Close frame: §7.1.5, status 1006.
        TCP_END: { target: 'closed', actions: 'closeTcp' },
        TCP_CLOSED: { target: 'closed' },
        // Heartbeats (the I/O layer's `heartbeatIntervalMs`): only while neither side has sent a
        // Close; once closing, the close timer bounds the wait.
        HEARTBEAT_DUE: { actions: ['sendHeartbeatPing', 'startPongDeadline'] },
        PONG_TIMEOUT: { target: 'failed', actions: failUnresponsive },
        // §5.5.2 obliges a Pong per Ping; §10.4 lets an endpoint bound its resources: a peer that
        // floods Pings and reads none of the Pongs is failed (1008, a policy the endpoint sets).
        PONGS_UNREAD: { target: 'failed', actions: [failWith('WS_ERR_PONGS_UNREAD'), ...failAndClose] },
        // The application sent more than `maxBufferedAmount` to a peer that does not read: fail
        // (1008, a policy the endpoint sets) rather than pause, for send() cannot wait; and drop TCP
        // at once, as uWebSockets' closeOnBackpressureLimit does: the Close would queue behind the
        // very bytes the peer does not read.
        BUFFERED_AMOUNT_EXCEEDED: {
          target: 'failed',
          actions: [failWith('WS_ERR_BUFFERED_AMOUNT_EXCEEDED'), 'sendFailureCloseFrame', 'stopReadingFrames', 'reportFailure', 'destroyTcp'],
        },
      },
    },
    /** §7.1.3: we sent a Close frame and wait for the peer's. */
    closeSent: {
      on: {
        // §5.5.2: "an endpoint MUST send a Pong frame in response, unless it already received a
        // Close frame" — having only sent one, it still answers (§5.5.1 forbids data frames, not control frames).
        PING_FRAME: { actions: ['sendPong', 'reportPing'] },
        PONG_FRAME: { actions: 'reportPong' },
        CLOSE_FRAME: closeFrameBranches(role, 'alreadySent'),
        CONNECTION_FAILED: { target: 'failed', actions: failAfterClose(role) },
        // §7.1.2: the closing handshake is started once.
        CLOSE_REQUESTED: { actions: refuse('close') },
        CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
        TCP_END: { target: 'closed', actions: 'closeTcp' },
        TCP_CLOSED: { target: 'closed' },
      },
    },
    ...(role === 'server'
      ? asWritten({
          /** Both Close frames are exchanged; the server has closed its side of TCP and waits for the peer's. */
          closeHandshakeComplete: {
            on: {
              CLOSE_REQUESTED: { actions: refuse('close') },
              CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
              TCP_CLOSED: { target: 'closed' },
            },
          },
        })
      : asWritten({
          /**
           * Both Close frames are exchanged; §7.1.1: "the client SHOULD wait for the server to close the
           * connection but MAY close the connection at any time after sending and receiving a close
           * message, e.g., if it has not received a TCP Close from the server in a reasonable time period".
           */
          awaitingServerClose: {
            on: {
              CLOSE_REQUESTED: { actions: refuse('close') },
              // The server's FIN: answer with ours (§7.1.1 "the client ... closes its side").
              TCP_END: { actions: 'closeTcp' },
              // No TCP close from the server in time: the client drops TCP itself.
              CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
              TCP_CLOSED: { target: 'closed' },
            },
          },
        })),
    /** §7.1.7 "_Fail the WebSocket Connection_": a Close with the error's code is sent and TCP is closing. */
    failed: {
      on: {
        CLOSE_REQUESTED: { actions: refuse('close') },
        // The client waits for the server's FIN (§7.1.1) and answers it with its own.
        ...(role === 'client' ? asWritten({ TCP_END: { actions: 'closeTcp' } }) : {}),
        CLOSE_TIMEOUT: { target: 'closed', actions: 'destroyTcp' },
        TCP_CLOSED: { target: 'closed' },
      },
    },
    /** §7.1.4: the TCP connection is closed. */
    closed: {
      on: {
        CLOSE_REQUESTED: { actions: refuse('close') },
      },
    },
  });
}

export const closingHandshakeMachine = setup({
  // Stryker disable next-line ObjectLiteral: equivalent — `types` only types the machine for tsc; XState ignores it at run time (test/mutation/equivalent-mutants.md)
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
  actions: closingHandshakeActions,
}).createMachine({
  id: 'closingHandshake',
  initial: 'connecting',
  states: {
    /** §4.1 CONNECTING: the opening handshake has not completed; there is nothing to close yet. */
    connecting: {
      on: {
        CONNECTION_OPENED: { target: 'open', actions: 'reportOpen' },
        CLOSE_REQUESTED: { actions: refuse('close') },
        // The client role: the opening handshake is sent (§4.1).
        CLIENT_HANDSHAKE_SENT: { target: 'client' },
      },
    },
    // The server role (the states the server has always had, at the top level).
    ...closingStates('server'),
    /** The client role (RFC 6455 §4.1, §7.1.1): the same states, but the server closes TCP first. */
    client: {
      initial: 'connecting',
      states: {
        /** §4.1 CONNECTING: the request is sent; there is nothing to close yet. */
        connecting: {
          on: {
            CONNECTION_OPENED: { target: 'open', actions: 'reportOpen' },
            CLOSE_REQUESTED: { actions: refuse('close') },
            // The handshake failed or the connection could not be made: nothing was opened.
            TCP_CLOSED: { target: 'closed' },
          },
        },
        ...closingStates('client'),
      },
    },
  },
});
