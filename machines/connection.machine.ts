/**
 * The connection lifecycle of RFC 6455 §4 and §7: CONNECTING → OPEN → CLOSING → CLOSED,
 * the states the WebSocket API calls readyState.
 *
 * Rules for this file: every lifecycle transition lives here, and so does every decision about
 * the application's `send`, `ping`, `pong` and `terminate` calls and about the failure causes the
 * frame parser and the data plane find (each cause its own event, naming its error and close
 * code). The details of closing live in closing-handshake.machine.ts, those of messages in
 * message.machine.ts. No timers: the I/O layer turns timeouts into events.
 */
import { and, setup } from 'xstate';
import type { FailureCauseType, ProtocolEvent } from './protocol-events.js';
import { asWritten } from './as-written.js';
import { failWith, refuse, sharedActions } from './shared-actions.js';
import type { ProtocolErrorCode } from '../src/protocol-error.js';
import {
  asksForVersion13,
  asksForWebSocketUpgrade,
  isGetRequest,
  isWellFormedUpgradeRequest,
} from '../src/opening-handshake.js';
import {
  acceptsTheKey,
  isSwitchingProtocols,
  subprotocolWasOffered,
  upgradesToWebSocket,
} from '../src/client-handshake.js';

export const connectionActions = {
  ...sharedActions,
  /** §4.2.2 item 5: send 101 Switching Protocols with |Sec-WebSocket-Accept|; the connection is open (CONNECTION_OPENED). */
  acceptHandshake: () => {},
  /** §4.2.2 item 5.4: answer with |Sec-WebSocket-Protocol| naming the chosen subprotocol. */
  answerSubprotocol: () => {},
  /** RFC 7692 §7.2: from now on, messages may be compressed (RSV1) in both directions. */
  enablePerMessageDeflate: () => {},
  /** Answer with an HTTP error status and close the TCP connection. */
  rejectHandshake: (_: unknown, _params: { readonly status: number }) => {},
  /** Answer with the HTTP refusal the server's application chose (e.g. `verifyClient`'s 401) and close the TCP connection. */
  relayApplicationRefusal: () => {},
  /** Start reading frames from the bytes that arrive (before the handshake, none are read). */
  startReadingFrames: () => {},
  /** §6.1: send the application's message (a data frame; RFC 7692: compressed when agreed). */
  sendMessage: () => {},
  /** §5.5.2: send the application's Ping. */
  sendPing: () => {},
  /** §5.5.3: "A Pong frame MAY be sent unsolicited": send the application's Pong. */
  sendUnsolicitedPong: () => {},
  /** Drop the TCP connection at once (the application's `terminate()`). */
  destroyTcp: () => {},
  /** Tell the application that the connection is closed, with §7.1.5's close code and reason. */
  reportClosed: () => {},
  // ---- the client role (§4.1, §5.1, §5.3)
  /** §5.3: "The masking key is a 32-bit value chosen at random by the client" — every frame sent is masked. */
  maskOutgoingFrames: () => {},
  /** §5.1: "A server MUST NOT mask any frames that it sends to the client": a masked one is MASKED_FRAME. */
  expectUnmaskedFrames: () => {},
  /** §4.1: the server's response is not 101: `unexpected-response` (or, without a listener, an error). */
  reportUnexpectedResponse: () => {},
  /** §4.1: "the client MUST _Fail the WebSocket Connection_": tell the application why (before any Close could be sent). */
  reportHandshakeFailure: () => {},
  /** §4.1: take the subprotocol the server chose (one the client offered). */
  recordSubprotocol: () => {},
  /** §4.1: the handshake is complete, the connection is open (CONNECTION_OPENED). */
  completeClientHandshake: () => {},
};

/**
 * The failure causes found outside the machines, each with the API error code (and so the close
 * code, src/protocol-error.ts) the connection is failed with.
 */
