/**
 * Autobahn|Testsuite section 6: UTF-8 handling of text messages (RFC 6455 §5.6, §8.1).
 *
 * A text message of well-formed UTF-8 is echoed; one that is not fails the connection with
 * 1007 — as soon as the octets received can no longer begin well-formed UTF-8 (fail-fast), or
 * at the end of the message when it stops inside a sequence. Every case is a text message
 * described as data frames (octets plus FIN); its expected events, close and machine path
 * are derived from those frames and from where the octets stop being valid.
 */
import { randomBytes } from 'node:crypto';
import {
  Opcode,
  type CaseClient,
  type ConformanceCase,
  type ExpectedClose,
  type ExpectedPath,
} from '../case.js';
import { clientClosePath, serverFailPath, steps } from '../expected-path.js';
import { utf8VectorGroups } from './section-06-utf8-vectors.js';

/** One data frame of a text message: the first is sent as text, the rest as continuation. */
interface MessageFrame {
  payload: Uint8Array;
  fin: boolean;
}

function hexOctets(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function utf8Octets(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function concatOctets(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Where a fail-fast validator must reject `octets`: the offset of the first octet that cannot
 * continue well-formed UTF-8 (Unicode Table 3-7), `octets.length` when the octets end inside
 * a sequence, or undefined when they are well-formed.
 */
function utf8FailureOffset(octets: Uint8Array): number | undefined {
  let index = 0;
  while (index < octets.length) {
    const lead = octets[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let continuations: number;
    // The range of the first continuation octet; later ones are always 0x80–0xBF.
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuations = 1;
    else if (lead === 0xe0) [continuations, low] = [2, 0xa0]; // no overlong 3-octet forms
    else if (lead === 0xed) [continuations, high] = [2, 0x9f]; // no surrogates
    else if (lead >= 0xe1 && lead <= 0xef) continuations = 2;
    else if (lead === 0xf0) [continuations, low] = [3, 0x90]; // no overlong 4-octet forms
    else if (lead >= 0xf1 && lead <= 0xf3) continuations = 3;
    else if (lead === 0xf4) [continuations, high] = [3, 0x8f]; // nothing above U+10FFFF
    else return index; // 0x80–0xC1, 0xF5–0xFF never start a sequence
    for (let k = 1; k <= continuations; k += 1) {
      if (index + k >= octets.length) return octets.length;
      const octet = octets[index + k]!;
      if (octet < low || octet > high) return index + k;
      [low, high] = [0x80, 0xbf];
    }
    index += continuations + 1;
  }
  return undefined;
}

/**
 * The frame in which the server must fail a text message, or undefined when the message is
 * well-formed: the frame holding the first octet that cannot be valid, or the final frame when
 * the message ends inside a sequence.
 */
function failingFrame(frames: readonly MessageFrame[]): number | undefined {
  const offset = utf8FailureOffset(concatOctets(frames.map((frame) => frame.payload)));
  if (offset === undefined) return undefined;
  let start = 0;
  for (const [index, frame] of frames.entries()) {
    if (offset < start + frame.payload.length) return index;
    start += frame.payload.length;
  }
  return frames.length - 1;
}

/**
 * The path of a text message sent as `frames` and then either a Close from the client
 * (well-formed message) or a server that fails in frame `failsIn` — after that frame's header
 * and before its FRAME_END.
 */
function textMessagePath(frames: readonly MessageFrame[], failsIn: number | undefined): ExpectedPath {
  const messageSteps: string[] = [];
  for (const [index, frame] of frames.entries()) {
    const header = index === 0 ? 'TEXT_FRAME' : 'CONTINUATION_FRAME';
    messageSteps.push(`${header}->${frame.fin ? 'text.finalFrame' : 'text.fragment'}`);
    if (index === failsIn) break;
    messageSteps.push(`FRAME_END->${frame.fin ? 'awaitingMessage' : 'text.awaitingContinuation'}`);
  }
  const before = { message: steps(messageSteps) };
  return failsIn === undefined ? clientClosePath(before) : serverFailPath('INVALID_UTF8', before);
}

const echoedAndClosedByClient: ExpectedClose = { closeCode: [1000], closedByClient: true, requireClean: true };
const failedWithInvalidPayload: ExpectedClose = { closeCode: [1007], closedByClient: false, requireClean: false };

/** Send the frames of a text message back to back. */
async function sendTextFrames(client: CaseClient, frames: readonly MessageFrame[]): Promise<void> {
  for (const [index, frame] of frames.entries()) {
    await client.sendFrame({
      opcode: index === 0 ? Opcode.text : Opcode.continuation,
      payload: frame.payload,
      fin: frame.fin,
    });
  }
}

/**
 * Autobahn starts the closing handshake as soon as what it received matches what it expects:
 * here, once the echo of `text` (and nothing else) has arrived.
 */
async function closeOnceEchoed(client: CaseClient, text: string): Promise<void> {
  await client.waitForMessages(1);
  const messages = client.received.filter((event) => event[0] === 'message');
  if (client.received.length === 1 && messages.length === 1 && messages[0]![1] === text) {
    await client.sendClose(1000);
  }
}

/** Whether the pause `tag` ran out with the connection still open (Autobahn checks before going on). */
function pauseEndedOpen(client: CaseClient, tag: string): boolean {
  return client.received.some((event) => event[0] === 'timeout' && event[1] === tag);
}

/**
 * A text message sent as `frames` (a few octets: built at load), graded on the echo or on failing with 1007.
 * `guard` is Autobahn's timer after the last frame: a Close 1000 after 1 s ('closeAfter') or a
 * TCP drop ('killAfter', after `guardMs`).
 */
function textMessageCase(
  id: string,
  title: string,
  frames: readonly MessageFrame[],
  guard: 'closeAfter' | 'killAfter',
  guardMs: number,
): ConformanceCase {
  const failsIn = failingFrame(frames);
  const echoed = failsIn === undefined ? strictUtf8.decode(concatOctets(frames.map((f) => f.payload))) : undefined;
  return {
    id,
    title,
    async script(client) {
      await sendTextFrames(client, frames);
      if (guard === 'closeAfter') client.closeAfter(guardMs);
      else client.killAfter(guardMs);
      if (echoed !== undefined) await closeOnceEchoed(client, echoed);
    },
    expect: echoed === undefined ? [[]] : [[['message', echoed, false]]],
    close: echoed === undefined ? failedWithInvalidPayload : echoedAndClosedByClient,
    path: textMessagePath(frames, failsIn),
  };
}

/** A message as one frame per octet, then an empty final continuation frame (Autobahn's way). */
function oneFramePerOctet(octets: Uint8Array): MessageFrame[] {
  return [
    ...Array.from(octets, (octet) => ({ payload: Uint8Array.of(octet), fin: false })),
    { payload: new Uint8Array(0), fin: true },
  ];
}

const empty = new Uint8Array(0);
const helloMixed = 'Hello-µ@ßöäüàá-UTF-8!!';
const kosmeHex = 'cebae1bdb9cf83cebcceb5';
const kosme = hexOctets(kosmeHex);
/** κόσμε, then a lone high surrogate (ED A0 80), then "edited". */
const kosmeSurrogateEdited = hexOctets(`${kosmeHex}eda080656469746564`);

const fragmentationCases: ConformanceCase[] = [
  textMessageCase('6.1.1', 'echoes an empty text message', [{ payload: empty, fin: true }], 'closeAfter', 1000),
  textMessageCase(
    '6.1.2',
    'echoes an empty text message sent as three empty fragments',
    [
      { payload: empty, fin: false },
      { payload: empty, fin: false },
      { payload: empty, fin: true },
    ],
    'closeAfter',
    1000,
  ),
  textMessageCase(
    '6.1.3',
    'echoes a text message whose only payload is in the middle of three fragments',
    [
      { payload: empty, fin: false },
      { payload: utf8Octets('middle frame payload'), fin: false },
      { payload: empty, fin: true },
    ],
    'closeAfter',
    1000,
  ),
  textMessageCase(
    '6.2.1',
    'echoes a text message of mixed 1- and 2-octet code points in one frame',
    [{ payload: utf8Octets(helloMixed), fin: true }],
    'closeAfter',
    1000,
  ),
  textMessageCase(
    '6.2.2',
    'echoes a text message of mixed code points split into two fragments at a code point boundary',
    [
      { payload: utf8Octets('Hello-µ@ßöä'), fin: false },
      { payload: utf8Octets('üàá-UTF-8!!'), fin: true },
    ],
    'closeAfter',
    1000,
  ),
  textMessageCase(
    '6.2.3',
    'echoes a text message of mixed code points sent one octet per fragment, splitting 2-octet code points',
    oneFramePerOctet(utf8Octets(helloMixed)),
    'closeAfter',
    1000,
  ),
  textMessageCase(
    '6.2.4',
    'echoes "κόσμε" sent one octet per fragment, splitting 2- and 3-octet code points',
    oneFramePerOctet(kosme),
    'closeAfter',
    1000,
  ),
  textMessageCase(
    '6.3.1',
    'fails with 1007 on a text message in one frame holding an encoded UTF-16 surrogate',
    [{ payload: kosmeSurrogateEdited, fin: true }],
    'killAfter',
    1000,
  ),
  textMessageCase(
    '6.3.2',
    'fails with 1007 in the fragment where an encoded surrogate appears, the message sent one octet per fragment',
    oneFramePerOctet(kosmeSurrogateEdited),
    'killAfter',
    1000,
  ),
];

/**
 * Cases 6.4.x: a text message in three parts with a 1 s pause after the first and the second.
 * The second part makes the octets invalid, so the server must fail the connection before the
 * second pause ends: the only event is the end of the first pause ('A'). The parts go either
 * as three data frames ('frames') or as three chops of one text frame with FIN clear, which an
 * empty final continuation frame follows ('chops').
 */
function failFastCase(id: string, title: string, partsHex: readonly [string, string, string], mode: 'frames' | 'chops'): ConformanceCase {
  const parts = partsHex.map(hexOctets);
  // The frames the server sees, for the path.
  const frames: MessageFrame[] =
    mode === 'frames'
      ? parts.map((payload, index) => ({ payload, fin: index === parts.length - 1 }))
      : [
          { payload: concatOctets(parts), fin: false },
          { payload: empty, fin: true },
        ];
  return {
    id,
    title,
    async script(client) {
      let sendPart: (index: number) => Promise<void>;
      if (mode === 'frames') {
        sendPart = (index) =>
          client.sendFrame({
            opcode: index === 0 ? Opcode.text : Opcode.continuation,
            payload: parts[index]!,
            fin: index === parts.length - 1,
          });
      } else {
        const [header, ...chops] = frameInChops(Opcode.text, false, parts, client.masksFrames);
        sendPart = async (index) => {
          if (index === 0) await client.sendRaw(header!);
          await client.sendRaw(chops[index]!);
          if (index === chops.length - 1) await client.sendFrame({ opcode: Opcode.continuation, payload: empty, fin: true });
        };
      }
      await sendPart(0);
      await client.sleep(1000, 'A');
      if (!pauseEndedOpen(client, 'A')) return;
      await sendPart(1);
      await client.sleep(1000, 'B');
      if (!pauseEndedOpen(client, 'B')) return;
      await sendPart(2);
      client.killAfter(1000);
    },
    expect: [[['timeout', 'A']]],
    // UTF-8 checked only once the message is complete: the connection fails after the second pause.
    nonStrict: [[['timeout', 'A'], ['timeout', 'B']]],
    close: failedWithInvalidPayload,
    path: textMessagePath(frames, failingFrame(frames)),
  };
}

/**
 * One frame (payload ≤ 125 octets), encoded — masked when the sender is the client — cut into
 * its header (with the masking key, if any) and one chop per payload part.
 */
function frameInChops(opcode: number, fin: boolean, parts: readonly Uint8Array[], masked: boolean): Uint8Array[] {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  if (length > 125) throw new RangeError('frameInChops handles 7-bit payload lengths only');
  if (!masked) return [Uint8Array.of((fin ? 0x80 : 0) | opcode, length), ...parts];
  const maskingKey = new Uint8Array(randomBytes(4));
  const header = concatOctets([Uint8Array.of((fin ? 0x80 : 0) | opcode, 0x80 | length), maskingKey]);
  let offset = 0;
  const chops = parts.map((part) =>
    part.map((octet) => {
      const masked = octet ^ maskingKey[offset % 4]!;
      offset += 1;
      return masked;
    }),
  );
  return [header, ...chops];
}

const failFastCases: ConformanceCase[] = [
  failFastCase(
    '6.4.1',
    'fails fast with 1007 on the second of three fragments, which encodes U+110000 (beyond Unicode)',
    [kosmeHex, 'f4908080', '656469746564'],
    'frames',
  ),
  failFastCase(
    '6.4.2',
    'fails fast with 1007 on a one-octet second fragment that makes the pending F4 sequence exceed U+10FFFF',
    [`${kosmeHex}f4`, '90', '8080656469746564'],
    'frames',
  ),
  failFastCase(
    '6.4.3',
    'fails fast with 1007 on the second chop of one frame, which encodes U+110000, before the frame is complete',
    [kosmeHex, 'f4908080', '656469746564'],
    'chops',
  ),
  failFastCase(
    '6.4.4',
    'fails fast with 1007 on a one-octet second chop of one frame that makes the pending F4 sequence exceed U+10FFFF',
    [`${kosmeHex}f4`, '90', '8080656469746564'],
    'chops',
  ),
];

/** Cases 6.5.1–6.23.7: one sequence each, in a single text frame; the client drops TCP after 0.5 s. */
const vectorCases: ConformanceCase[] = utf8VectorGroups.flatMap((group) =>
  group.sequences.map((marked, index) => {
    const wellFormed = marked.startsWith('+');
    const hex = marked.slice(1);
    const octets = hexOctets(hex);
    const title = wellFormed
      ? `echoes well-formed UTF-8 0x${hex} (${group.about})`
      : `fails with 1007 on ill-formed UTF-8 0x${hex} (${group.about})`;
    const testCase = textMessageCase(`6.${group.subsection}.${index + 1}`, title, [{ payload: octets, fin: true }], 'killAfter', 500);
    // The table's mark and the validator that derives the path must agree.
    if (wellFormed !== (utf8FailureOffset(octets) === undefined)) {
      throw new Error(`case ${testCase.id}: 0x${hex} is marked ${wellFormed ? 'well-formed' : 'ill-formed'} but validates otherwise`);
    }
    return testCase;
  }),
);

export const cases: ConformanceCase[] = [...fragmentationCases, ...failFastCases, ...vectorCases];
