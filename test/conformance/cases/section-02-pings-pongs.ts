/**
 * Autobahn|Testsuite section 2: Pings and Pongs (RFC 6455 §5.5.2, §5.5.3). Every Ping gets a
 * Pong with the Ping's payload, also when the Ping arrives one octet at a time; a Ping over
 * 125 octets breaks §5.5 ("All control frames MUST have a payload length of 125 bytes or less")
 * and fails the connection with 1002; an unsolicited Pong gets no answer.
 */
import { Opcode, type CaseClient, type ConformanceCase, type ExpectedClose, type ExpectedEvent } from '../case.js';
import { clientClosePath, controlFramePath, pingPath, pongPath, serverFailPath, steps, times } from '../expected-path.js';
import { sameEvent } from '../grade.js';

const closedByClientNormally: ExpectedClose = { closeCode: [1000], closedByClient: true, requireClean: true };

const octetsFe = (length: number) => new Uint8Array(length).fill(0xfe);
/** A payload that is not UTF-8: 00 ff fe fd fc fb 00 ff. */
const nonUtf8 = Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff);
const unsolicitedPong = 'unsolicited pong payload';

/**
 * Autobahn's client starts the closing handshake once it has received exactly the Pongs the
 * case expects; without them, its `closeAfter` timer sends the Close instead.
 */
async function closeOncePonged(client: CaseClient, expected: readonly ExpectedEvent[]): Promise<void> {
  await client.waitForPongs(expected.length);
  const matches = client.received.length === expected.length && client.received.every((event, i) => sameEvent(event, expected[i]!));
  if (matches) await client.sendClose(1000);
}

/**
 * Pings sent one after the other (after an optional unsolicited Pong), each answered by a
 * Pong with its payload; the client closes once all Pongs are back, or after `closeAfterMs`.
 */
function pingCase(
  id: string,
  title: string,
  pings: readonly (string | Uint8Array)[],
  options: { chopSize?: number; closeAfterMs?: number; pongFirst?: string } = {},
): ConformanceCase {
  const expected: ExpectedEvent[] = pings.map((payload) => ['pong', payload]);
  const { chopSize, closeAfterMs = 1000, pongFirst } = options;
  return {
    id,
    title,
    async script(client) {
      if (pongFirst !== undefined) await client.sendFrame({ opcode: Opcode.pong, payload: pongFirst });
      for (const payload of pings) {
        await client.sendFrame({ opcode: Opcode.ping, payload, ...(chopSize === undefined ? {} : { chopSize }) });
      }
      client.closeAfter(closeAfterMs);
      await closeOncePonged(client, expected);
    },
    expect: [expected],
    close: closedByClientNormally,
    path: clientClosePath({
      message: times((pongFirst === undefined ? 0 : 1) + pings.length, controlFramePath()),
      closingHandshake: steps(pongFirst === undefined ? '' : pongPath(), times(pings.length, pingPath())),
    }),
  };
}

/** An unsolicited Pong, then the client's Close right away: nothing comes back but the Close. */
function unsolicitedPongCase(id: string, title: string, payload: string): ConformanceCase {
  return {
    id,
    title,
    async script(client) {
      await client.sendFrame({ opcode: Opcode.pong, payload });
      await client.sendClose(1000);
      client.closeAfter(1000);
    },
    expect: [[]],
    close: closedByClientNormally,
    path: clientClosePath({ message: controlFramePath(), closingHandshake: pongPath() }),
  };
}

const tenPayloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);

export const cases: ConformanceCase[] = [
  pingCase('2.1', 'a Ping with no payload gets an empty Pong', ['']),
  pingCase('2.2', 'a Ping with a short text payload gets a Pong with that payload', ['Hello, world!']),
  pingCase('2.3', 'a Ping whose payload is not UTF-8 gets a Pong with that payload', [nonUtf8]),
  pingCase('2.4', 'a Ping with 125 payload octets, the most a control frame holds, gets a Pong with that payload', [octetsFe(125)]),
  {
    id: '2.5',
    title: 'a Ping with 126 payload octets is over the control frame limit and fails the connection with 1002',
    async script(client) {
      await client.sendFrame({ opcode: Opcode.ping, payload: octetsFe(126) });
      client.killAfter(1000);
    },
    expect: [[]],
    close: { closeCode: [1002], closedByClient: false, requireClean: false },
    // The length is checked in the frame header: the machines never see the Ping.
    path: serverFailPath('CONTROL_FRAME_TOO_LONG'),
  },
  pingCase('2.6', 'a Ping with 125 payload octets, written to TCP one octet at a time, gets a Pong with that payload', [octetsFe(125)], {
    chopSize: 1,
    closeAfterMs: 2000,
  }),
  unsolicitedPongCase('2.7', 'an unsolicited Pong with no payload gets no answer', ''),
  unsolicitedPongCase('2.8', 'an unsolicited Pong with a payload gets no answer', unsolicitedPong),
  pingCase('2.9', 'an unsolicited Pong gets no answer; the Ping after it gets its Pong', ['ping payload'], {
    pongFirst: unsolicitedPong,
  }),
  pingCase('2.10', 'ten Pings sent back to back get ten Pongs, in order, with their payloads', tenPayloads, {
    closeAfterMs: 3000,
  }),
  pingCase(
    '2.11',
    'ten Pings, each written to TCP one octet at a time, get ten Pongs, in order, with their payloads',
    tenPayloads,
    { chopSize: 1, closeAfterMs: 3000 },
  ),
];
