/**
 * Autobahn|Testsuite section 9: limits and performance. Large messages in one frame (9.1, 9.2),
 * a 4 MiB message in fragments of 64 B to 4 MiB (9.3, 9.4), a 1 MiB frame written to TCP in
 * chops of 64 B to 2 KiB (9.5, 9.6), and 1000 round trips of small messages (9.7, 9.8).
 *
 * Every case ends the same way: once the echo (or the last echo) is back, the client closes with
 * 1000 and the server answers and drops TCP. The server's message limit (64 MiB by default) is
 * above every size used here, so no case may fail the connection.
 *
 * Payloads reach 16 MiB and paths reach 130,000 steps, so both are built only when a case runs:
 * payloads inside `script`, paths in a getter. Echoes are checked against the repeating
 * pattern they were built from, one 64 KiB window at a time, without building a second copy.
 */
import { setImmediate } from 'node:timers/promises';
import { Opcode } from '../case.js';
import type { CaseClient, ConformanceCase, ExpectedClose, ReceivedEvent } from '../case.js';
import { binaryMessagePath, clientClosePath, fragmentedMessagePath, textMessagePath, times } from '../expected-path.js';

const KiB = 1024;
const MiB = 1024 * KiB;

type MessageKind = 'text' | 'binary';

/** A message's content: `pattern` repeated (and cut) to `length` octets. */
interface RepeatedPayload {
  kind: MessageKind;
  pattern: Uint8Array;
  length: number;
}

// The patterns Autobahn's client repeats to fill its messages.
const mixedText = Buffer.from('BAsd7&jh23');
const mixedBinary = Buffer.from([0x00, 0xfe, 0x23, 0xfa, 0xf0]);
const asterisk = Buffer.from('*');
const byteFe = Buffer.from([0xfe]);

function buildPayload({ pattern, length }: RepeatedPayload): Buffer {
  return length === 0 ? Buffer.alloc(0) : Buffer.alloc(length, pattern);
}

function opcodeOf(kind: MessageKind): number {
  return kind === 'text' ? Opcode.text : Opcode.binary;
}

/** "64 KiB", "4 MiB", "16 B". */
function sizeLabel(octets: number): string {
  if (octets >= MiB && octets % MiB === 0) return `${octets / MiB} MiB`;
  if (octets >= KiB && octets % KiB === 0) return `${octets / KiB} KiB`;
  return `${octets} B`;
}

// ---------------------------------------------------------------------------------------------
// Checking echoes

/** The window echoes are compared in: about 64 KiB, a whole number of patterns so windows stay aligned. */
const COMPARE_WINDOW = 64 * KiB;

/**
 * A check of one echo against `payload`: undefined when it matches, else what differs. It
 * compares a window at a time against one window of the pattern (native comparisons, no copy of
 * the echo), so a 16 MiB echo takes milliseconds. Text is ASCII here: one char is one octet.
 */
function contentCheck(payload: RepeatedPayload): (data: string | Uint8Array) => string | undefined {
  const { pattern, length } = payload;
  const window = Buffer.alloc(Math.max(1, Math.floor(Math.min(length, COMPARE_WINDOW) / pattern.length)) * pattern.length, pattern);
  const windowText = window.toString('latin1');
  const unitAt = (data: string | Uint8Array, i: number) => (typeof data === 'string' ? data.charCodeAt(i) : data[i]);
  return (data) => {
    if (data.length !== length) return `${data.length} octets instead of ${length}`;
    for (let offset = 0; offset < length; offset += window.length) {
      const size = Math.min(window.length, length - offset);
      const same =
        typeof data === 'string'
          ? data.slice(offset, offset + size) === (size === window.length ? windowText : windowText.slice(0, size))
          : Buffer.compare(data.subarray(offset, offset + size), window.subarray(0, size)) === 0;
      if (same) continue;
      let i = 0;
      while (unitAt(data, offset + i) === window[i]) i++;
      return `content differs at offset ${offset + i}`;
    }
    return undefined;
  };
}

