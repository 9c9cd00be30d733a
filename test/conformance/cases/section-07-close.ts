/**
 * Autobahn|Testsuite section 7: the closing handshake (RFC 6455 §5.5.1, §7). The client
 * starts the close in every case. A valid Close is echoed with its code (an empty one with an
 * empty Close) and nothing the client sends after it is read; a Close whose body breaks
 * §5.5.1/§7.4 is refused by the closing-handshake machine's guards (1002, or 1007 for a reason
 * that is not UTF-8); a Close body over 125 octets is a header-level violation.
 */
import { Opcode, type CaseClient, type ConformanceCase, type ExpectedClose, type ExpectedPath, type FrameToSend } from '../case.js';
import { CLOSE_FRAME_STEP, clientClosePath, serverFailPath, textMessagePath, times, type CloseFrameStep } from '../expected-path.js';

/**
 * How the server takes the client's Close: by the closing-handshake machine's guard branch its
 * body falls in — echoed (`noBody`, `valid`; then the server drops TCP) or refused, failing the
 * connection (`oneOctetBody`, `invalidCode`, `reasonNotUtf8`) — or, when its payload is over
 * 125 octets, rejected at the frame header (`tooLong`): the machines never see it.
 */
type Outcome = keyof typeof CLOSE_FRAME_STEP | 'tooLong';

/** The machines' path, given the message machine's steps before the client's Close. */
function pathFor(outcome: Outcome, messageBefore?: string): ExpectedPath {
  if (outcome === 'tooLong') return serverFailPath('CONTROL_FRAME_TOO_LONG', { message: messageBefore });
  const closeFrame: CloseFrameStep = CLOSE_FRAME_STEP[outcome];
  return clientClosePath({ message: messageBefore }, closeFrame);
}

function closeFor(outcome: Outcome, closeCode: readonly number[]): ExpectedClose {
  return { closeCode, closedByClient: true, requireClean: outcome === 'noBody' || outcome === 'valid' };
}

/** A case whose only frame is the client's Close, sent by `sendClose`; the client waits a second for the server. */
function closeCase(
  id: string,
  title: string,
  sendClose: (client: CaseClient) => Promise<void>,
  outcome: Outcome,
  closeCode: readonly number[],
  informational = false,
): ConformanceCase {
  return {
    id,
    title,
    async script(client) {
      await sendClose(client);
      client.killAfter(1000);
    },
    expect: [[]],
    close: closeFor(outcome, closeCode),
    path: pathFor(outcome),
    ...(informational ? { informational } : {}),
  };
}

/** 7.1.2–7.1.5: frames the client sends after its Close are never read. */
function framesAfterClose(
  id: string,
  title: string,
  before: readonly FrameToSend[],
  after: readonly FrameToSend[],
  messageBefore?: string,
): ConformanceCase {
  return {
    id,
    title,
    async script(client) {
      for (const frame of before) await client.sendFrame(frame);
      await client.sendClose(1000);
      for (const frame of after) await client.sendFrame(frame);
      client.killAfter(1000);
    },
    expect: [[]],
    close: closeFor('valid', [1000]),
    path: pathFor('valid', messageBefore),
  };
}

/** 7.7.x: codes §7.4 allows in a Close frame; the server echoes them (1000 would do too). */
const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
/** 7.9.x: codes §7.4 reserves or leaves unused: below 1000, 1004–1006, 1016–2999. */
const invalidCodes = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

/** 7.5.1's reason: 'κόσμε', then ED A0 80 (an encoded UTF-16 surrogate, not valid UTF-8), then 'edited'. */
const reasonWithSurrogate = Uint8Array.of(
  0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5,
  0xed, 0xa0, 0x80,
  0x65, 0x64, 0x69, 0x74, 0x65, 0x64,
);

/** 7.1.6's first message: 256 KiB of a 10-character pattern, cut at the size. */
function bigPatternMessage(): string {
  const size = 256 * 1024;
  return 'BAsd7&jh23'.repeat(Math.ceil(size / 10)).slice(0, size);
}

