/**
 * The sample events that path generation hands to `createTestModel`, one list per machine, with
 * payloads chosen so that every guard of the machine takes each of its branches, and a few more
 * so that the same branch is reached by the wire inputs servers are known to treat differently
 * (close codes 1012–1014, each reserved range).
 *
 * Each sample says everything the wire adapter (wire-adapter.ts) needs to turn it into bytes: a
 * Close frame's body follows from `payloadLength`, `code` and `reasonIsUtf8`; a handshake from its
 * method, version and headers; a failure cause from its type (failureCauseDescriptions).
 */
import type {
  CloseFrameEvent,
  DataFrameEvent,
  FailureCauseType,
  HandshakeRequestEvent,
  HandshakeResponseEvent,
  ProtocolEvent,
} from '../../machines/protocol-events.js';
import { FAILURE_CAUSE_TYPES } from '../../machines/protocol-events.js';

export type MachineId = 'connection' | 'message' | 'closingHandshake';

/** The machines in the order the protocol core steps them. */
export const MACHINE_IDS: readonly MachineId[] = ['connection', 'message', 'closingHandshake'];

/**
 * Branches no wire step can take, left out of generated paths and of coverage: the application's
 * `send`, `ping`, `pong` and `terminate` (an echo server makes sends only from its deliveries,
 * which the conformance paths check), and a `close()` before the opening handshake completed (the
 * application has no connection then). test/connection-protocol.test.ts takes each of them. The
 * heartbeat's HEARTBEAT_DUE and PONG_TIMEOUT come from a timer the conformance server does not
 * run (heartbeats are off by default): test/heartbeat.test.ts takes them in process and over TCP;
 * PONGS_UNREAD needs megabytes of unread Pongs: test/application-input.test.ts takes it over TCP;
 * BUFFERED_AMOUNT_EXCEEDED needs an application that sends: test/buffered-amount.test.ts.
 * HANDSHAKE_TIMEOUT needs an application that never decides, and the limits' refusals (431, 403,
 * 503) a server configured with them: test/handshake-limits.test.ts takes each in process and
 * over TCP. The application's say (`awaitingApplication`: APPLICATION_ACCEPTED, APPLICATION_REFUSED)
 * needs a server with `verifyClient`, and a resource not served one with `path`:
 * test/application-decision.test.ts takes each in process and over TCP.
 */
export function isInProcessOnly(machineId: MachineId, source: string, eventType: string, guard?: string): boolean {
  if (eventType === 'HANDSHAKE_TIMEOUT') return true;
  if (guard !== undefined && (LIMIT_GUARDS.has(guard) || APPLICATION_GUARDS.has(guard))) return true;
  if (eventType === 'APPLICATION_ACCEPTED' || eventType === 'APPLICATION_REFUSED') return true;
  if (eventType === 'SEND_REQUESTED' || eventType === 'PING_REQUESTED' || eventType === 'PONG_REQUESTED' || eventType === 'TERMINATE_REQUESTED') {
    return true;
  }
  if (eventType === 'HEARTBEAT_DUE' || eventType === 'PONG_TIMEOUT' || eventType === 'PONGS_UNREAD' || eventType === 'BUFFERED_AMOUNT_EXCEEDED') {
    return true;
  }
  return machineId === 'closingHandshake' && source === 'connecting' && eventType === 'CLOSE_REQUESTED';
}

/**
 * The connection machine's state reached only through in-process-only branches (a server with
 * `verifyClient`): test/application-decision.test.ts takes it and each of its branches.
 */
export function isInProcessOnlyState(state: string): boolean {
  return state === 'awaitingApplication';
}

/** The events only a client connection hears (the server's response, the mask rule of §5.1 for clients). */
const CLIENT_ROLE_EVENTS: ReadonlySet<string> = new Set(['CLIENT_HANDSHAKE_SENT', 'HANDSHAKE_RESPONSE', 'RESPONSE_TIMEOUT', 'MASKED_FRAME']);

/** A state only a client connection is in (`requestSent`, the closing-handshake machine's `client.*`). */
export function isClientRoleState(state: string): boolean {
  return state === 'requestSent' || state === 'client' || state.startsWith('client.');
}

/**
 * Branches of the client role: a server cannot be driven into them over the wire, so their
 * paths (`<machine>.client-<generator>.<nn>`) run on the machines and the compiled tables only;
 * test/client-*.test.ts takes them over TCP with the client against hand-written servers.
 */
