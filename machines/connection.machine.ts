/**
 * The connection lifecycle of RFC 6455 §4 and §7: CONNECTING → OPEN → CLOSING → CLOSED,
 * the states the WebSocket API calls readyState.
 *
 * Rules for this file: every lifecycle transition lives here; the details of closing live
 * in closing-handshake.machine.ts, those of messages in message.machine.ts. No timers:
 * the I/O layer turns timeouts into events.
 */
import { and, setup } from 'xstate';
import type { ProtocolEvent } from './protocol-events.js';
import {
  asksForVersion13,
  asksForWebSocketUpgrade,
  isGetRequest,
  isWellFormedUpgradeRequest,
} from '../src/opening-handshake.js';

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
    /** RFC 7692 §5: the client offered permessage-deflate and the server accepted an offer. */
    isPerMessageDeflateAgreed: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && event.perMessageDeflateAgreed,
    /**
     * §4.2.2 item 5.4 /subprotocol/: "Either a single value representing the subprotocol the
     * server is ready to use or null. The value chosen MUST be derived from the client's
     * handshake". The I/O layer asked the application and keeps only a value the client offered.
     */
    isSubprotocolChosen: ({ event }) => event.type === 'HANDSHAKE_REQUEST' && event.subprotocol !== undefined,
  },
  actions: {
    // Effects. The machine names them; the protocol core carries them out from the action
    // list that each transition returns. An actor running this machine performs no I/O.
    /** §4.2.2 item 5: send 101 Switching Protocols with |Sec-WebSocket-Accept|. */
    acceptHandshake: () => {},
    /** §4.2.2 item 5.4: answer with |Sec-WebSocket-Protocol| naming the chosen subprotocol. */
    answerSubprotocol: () => {},
    /** RFC 7692 §7.2: from now on, messages may be compressed (RSV1) in both directions. */
    enablePerMessageDeflate: () => {},
    /** Answer with an HTTP error status and close the TCP connection. */
    rejectHandshake: (_, _params: { status: number }) => {},
    /** Tell the application that the connection is closed, with the code and reason. */
    reportClosed: () => {},
  },
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
          {
            guard: and(['isPerMessageDeflateAgreed', 'isSubprotocolChosen']),
            target: 'open',
            actions: ['enablePerMessageDeflate', 'answerSubprotocol', 'acceptHandshake'],
          },
          { guard: 'isPerMessageDeflateAgreed', target: 'open', actions: ['enablePerMessageDeflate', 'acceptHandshake'] },
          { guard: 'isSubprotocolChosen', target: 'open', actions: ['answerSubprotocol', 'acceptHandshake'] },
          { target: 'open', actions: 'acceptHandshake' },
        ],
        // (A TCP connection that closes before its upgrade request is complete never gets a
        // connection: Node's HTTP server handles it, so CONNECTING has no TCP_CLOSED transition.)
      },
    },
    /** §4.2.2: "the WebSocket connection is established" and in the OPEN state. */
    open: {
      on: {
        CLOSE_FRAME: { target: 'closing' },
        CLOSE_REQUESTED: { target: 'closing' },
        PROTOCOL_ERROR: { target: 'closing' },
        TCP_END: { target: 'closing' },
        TCP_CLOSED: { target: 'closed', actions: 'reportClosed' },
      },
    },
    /** §7.1.3: "The WebSocket Closing Handshake is Started" (by either side, or by failing). */
    closing: {
      on: {
        TCP_CLOSED: { target: 'closed', actions: 'reportClosed' },
      },
    },
    /** §7.1.4: "The WebSocket Connection is Closed": the TCP connection is gone. */
    closed: { type: 'final' },
  },
});