const failureCauses = {
  // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values";
  // RFC 7692 §6: never on a control frame.
  RSV1_NOT_ALLOWED: failWith('WS_ERR_UNEXPECTED_RSV_1'),
  RSV2_OR_RSV3_SET: failWith('WS_ERR_UNEXPECTED_RSV_2_3'),
  // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
  RESERVED_OPCODE: failWith('WS_ERR_INVALID_OPCODE'),
  // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
  FRAGMENTED_CONTROL_FRAME: failWith('WS_ERR_FRAGMENTED_CONTROL_FRAME'),
  CONTROL_FRAME_TOO_LONG: failWith('WS_ERR_CONTROL_FRAME_TOO_LONG'),
  // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
  UNMASKED_FRAME: failWith('WS_ERR_EXPECTED_MASK'),
  // §5.1: "A client MUST close a connection if it detects a masked frame" (the client role).
  MASKED_FRAME: failWith('WS_ERR_UNEXPECTED_MASK'),
  // §5.2: "the most significant bit MUST be 0".
  INVALID_PAYLOAD_LENGTH: failWith('WS_ERR_INVALID_PAYLOAD_LENGTH'),
  // §10.4: "an implementation ... SHOULD impose a limit on frame sizes"; 1009, "too big for it to process".
  UNSUPPORTED_PAYLOAD_LENGTH: failWith('WS_ERR_UNSUPPORTED_PAYLOAD_LENGTH'),
  MESSAGE_TOO_BIG: failWith('WS_ERR_MESSAGE_TOO_BIG'),
  INFLATED_TOO_BIG: failWith('WS_ERR_MESSAGE_TOO_BIG'),
  // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is
  // not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_."
  INVALID_UTF8: failWith('WS_ERR_INVALID_UTF8'),
  INFLATED_TEXT_NOT_UTF8: failWith('WS_ERR_INVALID_UTF8'),
  // RFC 7692 §8: data that does not inflate fails the connection.
  CORRUPT_COMPRESSED_DATA: failWith('WS_ERR_INVALID_COMPRESSED_DATA'),
} satisfies Record<FailureCauseType, ReturnType<typeof failWith>>;

/**
 * §4.1 "_Fail the WebSocket Connection_" during the client's opening handshake: no Close frame can
 * be sent on a connection that is not open (§7.1.7 "SHOULD send a Close frame" applies once it
 * is), so TCP is dropped; CLOSING waits for the socket's close to report 1006.
 */
function failOpeningHandshake<const E extends ProtocolErrorCode>(error: E) {
  return asWritten([failWith(error), 'reportHandshakeFailure', 'destroyTcp']);
}

/** Each cause fails the connection: from OPEN it starts closing; while CLOSING it stays there. */
function failOnEachCause(target: 'closing' | undefined) {
  // Built outside the type assertion below, where Stryker can mutate it.
  const transitions = Object.entries(failureCauses).map(([cause, action]) => [cause, { target, actions: action }]);
  return Object.fromEntries(transitions) as { [C in FailureCauseType]: { target: typeof target; actions: (typeof failureCauses)[C] } };
}

/**
 * §4.2.2 item 5: accept the request, answering the agreed extension and the chosen subprotocol;
 * the same branches whether the protocol alone decided (HANDSHAKE_REQUEST) or the application
 * had its say (APPLICATION_ACCEPTED).
 */
const acceptRequest = asWritten([
  {
    guard: and(['isPerMessageDeflateAgreed', 'isSubprotocolChosen']),
    target: 'open',
    actions: ['enablePerMessageDeflate', 'answerSubprotocol', 'acceptHandshake', 'startReadingFrames'],
  },
  {
    guard: 'isPerMessageDeflateAgreed',
    target: 'open',
    actions: ['enablePerMessageDeflate', 'acceptHandshake', 'startReadingFrames'],
  },
  { guard: 'isSubprotocolChosen', target: 'open', actions: ['answerSubprotocol', 'acceptHandshake', 'startReadingFrames'] },
  { target: 'open', actions: ['acceptHandshake', 'startReadingFrames'] },
]);

