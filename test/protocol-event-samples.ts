/**
 * fast-check arbitraries for every protocol event, with payloads chosen so that every guard of
 * every machine takes each of its branches.
 */
import fc from 'fast-check';
import type { ProtocolEvent } from '../machines/protocol-events.js';
import { CONSTANT_EVENT_TYPES } from '../src/frame-events.js';

const handshakeRequest = fc.record({
  type: fc.constant('HANDSHAKE_REQUEST' as const),
  method: fc.constantFrom('GET', 'POST', 'get'),
  httpVersion: fc.constantFrom('1.1', '1.0', '2.0'),
  perMessageDeflateAgreed: fc.boolean(),
  subprotocol: fc.constantFrom(undefined, 'chat.v1'),
  headers: fc.record(
    {
      host: fc.constantFrom('127.0.0.1:9001', ''),
      upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c', 'h2c, websocket'),
      connection: fc.constantFrom('Upgrade', 'keep-alive, upgrade', 'close'),
      'sec-websocket-key': fc.constantFrom('dGhlIHNhbXBsZSBub25jZQ==', 'short', 'dGhlIHNhbXBsZSBub25jZR=='),
      'sec-websocket-version': fc.constantFrom('13', '8', ''),
      'sec-websocket-protocol': fc.constantFrom('chat.v1', 'chat.v1, chat.v2', 'chat.v1,,', 'a b'),
    },
    { requiredKeys: [] },
  ),
});

/** The client role: the server's response, valid or broken in each way §4.1 names. */
const handshakeResponse = fc.record({
  type: fc.constant('HANDSHAKE_RESPONSE' as const),
  status: fc.constantFrom(101, 200, 404),
  expectedAccept: fc.constant('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='),
  offeredSubprotocols: fc.constantFrom([], ['chat.v1'], ['chat.v1', 'chat.v2']),
  extensions: fc.constantFrom('none' as const, 'agreed' as const, 'notOffered' as const, 'invalidParameters' as const),
  headers: fc.record(
    {
      upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c'),
      connection: fc.constantFrom('Upgrade', 'keep-alive, upgrade', 'close'),
      'sec-websocket-accept': fc.constantFrom('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'wrong'),
      'sec-websocket-protocol': fc.constantFrom('chat.v1', 'chat.v3'),
    },
    { requiredKeys: [] },
  ),
});

const dataFrame = fc.record({
  type: fc.constantFrom('TEXT_FRAME' as const, 'BINARY_FRAME' as const, 'CONTINUATION_FRAME' as const),
  fin: fc.boolean(),
  rsv1: fc.boolean(),
});

const closeFrame = fc.record({
  type: fc.constant('CLOSE_FRAME' as const),
  payloadLength: fc.constantFrom(0, 1, 2, 20, 125),
  code: fc.oneof(fc.constantFrom(999, 1000, 1001, 1004, 1005, 1006, 1007, 1012, 1014, 1015, 1016, 2999, 3000, 4999, 5000), fc.integer({ min: 0, max: 65535 })),
  reasonIsUtf8: fc.boolean(),
});

const bare = fc.constantFrom(
  ...CONSTANT_EVENT_TYPES.map(
    (type) => ({ type }) as ProtocolEvent,
  ),
);

export const protocolEvent: fc.Arbitrary<ProtocolEvent> = fc.oneof(
  handshakeRequest as fc.Arbitrary<ProtocolEvent>,
  handshakeResponse as fc.Arbitrary<ProtocolEvent>,
  dataFrame,
  closeFrame,
  bare,
  fc.record({ type: fc.constant('CLOSE_REQUESTED' as const), code: fc.constantFrom(1000, 1001, 4000) }),
);
