/**
 * Autobahn|Testsuite section 1: framing. One text (1.1.x) or binary (1.2.x) message in a single
 * frame, at each edge of RFC 6455 §5.2's payload length encodings — 7 bits (0, 125), 16 bits
 * (126, 127, 128, 65535) and 64 bits (65536) — comes back as sent, also when the frame reaches
 * the server in 997-octet pieces (1.1.8, 1.2.8). The client then closes with 1000; the server
 * echoes the Close and drops TCP.
 */
import { Opcode, type CaseClient, type ConformanceCase, type ExpectedEvent } from '../case.js';
import { binaryMessagePath, clientClosePath, textMessagePath } from '../expected-path.js';
import { sameEvent } from '../grade.js';

type MessageKind = 'text' | 'binary';

interface FramingRow {
  length: number;
  /** Write the encoded frame to TCP in pieces of this many octets. */
  chopSize?: number;
}

const rows: readonly FramingRow[] = [
  { length: 0 },
  { length: 125 },
  { length: 126 },
  { length: 127 },
  { length: 128 },
  { length: 65535 },
  { length: 65536 },
  { length: 65536, chopSize: 997 },
];

/** Text messages repeat '*', binary ones the octet 0xfe (not valid UTF-8 anywhere). */
function payloadOf(kind: MessageKind, length: number): string | Uint8Array {
  return kind === 'text' ? '*'.repeat(length) : new Uint8Array(length).fill(0xfe);
}

/** A text message whose octets must come back whole and as text; a binary one likewise as binary. */
function echoOf(kind: MessageKind, length: number): ExpectedEvent {
  return ['message', payloadOf(kind, length), kind === 'binary'];
}

/**
 * Autobahn's client starts the closing handshake once it has received exactly what the case
 * expects; a wrong echo gets no Close, and the client's guard timer ends the connection.
 */
async function closeOnceEchoed(client: CaseClient, expected: readonly ExpectedEvent[]): Promise<void> {
  await client.waitForMessages(expected.length);
  const matches = client.received.length === expected.length && client.received.every((event, i) => sameEvent(event, expected[i]!));
  if (matches) await client.sendClose(1000);
}

function framingCase(kind: MessageKind, index: number, { length, chopSize }: FramingRow): ConformanceCase {
  const group = kind === 'text' ? '1.1' : '1.2';
  const chopped = chopSize === undefined ? '' : `, written to TCP ${chopSize} octets at a time,`;
  return {
    id: `${group}.${index + 1}`,
    title: `a ${length}-octet ${kind} message in one frame${chopped} is echoed as sent`,
    async script(client) {
      await client.sendFrame({
        opcode: kind === 'text' ? Opcode.text : Opcode.binary,
        payload: payloadOf(kind, length),
        ...(chopSize === undefined ? {} : { chopSize }),
      });
      // Autobahn's guard: 1 s for the short messages, 10 s for the 64 KiB ones.
      client.killAfter(length >= 65535 ? 10_000 : 1000);
      await closeOnceEchoed(client, [echoOf(kind, length)]);
    },
    expect: [[echoOf(kind, length)]],
    close: { closeCode: [1000], closedByClient: true, requireClean: true },
    path: clientClosePath({ message: kind === 'text' ? textMessagePath() : binaryMessagePath() }),
  };
}

export const cases: ConformanceCase[] = [
  ...rows.map((row, i) => framingCase('text', i, row)),
  ...rows.map((row, i) => framingCase('binary', i, row)),
];