export function isClientRole(source: string, eventType: string): boolean {
  return CLIENT_ROLE_EVENTS.has(eventType) || isClientRoleState(source);
}

/** The connection machine's HANDSHAKE_REQUEST guards on the server's limits (handshake-limits.ts). */
const LIMIT_GUARDS = new Set(['hasHeaderFieldsTooLarge', 'isOriginNotAllowed', 'isOverConnectionLimit']);

/** The connection machine's HANDSHAKE_REQUEST guards on the server's application (its resources, its hooks). */
const APPLICATION_GUARDS = new Set(['isResourceNotServed', 'isForTheApplicationToDecide']);

/** What each failure cause is on the wire (wire-adapter.ts sends it), for reports. */
export const failureCauseDescriptions: Record<FailureCauseType, string> = {
  RSV1_NOT_ALLOWED: 'a Ping with RSV1 set',
  RSV2_OR_RSV3_SET: 'a text frame with RSV2 set',
  RESERVED_OPCODE: 'a frame with the reserved opcode 0x3',
  FRAGMENTED_CONTROL_FRAME: 'a Ping with FIN clear',
  CONTROL_FRAME_TOO_LONG: 'a Ping with a 126-byte payload',
  UNMASKED_FRAME: 'an unmasked frame',
  MASKED_FRAME: 'a masked frame from the server (the client role)',
  INVALID_PAYLOAD_LENGTH: 'a 64-bit length with its top bit set',
  UNSUPPORTED_PAYLOAD_LENGTH: 'a 64-bit length of 2^53',
  MESSAGE_TOO_BIG: 'a binary frame announcing 2^40 bytes',
  INVALID_UTF8: 'a text message that is not UTF-8',
  INFLATED_TOO_BIG: 'a compressed message inflating past the message size limit',
  CORRUPT_COMPRESSED_DATA: 'a compressed text message that does not inflate',
  INFLATED_TEXT_NOT_UTF8: 'a compressed text message inflating to non-UTF-8',
};

/**
 * The request headers of a valid opening handshake (RFC 6455 §4.1). The wire adapter replaces the
 * placeholder `host` with the target's host and port.
 */
export const VALID_HANDSHAKE_HEADERS = {
  host: 'statesocket.test',
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
} as const;

function handshake(
  method: string,
  headerChanges: Record<string, string>,
  perMessageDeflateAgreed: boolean,
  subprotocol?: string,
): HandshakeRequestEvent {
  return {
    type: 'HANDSHAKE_REQUEST',
    method,
    httpVersion: '1.1',
    headers: { ...VALID_HANDSHAKE_HEADERS, ...headerChanges },
    perMessageDeflateAgreed,
    ...(subprotocol === undefined ? {} : { subprotocol }),
  };
}

/** RFC 6455 §4.1: two subprotocols, in the client's order of preference; the server chooses the first. */
const SUBPROTOCOL_OFFER = { 'sec-websocket-protocol': 'chat.v2, chat.v1' };

/** The handshake that opens a connection with permessage-deflate (the message machine's start). */
export const OPEN_WITH_DEFLATE = handshake('GET', {}, true);
/** The handshake that opens a connection without extensions (the closing-handshake machine's start). */
export const OPEN_PLAIN = handshake('GET', {}, false);

/** Every branch of the connection machine's HANDSHAKE_REQUEST. */
const handshakeRequests: HandshakeRequestEvent[] = [
  handshake('POST', {}, false),
  handshake('GET', { upgrade: 'h2c' }, false),
  handshake('GET', { 'sec-websocket-version': '8' }, false),
  handshake('GET', { 'sec-websocket-key': 'c2hvcnQ=' }, false),
  OPEN_WITH_DEFLATE,
  OPEN_PLAIN,
  handshake('GET', SUBPROTOCOL_OFFER, true, 'chat.v2'),
  handshake('GET', SUBPROTOCOL_OFFER, false, 'chat.v2'),
];