export const connectionMachine = setup({
  types: {
    events: {} as ProtocolEvent,
  },
  guards: {
    /** RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request". */
    isNotGetRequest: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && !isGetRequest(event),
    /** §4.2.1 item 3: no |Upgrade| header naming "websocket": this is not a WebSocket request. */
    isNotWebSocketUpgrade: ({ event }) =>
      event.type === 'HANDSHAKE_REQUEST' && !asksForWebSocketUpgrade(event),
    /** §4.2.2: a version the server does not speak gets 426 and the versions it does. */
    isUnsupportedVersion: ({ event }) =>
      event.type === 'HANDSHAKE_REQUEST' && !asksForVersion13(event),
    /**
     * §4.2.1 items 1, 2, 4, 5: HTTP version, Host, Connection: Upgrade, a 16-byte key; and §4.1:
     * a |Sec-WebSocket-Protocol| that is a list of unique tokens.
     */
    isMalformedHandshake: ({ event }) =>
      event.type === 'HANDSHAKE_REQUEST' && !isWellFormedUpgradeRequest(event),
    /**
     * §4.2.1 item 2 (/resource name/): the request names a resource this server does not serve (the
     * I/O layer asked the application's `path` / `shouldHandle`).
     */
    isResourceNotServed: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && event.resourceNotServed === true,
    /**
     * §4.2.2: "the server MAY ... perform additional client authentication": the application
     * (`verifyClient`, `handleProtocols`) still decides on a request the protocol accepts.
     */
    isForTheApplicationToDecide: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && event.applicationDecides === true,
    /** RFC 7692 §5: the client offered permessage-deflate and the server accepted an offer. */
    isPerMessageDeflateAgreed: ({ event }) =>
      (event.type === 'HANDSHAKE_REQUEST' || event.type === 'APPLICATION_ACCEPTED') && event.perMessageDeflateAgreed,
    /**
     * §4.2.2 item 5.4 /subprotocol/: "Either a single value representing the subprotocol the
     * server is ready to use or null. The value chosen MUST be derived from the client's
     * handshake". The I/O layer asked the application and keeps only a value the client offered.
     */
    isSubprotocolChosen: ({ event }) =>
      (event.type === 'HANDSHAKE_REQUEST' || event.type === 'APPLICATION_ACCEPTED') && event.subprotocol !== undefined,
    // ---- the client role: RFC 6455 §4.1, "the client MUST validate the server's response as follows"
    /** §4.1 item 1: "If the status code received from the server is not 101, the client handles the response per HTTP". */
    isNotSwitchingProtocols: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && !isSwitchingProtocols(event),
    /**
     * §4.1 items 2, 3: "If the response lacks an |Upgrade| header field or the |Upgrade| header field
     * contains a value that is not an ASCII case-insensitive match for the value "websocket"" — and
     * the same for |Connection| and "Upgrade" — "the client MUST _Fail the WebSocket Connection_".
     */
    isNotWebSocketUpgradeResponse: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && !upgradesToWebSocket(event),
    /**
     * §4.1 item 4: "If the response lacks a |Sec-WebSocket-Accept| header field or the
     * |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
     * concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the string
     * "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ... the client MUST _Fail the WebSocket Connection_."
     */
    isWrongAccept: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && !acceptsTheKey(event),
    /**
     * §4.1 item 5: "If the response includes a |Sec-WebSocket-Extensions| header field and this
     * header field indicates the use of an extension that was not present in the client's
     * handshake ... the client MUST _Fail the WebSocket Connection_."
     */
    isExtensionNotOffered: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && event.extensions === 'notOffered',
    /**
     * RFC 7692 §5: "If a server gives an invalid response, such as accepting a PMCE that the client
     * did not offer, the client MUST _Fail the WebSocket Connection_"; §7.1: parameters the offer
     * did not allow (client_max_window_bits unoffered, an unknown or repeated parameter).
     */
    isInvalidExtensionResponse: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && event.extensions === 'invalidParameters',
    /**
     * §4.1 item 6: "If the response includes a |Sec-WebSocket-Protocol| header field and this header
     * field indicates the use of a subprotocol that was not present in the client's handshake ...
     * the client MUST _Fail the WebSocket Connection_" (so also one when none was offered).
     */
    isSubprotocolNotOffered: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && !subprotocolWasOffered(event),
    /** RFC 7692 §5: the server accepted the client's permessage-deflate offer. */
    isPerMessageDeflateAccepted: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && event.extensions === 'agreed',
    /** §4.1: the server named a subprotocol (one the client offered: checked before). */
    isSubprotocolAccepted: ({ event }) => event.type === 'HANDSHAKE_RESPONSE' && event.headers['sec-websocket-protocol'] !== undefined,
    /**
     * RFC 6585 §5: "The 431 status code indicates that the server is unwilling to process the
     * request because its header fields are too large" — too many of them, or too many bytes.
     */
    hasHeaderFieldsTooLarge: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && event.headerFieldsTooLarge === true,
    /**
     * RFC 6455 §10.2: "If the server does not wish to accept connections from this origin, it can
     * choose to reject the connection by sending an appropriate HTTP error code."
     */
    isOriginNotAllowed: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && event.originNotAllowed === true,
    /** The server holds `maxConnections` connections: it cannot take one more now. */
    isOverConnectionLimit: ({ event }) =>
      (event.type === 'HANDSHAKE_REQUEST' || event.type === 'APPLICATION_ACCEPTED') && event.connectionLimitReached === true,
  },
  actions: connectionActions,
}).createMachine({
  id: 'connection',
  initial: 'connecting',
  states: {
    /** §4.1 "CONNECTING": the opening handshake has not completed. */
    connecting: {
      on: {
        HANDSHAKE_REQUEST: [
          { guard: 'isNotGetRequest', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 405 } } },
          { guard: 'isNotWebSocketUpgrade', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 426 } } },
          { guard: 'isUnsupportedVersion', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 426 } } },
          { guard: 'isMalformedHandshake', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 400 } } },
          // §4.2.2: "If the requested service is not available, the server MUST send an appropriate
          // HTTP error code (such as 404 Not Found)"; ws answers 400, and so does statesocket.
          { guard: 'isResourceNotServed', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 400 } } },
          // RFC 6585 §5: 431 Request Header Fields Too Large.
          { guard: 'hasHeaderFieldsTooLarge', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 431 } } },
          // §4.2.2 item 4 (/origin/): "If the server does not wish to accept this connection, it
          // MUST return an appropriate HTTP error code (e.g., 403 Forbidden) and abort the
          // WebSocket handshake described in this section."
          { guard: 'isOriginNotAllowed', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 403 } } },
          // RFC 9110 §15.6.4: 503 "the server is currently unable to handle the request due to a
          // temporary overload"; the refusal carries Retry-After (opening-handshake.ts).
          { guard: 'isOverConnectionLimit', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 503 } } },
          // The protocol accepts the request; the application has its say before the answer.
          { guard: 'isForTheApplicationToDecide', target: 'awaitingApplication' },
          ...acceptRequest,
        ],
        // Nothing may be sent before the handshake completed (§4.1: data frames follow the handshake).
        SEND_REQUESTED: { actions: refuse('send') },
        PING_REQUESTED: { actions: refuse('ping') },
        PONG_REQUESTED: { actions: refuse('pong') },
        TERMINATE_REQUESTED: { target: 'closed', actions: 'destroyTcp' },
        // The complete request waited too long for the server's own decision (an asynchronous
        // verifyClient): the delay is the server's, so 503 (RFC 9110 §15.6.4, "temporary
        // overload"), not 408, which says the *client* was too slow to send its request.
        HANDSHAKE_TIMEOUT: { target: 'closed', actions: { type: 'rejectHandshake', params: { status: 503 } } },
        // (A TCP connection that closes before its upgrade request is complete never gets a
        // connection: Node's HTTP server handles it, so CONNECTING has no TCP_CLOSED transition.)
        // The client role: §4.1 "the client ... MUST send an opening handshake"; it is sent.
        CLIENT_HANDSHAKE_SENT: { target: 'requestSent', actions: ['maskOutgoingFrames', 'expectUnmaskedFrames'] },
      },
    },
    /**
     * §4.2.2, still CONNECTING: the request passed every check of the protocol and of the server's
     * limits; the application (`verifyClient`, `handleProtocols`) decides whether to accept it.
     */
    awaitingApplication: {
      on: {
        APPLICATION_ACCEPTED: [
          // The limit as it stands now: connections may have opened while the application decided.
          { guard: 'isOverConnectionLimit', target: 'closed', actions: { type: 'rejectHandshake', params: { status: 503 } } },
          ...acceptRequest,
        ],
        APPLICATION_REFUSED: { target: 'closed', actions: 'relayApplicationRefusal' },
        SEND_REQUESTED: { actions: refuse('send') },
        PING_REQUESTED: { actions: refuse('ping') },
        PONG_REQUESTED: { actions: refuse('pong') },
        TERMINATE_REQUESTED: { target: 'closed', actions: 'destroyTcp' },
        // The application did not decide in time (an asynchronous verifyClient): 503, as in CONNECTING.
        HANDSHAKE_TIMEOUT: { target: 'closed', actions: { type: 'rejectHandshake', params: { status: 503 } } },
      },
    },
    /** §4.1, the client role, still CONNECTING: the opening handshake is sent, the server's response awaited. */
    requestSent: {
      on: {
        HANDSHAKE_RESPONSE: [
          { guard: 'isNotSwitchingProtocols', target: 'closing', actions: [failWith('WS_ERR_HANDSHAKE_UNEXPECTED_STATUS'), 'reportUnexpectedResponse'] },
          { guard: 'isNotWebSocketUpgradeResponse', target: 'closing', actions: failOpeningHandshake('WS_ERR_HANDSHAKE_INVALID_UPGRADE') },
          { guard: 'isWrongAccept', target: 'closing', actions: failOpeningHandshake('WS_ERR_HANDSHAKE_INVALID_ACCEPT') },
          { guard: 'isExtensionNotOffered', target: 'closing', actions: failOpeningHandshake('WS_ERR_HANDSHAKE_INVALID_EXTENSION') },
          { guard: 'isInvalidExtensionResponse', target: 'closing', actions: failOpeningHandshake('WS_ERR_HANDSHAKE_INVALID_EXTENSION') },
          { guard: 'isSubprotocolNotOffered', target: 'closing', actions: failOpeningHandshake('WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL') },
          {
            guard: and(['isPerMessageDeflateAccepted', 'isSubprotocolAccepted']),
            target: 'open',
            actions: ['enablePerMessageDeflate', 'recordSubprotocol', 'startReadingFrames', 'completeClientHandshake'],
          },
          { guard: 'isPerMessageDeflateAccepted', target: 'open', actions: ['enablePerMessageDeflate', 'startReadingFrames', 'completeClientHandshake'] },
          { guard: 'isSubprotocolAccepted', target: 'open', actions: ['recordSubprotocol', 'startReadingFrames', 'completeClientHandshake'] },
          { target: 'open', actions: ['startReadingFrames', 'completeClientHandshake'] },
        ],
        RESPONSE_TIMEOUT: { target: 'closing', actions: failOpeningHandshake('WS_ERR_HANDSHAKE_TIMEOUT') },
        // The connection could not be made or broke before the response (ECONNREFUSED, a reset).
        TCP_CLOSED: { target: 'closed', actions: 'reportClosed' },
        // §4.1: "the client MUST NOT send any further data" before the handshake completes.
        SEND_REQUESTED: { actions: refuse('send') },
        PING_REQUESTED: { actions: refuse('ping') },
        PONG_REQUESTED: { actions: refuse('pong') },
        // ws: terminate() while CONNECTING aborts the handshake ("closed before the connection was established").
        TERMINATE_REQUESTED: { target: 'closing', actions: 'destroyTcp' },
      },
    },
    /** §4.2.2: "the WebSocket connection is established" and in the OPEN state. */
    open: {
      on: {
        SEND_REQUESTED: { actions: 'sendMessage' },
        PING_REQUESTED: { actions: 'sendPing' },
        PONG_REQUESTED: { actions: 'sendUnsolicitedPong' },
        CLOSE_FRAME: { target: 'closing' },
        CLOSE_REQUESTED: { target: 'closing' },
        CONNECTION_FAILED: { target: 'closing' },
        ...failOnEachCause('closing'),
        TCP_END: { target: 'closing' },
        TERMINATE_REQUESTED: { target: 'closing', actions: 'destroyTcp' },
        TCP_CLOSED: { target: 'closed', actions: 'reportClosed' },
      },
    },
    /** §7.1.3: "The WebSocket Closing Handshake is Started" (by either side, or by failing). */
    closing: {
      on: {
        // §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more data frames."
        SEND_REQUESTED: { actions: refuse('send') },
        PING_REQUESTED: { actions: refuse('ping') },
        PONG_REQUESTED: { actions: refuse('pong') },
        // Frames are still read after our Close, until the peer's (§7.1.3): they can still fail.
        ...failOnEachCause(undefined),
        TERMINATE_REQUESTED: { actions: 'destroyTcp' },
        TCP_CLOSED: { target: 'closed', actions: 'reportClosed' },
      },
    },
    /** §7.1.4: "The WebSocket Connection is Closed": the TCP connection is gone. */
    closed: {
      on: {
        SEND_REQUESTED: { actions: refuse('send') },
        PING_REQUESTED: { actions: refuse('ping') },
        PONG_REQUESTED: { actions: refuse('pong') },
        // Nothing is left to drop: terminate() does nothing, as in ws.
        TERMINATE_REQUESTED: {},
      },
    },
  },
});
