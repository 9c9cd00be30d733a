/**
 * The events that drive statesocket's machines. The protocol core turns bytes, socket
 * happenings, timers and application calls into these events and hands each one to every
 * machine that declares it (a machine ignores events it does not know).
 *
 * Events carry only what a guard needs to choose a branch; payload bytes stay in the
 * protocol core so machine context stays finite. Events without fields are constants the core
 * reuses, so the hot path allocates no event.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** RFC 6455 §4.1: the client's opening handshake, as parsed by the HTTP layer. */
export interface HandshakeRequestEvent {
  type: 'HANDSHAKE_REQUEST';
  method: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** permessage-deflate was offered and the server agreed on parameters (RFC 7692 §5). */
  perMessageDeflateAgreed: boolean;
  /**
   * RFC 6455 §4.2.2 item 5.4 /subprotocol/: the one the server chose among those the client
   * offered (the application's `handleProtocols`), or undefined for none.
   */
  subprotocol?: string | undefined;
  /**
   * The request's header fields are over the server's limits (`maxHeaderCount`, `maxHeaderBytes`),
   * as the I/O layer counted them (src/handshake-limits.ts). Absent: within them.
   */
  headerFieldsTooLarge?: boolean;
  /** The request's |Origin| is not in the server's `allowedOrigins` (RFC 6455 §10.2). Absent: allowed. */
  originNotAllowed?: boolean;
  /** The server already holds `maxConnections` open connections (I/O-layer state). Absent: under the limit. */
  connectionLimitReached?: boolean;
  /**
   * RFC 6455 §4.2.1 item 2 (/resource name/): the server does not serve the resource the request
   * names (its `path` differs, or its `shouldHandle` says no). Absent: it does.
   */
  resourceNotServed?: boolean;
  /** The request's target (`/chat?room=1`), for the refusal's words. */
  url?: string;
  /**
   * The server's application still decides on a request the protocol accepts (`verifyClient`,
   * `handleProtocols`, a server that is closing): APPLICATION_ACCEPTED or APPLICATION_REFUSED
   * follows. Absent: the request is answered at once.
   */
  applicationDecides?: boolean;
}

/**
 * The server's application accepted a request the connection machine had left to it (RFC 6455
 * §4.2.2: "the server MAY ... perform additional client authentication"), with what it chose.
 */
export interface ApplicationAcceptedEvent {
  type: 'APPLICATION_ACCEPTED';
  /** permessage-deflate was offered and the server agreed on parameters (RFC 7692 §5), as on the request. */
  perMessageDeflateAgreed: boolean;
  /** RFC 6455 §4.2.2 item 5.4: the subprotocol the application chose among those offered, or undefined. */
  subprotocol?: string | undefined;
  /** The server holds `maxConnections` open connections now (the application may have taken a while). */
  connectionLimitReached?: boolean;
}

/**
 * RFC 6455 §4.1: the server's answer to the client's opening handshake (the client role), as
 * the HTTP layer parsed it, with what the client offered (so that guards read only the event).
 */
export interface HandshakeResponseEvent {
  type: 'HANDSHAKE_RESPONSE';
  /** The HTTP status code. */
  status: number;
  headers: IncomingHttpHeaders;
  /** §4.1: the |Sec-WebSocket-Accept| the key sent requires (base64 SHA-1 of key + GUID). */
  expectedAccept: string;
  /** §4.1: the subprotocols the client offered in |Sec-WebSocket-Protocol| (empty: none). */
  offeredSubprotocols: readonly string[];
  /**
   * RFC 7692 §5/§7.1 (src/client-deflate-offer.ts): what the |Sec-WebSocket-Extensions| answer
   * is: none, permessage-deflate with parameters the offer allowed, an extension the client did
   * not offer, or permessage-deflate with parameters the offer did not allow.
   */
  extensions: 'none' | 'agreed' | 'notOffered' | 'invalidParameters';
}

/** A data frame's header has arrived (RFC 6455 §5.6); its payload follows. */
export interface DataFrameEvent {
  type: 'TEXT_FRAME' | 'BINARY_FRAME' | 'CONTINUATION_FRAME';
  fin: boolean;
  rsv1: boolean;
}

/**
 * A whole Close frame has arrived (RFC 6455 §5.5.1). `payloadLength` is the body's length,
 * `code` the status code when the body has one, `reasonIsUtf8` whether the reason is valid UTF-8.
 */
export interface CloseFrameEvent {
  type: 'CLOSE_FRAME';
  payloadLength: number;
  code: number;
  reasonIsUtf8: boolean;
}

/** The application asked to start the closing handshake (§7.1.2). */
export interface CloseRequestedEvent {
  type: 'CLOSE_REQUESTED';
  code: number;
}

/**
 * A frame header the frame parser refuses (RFC 6455 §5.1, §5.2, §5.5): each cause is its own
 * event, so the machine that fails the connection names the cause and its close code.
 */