/** Accepts exactly `count` echoes of `payload`, nothing else, in order. */
function expectEchoes(count: number, payload: RepeatedPayload): ConformanceCase['expect'] {
  const isBinary = payload.kind === 'binary';
  return {
    checkEvents(received: readonly ReceivedEvent[]): string | undefined {
      const mismatchOf = contentCheck(payload);
      for (let i = 0; i < received.length && i < count; i++) {
        const event = received[i]!;
        if (event[0] !== 'message') return `event ${i + 1} is a ${event[0]}, expected the echo of message ${i + 1}`;
        if (event[2] !== isBinary) return `echo ${i + 1} is ${event[2] ? 'binary' : 'text'}, expected ${payload.kind}`;
        const mismatch = mismatchOf(event[1]);
        if (mismatch !== undefined) return `echo ${i + 1}: ${mismatch}`;
      }
      if (received.length !== count) return `received ${received.length} events, expected ${count} echoes`;
      return undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Expected paths and frames

/** One message in a single frame, as the message machine steps through it. */
function unfragmentedMessagePath(kind: MessageKind): string {
  return kind === 'text' ? textMessagePath() : binaryMessagePath();
}

/** Frames sent between two turns of the event loop (see sendInFragments). */
const FRAMES_PER_TURN = 512;

/**
 * Sends a message in frames of `fragmentSize` payload octets, cut the way Autobahn's client
 * cuts (and the client's `sendMessage` too): a message no longer than one fragment goes out
 * whole; otherwise fragments are cut until one would run past the end, so a message that is a
 * multiple of the fragment size ends with an empty final continuation frame.
 *
 * Unlike `sendMessage`, it lets the event loop turn every FRAMES_PER_TURN frames. Writes to a
 * socket with room complete without a turn, so 65,537 frames in a row would hold the loop for
 * over a second — the server and the other cases run in this process, and their 1 s closing
 * timers would fire before their sockets are read. The octets on the wire are the same.
 */
async function sendInFragments(client: CaseClient, opcode: number, payload: Uint8Array, fragmentSize: number): Promise<void> {
  if (payload.length <= fragmentSize) {
    await client.sendFrame({ opcode, payload });
    return;
  }
  for (let start = 0, frame = 1; ; start += fragmentSize, frame++) {
    const end = start + fragmentSize;
    const fin = end > payload.length;
    await client.sendFrame({
      opcode: start === 0 ? opcode : Opcode.continuation,
      payload: payload.subarray(start, Math.min(end, payload.length)),
      fin,
    });
    if (fin) return;
    if (frame % FRAMES_PER_TURN === 0) await setImmediate();
  }
}

/** How many frames `sendInFragments` sends. */
function autobahnFrameCount(messageLength: number, fragmentSize: number): number {
  return messageLength <= fragmentSize ? 1 : Math.floor(messageLength / fragmentSize) + 1;
}

const closedByClientNormally: ExpectedClose = { closeCode: [1000], closedByClient: true, requireClean: true };

// ---------------------------------------------------------------------------------------------
// 9.1, 9.2: one large message in one frame

const largeMessageLengths = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB];

/** `closeAfterSeconds[i]` is Autobahn's "TI" for case i: the client closes on its own if no echo came by then. */
function largeMessageCases(
  group: string,
  kind: MessageKind,
  pattern: Uint8Array,
  closeAfterSeconds: readonly number[],
): ConformanceCase[] {
  return largeMessageLengths.map((length, i) => {
    const payload: RepeatedPayload = { kind, pattern, length };
    return {
      id: `${group}.${i + 1}`,
      title: `A ${sizeLabel(length)} ${kind} message in a single frame comes back whole`,
      async script(client) {
        client.closeAfter(closeAfterSeconds[i]! * 1000);
        await client.sendFrame({ opcode: opcodeOf(kind), payload: buildPayload(payload) });
        await client.waitForMessages(1);
        await client.sendClose(1000);
      },
      expect: expectEchoes(1, payload),
      close: closedByClientNormally,
      get path() {
        return clientClosePath({ message: unfragmentedMessagePath(kind) });
      },
      timeoutMs: 10_000 + (2_000 * length) / MiB,
    };
  });
}

const section9_1 = largeMessageCases('9.1', 'text', mixedText, [10, 10, 100, 100, 100, 100]);
const section9_2 = largeMessageCases('9.2', 'binary', mixedBinary, [10, 10, 10, 10, 100, 100]);

// ---------------------------------------------------------------------------------------------
// 9.3, 9.4: a 4 MiB message in fragments of 64 B … 4 MiB

const fragmentSizes = [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];

function fragmentedMessageCases(group: string, kind: MessageKind, pattern: Uint8Array): ConformanceCase[] {
  const payload: RepeatedPayload = { kind, pattern, length: 4 * MiB };
  return fragmentSizes.map((fragmentSize, i) => {
    const frameCount = autobahnFrameCount(payload.length, fragmentSize);
    return {
      id: `${group}.${i + 1}`,
      title:
        frameCount === 1
          ? `A 4 MiB ${kind} message whose fragment size is the whole message goes out in one frame and comes back whole`
          : `A 4 MiB ${kind} message in ${sizeLabel(fragmentSize)} fragments (${frameCount} frames, the last one empty) comes back whole`,
      async script(client) {
        client.closeAfter(100_000);
        await sendInFragments(client, opcodeOf(kind), buildPayload(payload), fragmentSize);
        await client.waitForMessages(1);
        await client.sendClose(1000);
      },
      expect: expectEchoes(1, payload),
      close: closedByClientNormally,
      get path() {
        return clientClosePath({
          message: frameCount === 1 ? unfragmentedMessagePath(kind) : fragmentedMessagePath(kind, frameCount),
        });
      },
      timeoutMs: 20_000 + Math.ceil(frameCount / 2),
    };
  });
}

const section9_3 = fragmentedMessageCases('9.3', 'text', asterisk);
const section9_4 = fragmentedMessageCases('9.4', 'binary', byteFe);

// ---------------------------------------------------------------------------------------------
// 9.5, 9.6: a 1 MiB frame written to TCP in small chops

const chopSizes = [64, 128, 256, 512, 1 * KiB, 2 * KiB];

function choppedFrameCases(group: string, kind: MessageKind, pattern: Uint8Array): ConformanceCase[] {
  const payload: RepeatedPayload = { kind, pattern, length: 1 * MiB };
  return chopSizes.map((chopSize, i) => ({
    id: `${group}.${i + 1}`,
    title: `A 1 MiB ${kind} message in one frame, written to TCP ${chopSize} octets at a time, comes back whole`,
    async script(client) {
      client.closeAfter(1_000_000);
      await client.sendFrame({ opcode: opcodeOf(kind), payload: buildPayload(payload), chopSize });
      await client.waitForMessages(1);
      await client.sendClose(1000);
    },
    expect: expectEchoes(1, payload),
    close: closedByClientNormally,
    get path() {
      return clientClosePath({ message: unfragmentedMessagePath(kind) });
    },
    // One flushed write per chop: 16,385 of them at 64 octets.
    timeoutMs: 10_000 + (2 * payload.length) / chopSize,
  }));
}

const section9_5 = choppedFrameCases('9.5', 'text', mixedText);
const section9_6 = choppedFrameCases('9.6', 'binary', mixedBinary);

// ---------------------------------------------------------------------------------------------
// 9.7, 9.8: 1000 round trips, each message sent once the previous echo is back

const roundTrips = 1000;
const roundTripRows = [
  { length: 0, closeAfterSeconds: 60 },
  { length: 16, closeAfterSeconds: 60 },
  { length: 64, closeAfterSeconds: 60 },
  { length: 256, closeAfterSeconds: 120 },
  { length: 1 * KiB, closeAfterSeconds: 240 },
  { length: 4 * KiB, closeAfterSeconds: 480 },
];

function roundTripCases(group: string, kind: MessageKind, pattern: Uint8Array): ConformanceCase[] {
  return roundTripRows.map(({ length, closeAfterSeconds }, i) => {
    const payload: RepeatedPayload = { kind, pattern, length };
    return {
      id: `${group}.${i + 1}`,
      title: `${roundTrips} ${kind} messages of ${sizeLabel(length)}, each sent after the previous echo, all come back`,
      async script(client) {
        client.closeAfter(closeAfterSeconds * 1000);
        const message = buildPayload(payload);
        for (let sent = 1; sent <= roundTrips; sent++) {
          await client.sendFrame({ opcode: opcodeOf(kind), payload: message });
          await client.waitForMessages(sent);
          // Like Autobahn, send the next message only on an echo; stop if the connection closed instead.
          if (client.received.length < sent) return;
        }
        await client.sendClose(1000);
      },
      expect: expectEchoes(roundTrips, payload),
      close: closedByClientNormally,
      get path() {
        return clientClosePath({ message: times(roundTrips, unfragmentedMessagePath(kind)) });
      },
      timeoutMs: 30_000,
    };
  });
}

const section9_7 = roundTripCases('9.7', 'text', asterisk);
const section9_8 = roundTripCases('9.8', 'binary', byteFe);

export const cases: ConformanceCase[] = [
  ...section9_1,
  ...section9_2,
  ...section9_3,
  ...section9_4,
  ...section9_5,
  ...section9_6,
  ...section9_7,
  ...section9_8,
];
