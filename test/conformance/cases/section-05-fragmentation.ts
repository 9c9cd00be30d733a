/**
 * Autobahn|Testsuite section 5: fragmentation (RFC 6455 §5.4). Control frames must not be
 * fragmented (a header-level violation); a continuation frame needs a message to continue and
 * a new data frame must not start while one is in progress (message-machine errors); control
 * frames may sit between the fragments of a message.
 */
import { Opcode, type CaseClient, type ConformanceCase, type ExpectedClose, type ExpectedEvent, type FrameToSend } from '../case.js';
import { clientClosePath, controlFramePath, pingPath, serverFailPath, steps, times } from '../expected-path.js';

/** How a case hands its frames to TCP: all at once, one flushed frame at a time, or one octet at a time. */
type Delivery = 'whole' | 'per-frame' | 'per-octet';

const deliveryTitle: Record<Delivery, string> = {
  whole: 'written in one go',
  'per-frame': 'each frame flushed on its own',
  'per-octet': 'sent one octet at a time',
};

async function sendAll(client: CaseClient, frames: readonly FrameToSend[], delivery: Delivery): Promise<void> {
  for (const frame of frames) {
    if (delivery === 'per-frame') await client.sendFrame({ ...frame, sync: true });
    else if (delivery === 'per-octet') await client.sendFrame({ ...frame, chopSize: 1 });
    else await client.sendFrame(frame);
  }
}

// Message-machine steps of a text frame: its header, then the end of its payload.
const frameEnd = (fin: boolean) => `FRAME_END->${fin ? 'awaitingMessage' : 'text.awaitingContinuation'}`;
const firstTextFrame = (fin: boolean) => `TEXT_FRAME->text.${fin ? 'finalFrame' : 'fragment'} ${frameEnd(fin)}`;
const continuation = (fin: boolean) => `CONTINUATION_FRAME->text.${fin ? 'finalFrame' : 'fragment'} ${frameEnd(fin)}`;
/** A Ping between fragments: the message machine waits on for the next fragment. */
const pingBetweenFragments = controlFramePath('text.awaitingContinuation');
const UNEXPECTED_CONTINUATION = 'CONTINUATION_FRAME->failed';

/** The client closes with 1000 after the echo; the server answers and drops TCP. */
const closedByClient: ExpectedClose = { closeCode: [1000], closedByClient: true, requireClean: true };
const failedWithProtocolError: ExpectedClose = { closeCode: [1002], closedByClient: false, requireClean: false };

/** A frame sequence the server must reject with 1002; the client gives it a second, then drops TCP. */
function rejected(
  id: string,
  title: string,
  frames: readonly FrameToSend[],
  delivery: Delivery,
  messagePath: string,
  expect: readonly ExpectedEvent[] = [],
  cause: 'CONNECTION_FAILED' | 'FRAGMENTED_CONTROL_FRAME' = 'CONNECTION_FAILED',
): ConformanceCase {
  return {
    id,
    title,
    async script(client) {
      await sendAll(client, frames, delivery);
      client.killAfter(1000);
    },
    expect: [expect],
    // An echo expected before the failure may be missing (the real suite's NON-STRICT, 5.15).
    ...(expect.length > 0 ? { nonStrict: [[]] } : {}),
    close: failedWithProtocolError,
    // The message machine fails the sequence (`->failed`; its failConnection raises CONNECTION_FAILED),
    // or the frame parser refuses a header (the cause is the connection machine's event).
    path: serverFailPath(cause, { message: messagePath }),
  };
}

/** 5.1, 5.2: a control frame with FIN clear is a header-level violation. */
function fragmentedControlFrame(id: string, name: string, opcode: number): ConformanceCase {
  const frames: FrameToSend[] = [
    { opcode, payload: 'fragment1', fin: false },
    { opcode: Opcode.continuation, payload: 'fragment2' },
  ];
  return rejected(id, `a ${name} split into two fragments fails the connection with 1002`, frames, 'whole', '', [], 'FRAGMENTED_CONTROL_FRAME');
}

/** 5.3–5.8: a text message in two fragments (optionally with a Ping between them) is echoed whole. */
function twoFragments(id: string, pingBetween: boolean, delivery: Delivery): ConformanceCase {
  const frames: FrameToSend[] = [
    { opcode: Opcode.text, payload: 'fragment1', fin: false },
    ...(pingBetween ? [{ opcode: Opcode.ping, payload: 'ping payload' }] : []),
    { opcode: Opcode.continuation, payload: 'fragment2' },
  ];
  const events: ExpectedEvent[] = [
    ...(pingBetween ? [['pong', 'ping payload'] as const] : []),
    ['message', 'fragment1fragment2', false],
  ];
  const message = steps(firstTextFrame(false), pingBetween ? pingBetweenFragments : undefined, continuation(true));
  return {
    id,
    title: `a text message in two fragments${pingBetween ? ' with a Ping between them' : ''}, ${deliveryTitle[delivery]}, is echoed whole${pingBetween ? ' after the Pong' : ''}`,
    async script(client) {
      await sendAll(client, frames, delivery);
      client.closeAfter(1000);
    },
    expect: [events],
    close: closedByClient,
    path: clientClosePath({ message, closingHandshake: pingBetween ? pingPath() : undefined }),
  };
}