/** The client role: the key of the sample responses (RFC 6455 §1.3's example) and its accept value. */
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function handshakeResponse(
  status: number,
  headerChanges: Record<string, string | undefined>,
  extensions: HandshakeResponseEvent['extensions'] = 'none',
  offeredSubprotocols: readonly string[] = ['chat.v2', 'chat.v1'],
): HandshakeResponseEvent {
  const headers: Record<string, string> = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': SAMPLE_ACCEPT };
  for (const [name, value] of Object.entries(headerChanges)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { type: 'HANDSHAKE_RESPONSE', status, headers, expectedAccept: SAMPLE_ACCEPT, offeredSubprotocols, extensions };
}

/** Every branch of the connection machine's HANDSHAKE_RESPONSE (the client role, RFC 6455 §4.1). */
const handshakeResponses: HandshakeResponseEvent[] = [
  handshakeResponse(404, {}),
  handshakeResponse(101, { upgrade: undefined }),
  handshakeResponse(101, { connection: 'keep-alive' }),
  handshakeResponse(101, { 'sec-websocket-accept': 'dGhlIHNhbXBsZSBub25jZQ==' }),
  handshakeResponse(101, { 'sec-websocket-extensions': 'x-webkit-deflate-frame' }, 'notOffered'),
  handshakeResponse(101, { 'sec-websocket-extensions': 'permessage-deflate; x=1' }, 'invalidParameters'),
  handshakeResponse(101, { 'sec-websocket-protocol': 'chat.v3' }),
  handshakeResponse(101, { 'sec-websocket-protocol': 'chat.v1', 'sec-websocket-extensions': 'permessage-deflate' }, 'agreed'),
  handshakeResponse(101, { 'sec-websocket-extensions': 'permessage-deflate' }, 'agreed'),
  handshakeResponse(101, { 'sec-websocket-protocol': 'chat.v1' }),
  handshakeResponse(101, {}),
];

function closeFrame(payloadLength: number, code: number, reasonIsUtf8 = true): CloseFrameEvent {
  return { type: 'CLOSE_FRAME', payloadLength, code, reasonIsUtf8 };
}

/** A Close 1000 with the reason "bye": the ordinary close. */
const NORMAL_CLOSE = closeFrame(5, 1000);

/** Every branch of the closing-handshake machine's CLOSE_FRAME, and each code range of RFC 6455 §7.4. */
const closeFrames: CloseFrameEvent[] = [
  closeFrame(0, 0),
  closeFrame(1, 0),
  // §7.4.1/§7.4.2: codes an endpoint must not send.
  ...[999, 1004, 1005, 1006, 1015, 1016, 2999, 5000].map((code) => closeFrame(2, code)),
  closeFrame(4, 5000, false),
  closeFrame(6, 1000, false),
  NORMAL_CLOSE,
  // §7.4.1 and the IANA registry (1012–1014), §7.4.2 (3000–4999).
  ...[1001, 1012, 1013, 1014, 3000, 4999].map((code) => closeFrame(2, code)),
];

function dataFrames(): DataFrameEvent[] {
  const frames: DataFrameEvent[] = [];
  for (const type of ['TEXT_FRAME', 'BINARY_FRAME', 'CONTINUATION_FRAME'] as const) {
    for (const fin of [true, false]) for (const rsv1 of [false, true]) frames.push({ type, fin, rsv1 });
  }
  return frames;
}

/** The sample events of each machine: only the event types the machine declares. */
export const machineSamples: Record<MachineId, readonly ProtocolEvent[]> = {
  connection: [
    ...handshakeRequests,
    { type: 'CLIENT_HANDSHAKE_SENT' },
    ...handshakeResponses,
    { type: 'RESPONSE_TIMEOUT' },
    { type: 'TCP_CLOSED' },
    // The server's own close first: CLOSING is then reached with frames still read, so that the
    // failure causes in CLOSING are paths a wire can take.
    { type: 'CLOSE_REQUESTED', code: 1000 },
    NORMAL_CLOSE,
    ...FAILURE_CAUSE_TYPES.map((type) => ({ type })),
    { type: 'CONNECTION_FAILED' },
    { type: 'TCP_END' },
  ],
  message: [...dataFrames(), { type: 'FRAME_END' }, { type: 'CONTROL_FRAME' }],
  closingHandshake: [
    { type: 'CLIENT_HANDSHAKE_SENT' },
    { type: 'CONNECTION_OPENED' },
    { type: 'PING_FRAME' },
    { type: 'PONG_FRAME' },
    ...closeFrames,
    { type: 'CONNECTION_FAILED' },
    { type: 'CLOSE_REQUESTED', code: 1000 },
    { type: 'TCP_END' },
    { type: 'TCP_CLOSED' },
    { type: 'CLOSE_TIMEOUT' },
    { type: 'HEARTBEAT_DUE' },
    { type: 'PONG_TIMEOUT' },
    { type: 'PONGS_UNREAD' },
    { type: 'BUFFERED_AMOUNT_EXCEEDED' },
  ],
};

/**
 * The handshake a path of this machine starts with when the machine does not take
 * HANDSHAKE_REQUEST itself: the message machine's paths need permessage-deflate (RSV1), the
 * closing-handshake machine's need it off (so that RSV1 is a protocol error).
 */
export const openingHandshakeOf: Record<MachineId, HandshakeRequestEvent | undefined> = {
  connection: undefined,
  message: OPEN_WITH_DEFLATE,
  closingHandshake: OPEN_PLAIN,
};

/** A sample as one short phrase: `CLOSE_FRAME(1004)`, `TEXT_FRAME(fin, rsv1)`, `HANDSHAKE_REQUEST(POST)`. */
export function describeEvent(event: ProtocolEvent): string {
  switch (event.type) {
    case 'HANDSHAKE_REQUEST': {
      const headers = event.headers;
      const notes: string[] = [];
      if (event.method !== 'GET') notes.push(event.method);
      if (event.httpVersion !== '1.1') notes.push(`HTTP/${event.httpVersion}`);
      for (const [name, value] of Object.entries(headers)) {
        const valid = (VALID_HANDSHAKE_HEADERS as Record<string, string>)[name];
        if (name !== 'host' && value !== valid) notes.push(`${name}: ${String(value)}`);
      }
      if (event.perMessageDeflateAgreed) notes.push('permessage-deflate');
      if (event.subprotocol !== undefined) notes.push(`subprotocol ${event.subprotocol}`);
      if (event.resourceNotServed === true) notes.push(`resource ${event.url ?? '/'} not served`);
      if (event.applicationDecides === true) notes.push('the application decides');
      return `HANDSHAKE_REQUEST(${notes.length ? notes.join(', ') : 'valid'})`;
    }
    case 'TEXT_FRAME':
    case 'BINARY_FRAME':
    case 'CONTINUATION_FRAME':
      return `${event.type}(${[event.fin ? 'fin' : 'not fin', ...(event.rsv1 ? ['rsv1'] : [])].join(', ')})`;
    case 'CLOSE_FRAME': {
      if (event.payloadLength === 0) return 'CLOSE_FRAME(no body)';
      if (event.payloadLength === 1) return 'CLOSE_FRAME(1-byte body)';
      const reason = event.payloadLength === 2 ? '' : event.reasonIsUtf8 ? ', reason' : ', non-UTF-8 reason';
      return `CLOSE_FRAME(${event.code}${reason})`;
    }
    case 'CLOSE_REQUESTED':
      return `CLOSE_REQUESTED(${event.code})`;
    case 'APPLICATION_ACCEPTED': {
      const notes: string[] = [];
      if (event.perMessageDeflateAgreed) notes.push('permessage-deflate');
      if (event.subprotocol !== undefined) notes.push(`subprotocol ${event.subprotocol}`);
      if (event.connectionLimitReached === true) notes.push('connection limit reached');
      return `APPLICATION_ACCEPTED(${notes.length ? notes.join(', ') : 'plain'})`;
    }
    case 'HANDSHAKE_RESPONSE': {
      const notes: string[] = [];
      if (event.status !== 101) notes.push(String(event.status));
      const defaults: Record<string, string> = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': event.expectedAccept };
      for (const name of ['upgrade', 'connection', 'sec-websocket-accept']) {
        const value = event.headers[name];
        if (value === undefined) notes.push(`no ${name}`);
        else if (value !== defaults[name]) notes.push(name === 'sec-websocket-accept' ? 'wrong accept' : `${name}: ${String(value)}`);
      }
      if (event.extensions !== 'none') notes.push(`extensions ${event.extensions}`);
      const protocol = event.headers['sec-websocket-protocol'];
      if (protocol !== undefined) notes.push(`subprotocol ${String(protocol)}`);
      return `HANDSHAKE_RESPONSE(${notes.length ? notes.join(', ') : 'valid'})`;
    }
    default:
      return event.type;
  }
}