export const cases: ConformanceCase[] = [
  {
    id: '7.1.1',
    title: 'a text message is echoed; the client then closes with 1000 and the server echoes the Close',
    async script(client) {
      await client.sendMessage(Opcode.text, 'Hello World!');
      client.killAfter(1000);
      await client.waitForMessages(1);
      await client.sendClose(1000);
    },
    expect: [[['message', 'Hello World!', false]]],
    close: closeFor('valid', [1000]),
    path: pathFor('valid', textMessagePath()),
  },
  framesAfterClose('7.1.2', 'a second, empty Close right after a Close 1000 is ignored', [], [{ opcode: Opcode.close }]),
  framesAfterClose('7.1.3', 'a Ping right after a Close 1000 gets no Pong', [], [{ opcode: Opcode.ping }]),
  framesAfterClose('7.1.4', 'a text message right after a Close 1000 is not echoed', [], [{ opcode: Opcode.text, payload: 'Hello World!' }]),
  framesAfterClose(
    '7.1.5',
    'a Close 1000 between the first and the last fragment of a text message ends the connection; the last fragment is not read',
    [{ opcode: Opcode.text, payload: 'fragment1', fin: false }],
    [{ opcode: Opcode.continuation, payload: 'fragment2' }],
    'TEXT_FRAME->text.fragment FRAME_END->text.awaitingContinuation',
  ),
  {
    id: '7.1.6',
    title: 'a 256 KiB text message, a short one, a Close 1000 and a Ping written back to back: the Close ends the connection after both echoes',
    async script(client) {
      await client.sendFrame({ opcode: Opcode.text, payload: bigPatternMessage() });
      await client.sendFrame({ opcode: Opcode.text, payload: 'Hello World!' });
      await client.sendClose(1000);
      await client.sendFrame({ opcode: Opcode.ping });
      client.killAfter(1000);
    },
    expect: [[['message', 'Hello World!', false]]],
    close: closeFor('valid', [1000]),
    // The Close is the last frame read: the Ping after it leaves no trace.
    path: pathFor('valid', times(2, textMessagePath())),
    informational: true,
  },
  closeCase('7.3.1', 'an empty Close (no code, no reason) is answered with an empty Close', (c) => c.sendClose(), 'noBody', [1000]),
  closeCase(
    '7.3.2',
    'a Close with a 1-octet body (half a status code) fails the connection with 1002',
    // No status code, one reason octet: Autobahn sends it as its own Close (the client starts the close).
    (c) => c.sendClose(undefined, 'a'),
    'oneOctetBody',
    [1002],
  ),
  closeCase('7.3.3', 'a Close with code 1000 and no reason is echoed', (c) => c.sendClose(1000), 'valid', [1000]),
  closeCase('7.3.4', 'a Close with code 1000 and a short reason is echoed', (c) => c.sendClose(1000, 'Hello World!'), 'valid', [1000]),
  closeCase(
    '7.3.5',
    'a Close with code 1000 and a 123-octet reason (a 125-octet body, the most a control frame holds) is echoed',
    (c) => c.sendClose(1000, '*'.repeat(123)),
    'valid',
    [1000],
  ),
  closeCase(
    '7.3.6',
    'a Close with code 1000 and a 124-octet reason (a 126-octet control frame) fails the connection with 1002',
    (c) => c.sendClose(1000, '*'.repeat(124)),
    'tooLong',
    [1002],
  ),
  closeCase(
    '7.5.1',
    'a Close whose reason is not valid UTF-8 fails the connection (1007, or 1002)',
    (c) => c.sendClose(1000, reasonWithSurrogate),
    'reasonNotUtf8',
    [1002, 1007],
  ),
  ...validCodes.map((code, i) =>
    closeCase(`7.7.${i + 1}`, `a Close with the allowed code ${code} is echoed with that code`, (c) => c.sendClose(code), 'valid', [
      ...new Set([1000, code]),
    ]),
  ),
  ...invalidCodes.map((code, i) =>
    closeCase(
      `7.9.${i + 1}`,
      `a Close with code ${code}, which no endpoint may send, fails the connection with 1002`,
      (c) => c.sendClose(code),
      'invalidCode',
      [1002],
    ),
  ),
  // RFC 6455 leaves codes of 5000 and above undefined; we take them as invalid (1002).
  ...[5000, 65535].map((code, i) =>
    closeCase(
      `7.13.${i + 1}`,
      `a Close with code ${code}, beyond every range §7.4.2 defines, fails the connection with 1002`,
      (c) => c.sendClose(code),
      'invalidCode',
      [1000, code, 1002],
      true,
    ),
  ),
];