/** 5.9–5.14: a continuation frame with no message in progress, then a valid text message that is never read. */
function nothingToContinue(id: string, fin: boolean, delivery: Delivery): ConformanceCase {
  const frames: FrameToSend[] = [
    { opcode: Opcode.continuation, payload: 'non-continuation payload', fin },
    { opcode: Opcode.text, payload: 'Hello, world!' },
  ];
  return rejected(
    id,
    `a continuation frame with FIN ${fin ? 'set' : 'clear'} and no message to continue, ${deliveryTitle[delivery]}, fails the connection with 1002`,
    frames,
    delivery,
    UNEXPECTED_CONTINUATION,
  );
}

/** 5.16, 5.17: twice over, a stray continuation frame then a text message in two fragments. */
function strayContinuationTwice(id: string, fin: boolean): ConformanceCase {
  const round: FrameToSend[] = [
    { opcode: Opcode.continuation, payload: 'fragment1', fin },
    { opcode: Opcode.text, payload: 'fragment2', fin: false },
    { opcode: Opcode.continuation, payload: 'fragment3' },
  ];
  return rejected(
    id,
    `a stray continuation frame with FIN ${fin ? 'set' : 'clear'} before a two-fragment text message, sent twice, fails the connection at the first frame`,
    [...round, ...round],
    'whole',
    UNEXPECTED_CONTINUATION,
  );
}

/** 5.19, 5.20: five fragments with a Ping after the second and the fourth, and a pause of a second after the first Ping. */
function fiveFragmentsWithPings(id: string, delivery: Delivery): ConformanceCase {
  const fragment = (n: number, fin = false): FrameToSend => ({
    opcode: n === 1 ? Opcode.text : Opcode.continuation,
    payload: `fragment${n}`,
    fin,
  });
  const ping = (n: number): FrameToSend => ({ opcode: Opcode.ping, payload: `pongme ${n}!` });
  return {
    id,
    title: `a text message in five fragments with a Ping after the 2nd and the 4th and a 1 s pause after the first Ping, ${deliveryTitle[delivery]}: each Ping is answered at once, the message is echoed whole`,
    async script(client) {
      await sendAll(client, [fragment(1), fragment(2), ping(1)], delivery);
      await client.sleep(1000);
      await sendAll(client, [fragment(3), fragment(4), ping(2), fragment(5, true)], delivery);
      client.closeAfter(1000);
    },
    expect: [
      [
        ['pong', 'pongme 1!'],
        ['pong', 'pongme 2!'],
        ['message', 'fragment1fragment2fragment3fragment4fragment5', false],
      ],
    ],
    close: closedByClient,
    path: clientClosePath({
      message: steps(
        firstTextFrame(false),
        continuation(false),
        pingBetweenFragments,
        continuation(false),
        continuation(false),
        pingBetweenFragments,
        continuation(true),
      ),
      closingHandshake: times(2, pingPath()),
    }),
  };
}

export const cases: ConformanceCase[] = [
  fragmentedControlFrame('5.1', 'Ping', Opcode.ping),
  fragmentedControlFrame('5.2', 'Pong', Opcode.pong),
  twoFragments('5.3', false, 'whole'),
  twoFragments('5.4', false, 'per-frame'),
  twoFragments('5.5', false, 'per-octet'),
  twoFragments('5.6', true, 'whole'),
  twoFragments('5.7', true, 'per-frame'),
  twoFragments('5.8', true, 'per-octet'),
  nothingToContinue('5.9', true, 'whole'),
  nothingToContinue('5.10', true, 'per-frame'),
  nothingToContinue('5.11', true, 'per-octet'),
  nothingToContinue('5.12', false, 'whole'),
  nothingToContinue('5.13', false, 'per-frame'),
  nothingToContinue('5.14', false, 'per-octet'),
  rejected(
    '5.15',
    'a two-fragment text message is echoed, then a continuation frame with nothing to continue fails the connection',
    [
      { opcode: Opcode.text, payload: 'fragment1', fin: false },
      { opcode: Opcode.continuation, payload: 'fragment2' },
      { opcode: Opcode.continuation, payload: 'fragment3', fin: false },
      { opcode: Opcode.text, payload: 'fragment4' },
    ],
    'whole',
    steps(firstTextFrame(false), continuation(true), UNEXPECTED_CONTINUATION),
    [['message', 'fragment1fragment2', false]],
  ),
  strayContinuationTwice('5.16', false),
  strayContinuationTwice('5.17', true),
  rejected(
    '5.18',
    'a text fragment followed by another text frame instead of a continuation fails the connection with 1002',
    [
      { opcode: Opcode.text, payload: 'fragment1', fin: false },
      { opcode: Opcode.text, payload: 'fragment2' },
    ],
    'whole',
    steps(firstTextFrame(false), 'TEXT_FRAME->failed'),
  ),
  fiveFragmentsWithPings('5.19', 'whole'),
  fiveFragmentsWithPings('5.20', 'per-frame'),
];