export type FrameViolationType =
  /** §5.2: RSV1 set without permessage-deflate, or RFC 7692 §6: on a control frame. */
  | 'RSV1_NOT_ALLOWED'
  /** §5.2: RSV2 or RSV3 set. */
  | 'RSV2_OR_RSV3_SET'
  /** §5.2: an opcode of %x3-7 or %xB-F. */
  | 'RESERVED_OPCODE'
  /** §5.5: a control frame with FIN clear. */
  | 'FRAGMENTED_CONTROL_FRAME'
  /** §5.5: a control frame longer than 125 bytes. */
  | 'CONTROL_FRAME_TOO_LONG'
  /** §5.1: a client frame without MASK (the server role). */
  | 'UNMASKED_FRAME'
  /** §5.1: a server frame with MASK (the client role). */
  | 'MASKED_FRAME'
  /** §5.2: a 64-bit length with its most significant bit set, or a length not in the minimal number of bytes. */
  | 'INVALID_PAYLOAD_LENGTH'
  /** A 64-bit length beyond 2^53 - 1. */
  | 'UNSUPPORTED_PAYLOAD_LENGTH';

/** What the data plane finds in a message's payload (RFC 6455 §8.1, §10.4; RFC 7692 §7.2.2). */
export type PayloadViolationType =
  /** §10.4: the frame's length would take the message over `maxMessageSize`. */
  | 'MESSAGE_TOO_BIG'
  /** §8.1: a text message's bytes are not UTF-8 (checked as they arrive). */
  | 'INVALID_UTF8'
  /** RFC 7692: the message inflates beyond `maxMessageSize`. */
  | 'INFLATED_TOO_BIG'
  /** RFC 7692 §8: the compressed data does not inflate. */
  | 'CORRUPT_COMPRESSED_DATA'
  /** §8.1: a compressed text message inflates to bytes that are not UTF-8. */
  | 'INFLATED_TEXT_NOT_UTF8';

export type FailureCauseType = FrameViolationType | PayloadViolationType;

/** A cause of failing the connection, found outside the machines (parser, data plane). */
export interface FailureCauseEvent {
  type: FailureCauseType;
}

/** Application calls (RFC 6455 §6.1 send, §5.5.2 ping, §5.5.3 pong, terminate): each a request the machines accept or refuse. */
export interface ApplicationRequestEvent {
  type: 'SEND_REQUESTED' | 'PING_REQUESTED' | 'PONG_REQUESTED' | 'TERMINATE_REQUESTED';
}

/** Events without fields. */
export interface BareEvent {
  type:
    /** The last payload byte of the current data frame has arrived. */
    | 'FRAME_END'
    /** A control frame's header has arrived (§5.5); it may sit between fragments. */
    | 'CONTROL_FRAME'
    | 'PING_FRAME'
    | 'PONG_FRAME'
    /** The client role: the opening handshake's request is sent (§4.1); the server's response is awaited. */
    | 'CLIENT_HANDSHAKE_SENT'
    /** The client role: no response to the opening handshake within `handshakeTimeout`. */
    | 'RESPONSE_TIMEOUT'
    /** The server's application refused a request left to it (`verifyClient`, a closing server, `handleProtocols`' mistake). */
    | 'APPLICATION_REFUSED'
    /** `acceptHandshake` sent the 101: the connection is open (for the machines that did not decide it). */
    | 'CONNECTION_OPENED'
    /** `failConnection` ran: a machine failed the connection (§7.1.7); the others follow. */
    | 'CONNECTION_FAILED'
    /** The peer never finished the closing handshake or never closed TCP in time. */
    | 'CLOSE_TIMEOUT'
    /**
     * The complete upgrade request waited longer than `handshakeTimeoutMs` for the server's decision
     * (an asynchronous `verifyClient` that did not answer in time).
     */
    | 'HANDSHAKE_TIMEOUT'
    /** The I/O layer's heartbeat found the connection idle for a heartbeat interval (no byte from the peer). */
    | 'HEARTBEAT_DUE'
    /** Neither the Pong to the heartbeat's Ping nor any other byte arrived before the deadline. */
    | 'PONG_TIMEOUT'
    /** The peer keeps sending Pings while not reading: more Pongs than the I/O layer's bound wait unread. */
    | 'PONGS_UNREAD'
    /** The application's sends left more than `maxBufferedAmount` bytes waiting for a peer that does not read. */
    | 'BUFFERED_AMOUNT_EXCEEDED'
    /** The peer ended its side of the TCP connection (FIN received). */
    | 'TCP_END'
    /** The TCP connection is gone, for whatever reason. */
    | 'TCP_CLOSED';
}

export type ProtocolEvent =
  | HandshakeRequestEvent
  | ApplicationAcceptedEvent
  | HandshakeResponseEvent
  | DataFrameEvent
  | CloseFrameEvent
  | CloseRequestedEvent
  | FailureCauseEvent
  | ApplicationRequestEvent
  | BareEvent;

export type ProtocolEventType = ProtocolEvent['type'];

/** Every failure cause found outside the machines, in a stable order. */
export const FAILURE_CAUSE_TYPES: readonly FailureCauseType[] = [
  'RSV1_NOT_ALLOWED',
  'RSV2_OR_RSV3_SET',
  'RESERVED_OPCODE',
  'FRAGMENTED_CONTROL_FRAME',
  'CONTROL_FRAME_TOO_LONG',
  'UNMASKED_FRAME',
  'MASKED_FRAME',
  'INVALID_PAYLOAD_LENGTH',
  'UNSUPPORTED_PAYLOAD_LENGTH',
  'MESSAGE_TOO_BIG',
  'INVALID_UTF8',
  'INFLATED_TOO_BIG',
  'CORRUPT_COMPRESSED_DATA',
  'INFLATED_TEXT_NOT_UTF8',
];
