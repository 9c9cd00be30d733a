/**
 * The shape shared by every case of Autobahn|Testsuite sections 12 and 13: with permessage-deflate
 * agreed, send messages of one size from a corpus one at a time — each compressed by the client,
 * cut into frames after compression when the case says so — wait for each echo before sending the
 * next, then close with 1000. Eighteen rows per group: sizes from 16 B to 128 KiB unfragmented,
 * then 8 KiB to 128 KiB in 256-octet frames, then 128 KiB in 1 KiB, 4 KiB and 32 KiB frames.
 *
 * The client compresses every message, so every message is a compressed one on the wire
 * (RSV1 on its first frame) whatever its size; the server compresses its echoes only from its
 * threshold up, and the client takes either. The number of frames a message takes depends on
 * its compressed size, so the declared path is built from what the client sent — in a run, or
 * as a full run sent it (test/conformance/compression-frame-counts.ts) for diagrams/autobahn-paths.md.
 *
 * Echoes are recorded as digests (length and SHA-1): the full cases move about 11 GB.
 */
import { Opcode, type ConformanceCase, type ExpectedClose, type ReceivedEvent } from '../case.js';
import { clientClosePath, compressedMessagePath, HANDSHAKE_ACCEPTED_WITH_DEFLATE } from '../expected-path.js';
import { messageAt, messageDigestAt, type Corpus } from './compression-corpora.js';

const KiB = 1024;

/** One row of a group: the message size, Autobahn's case timeout ("TI"), and the frame size (0: one frame). */
interface Row {
  length: number;
  waitSeconds: number;
  fragmentSize: number;
}

/** The eighteen rows every group of sections 12 and 13 has, in the suite's order. */
export const ROWS: readonly Row[] = [
  { length: 16, waitSeconds: 60, fragmentSize: 0 },
  { length: 64, waitSeconds: 60, fragmentSize: 0 },
  { length: 256, waitSeconds: 120, fragmentSize: 0 },
  { length: 1 * KiB, waitSeconds: 240, fragmentSize: 0 },
  { length: 4 * KiB, waitSeconds: 480, fragmentSize: 0 },
  { length: 8 * KiB, waitSeconds: 480, fragmentSize: 0 },
  { length: 16 * KiB, waitSeconds: 480, fragmentSize: 0 },
  { length: 32 * KiB, waitSeconds: 480, fragmentSize: 0 },
  { length: 64 * KiB, waitSeconds: 480, fragmentSize: 0 },
  { length: 128 * KiB, waitSeconds: 480, fragmentSize: 0 },
  { length: 8 * KiB, waitSeconds: 480, fragmentSize: 256 },
  { length: 16 * KiB, waitSeconds: 480, fragmentSize: 256 },
  { length: 32 * KiB, waitSeconds: 480, fragmentSize: 256 },
  { length: 64 * KiB, waitSeconds: 480, fragmentSize: 256 },
  { length: 128 * KiB, waitSeconds: 480, fragmentSize: 256 },
  { length: 128 * KiB, waitSeconds: 480, fragmentSize: 1 * KiB },
  { length: 128 * KiB, waitSeconds: 480, fragmentSize: 4 * KiB },
  { length: 128 * KiB, waitSeconds: 480, fragmentSize: 32 * KiB },
];

/** The real suite's message count per case. */
export const AUTOBAHN_MESSAGE_COUNT = 1000;

/** One group of eighteen cases: what it sends and what it offers. */
export interface CompressedEchoGroup {
  /** '12.1', '13.4', ... */
  id: string;
  corpus: Corpus;
  /** The |Sec-WebSocket-Extensions| offer, as sent. */
  offer: string;
  /** The answer the server must give (parameters in any order). */
  response: string;
  /** The offer in words, for titles. */
  offerInWords: string;
}

/** How to scale the cases down (for `npm test`); the defaults are the real suite's. */
export interface CompressedEchoOptions {
  /** How many messages a case with messages of `length` octets sends. Default 1000. */
  messageCount?: (length: number) => number;
  /** Overrides the case timeout (Autobahn's "TI": the client closes after it), in seconds. */
  waitSeconds?: number;
}

const closedByClientNormally: ExpectedClose = { closeCode: [1000], closedByClient: true, requireClean: true };

/** "16 B", "4 KiB". */
function sizeLabel(octets: number): string {
  return octets >= KiB && octets % KiB === 0 ? `${octets / KiB} KiB` : `${octets} B`;
}

/** Accepts exactly `count` echoes, in order, each the message it answers (by length and SHA-1). */
function expectEchoes(corpus: Corpus, length: number, count: number): ConformanceCase['expect'] {
  const isBinary = corpus.kind === 'binary';
  return {
    checkEvents(received: readonly ReceivedEvent[]): string | undefined {
      for (let i = 0; i < received.length && i < count; i++) {
        const event = received[i]!;
        if (event[0] !== 'messageDigest') return `event ${i + 1} is a ${event[0]}, expected the echo of message ${i + 1}`;
        if (event[2] !== isBinary) return `echo ${i + 1} is ${event[2] ? 'binary' : 'text'}, expected ${corpus.kind}`;
        if (event[1].length !== length) return `echo ${i + 1} has ${event[1].length} octets, expected ${length}`;
        const expected = messageDigestAt(corpus, length, i);
        if (event[1].sha1 !== expected) return `echo ${i + 1} differs from message ${i + 1} (SHA-1 ${event[1].sha1}, expected ${expected})`;
      }
      if (received.length !== count) return `received ${received.length} events, expected ${count} echoes`;
      return undefined;
    },
  };
}

/** The eighteen cases of one group. */
export function compressedEchoCases(group: CompressedEchoGroup, options: CompressedEchoOptions = {}): ConformanceCase[] {
  const { corpus } = group;
  const kind = corpus.kind;
  const opcode = kind === 'text' ? Opcode.text : Opcode.binary;
  return ROWS.map(({ length, waitSeconds: autobahnWait, fragmentSize }, i) => {
    const count = options.messageCount?.(length) ?? AUTOBAHN_MESSAGE_COUNT;
    const waitSeconds = options.waitSeconds ?? autobahnWait;
    const framing = fragmentSize === 0 ? '' : `, cut after compression into ${sizeLabel(fragmentSize)} frames,`;
    return {
      id: `${group.id}.${i + 1}`,
      title: `${count} compressed ${corpus.name} ${kind} messages of ${sizeLabel(length)}${framing} each come back whole (${group.offerInWords})`,
      extensionOffer: group.offer,
      extensionResponse: group.response,
      digestMessages: true,
      async script(client) {
        client.closeAfter(waitSeconds * 1000);
        const sendOptions = fragmentSize === 0 ? {} : { fragmentSize };
        for (let sent = 1; sent <= count; sent++) {
          await client.sendMessage(opcode, messageAt(corpus, length, sent - 1), sendOptions);
          await client.waitForMessages(sent);
          // Like the real suite, send the next message only on an echo; stop if the connection closed instead.
          if (client.received.length < sent) return;
        }
        await client.sendClose(1000);
      },
      expect: expectEchoes(corpus, length, count),
      close: closedByClientNormally,
      // RFC 7692 §6: each message the client sent is a compressed one, in as many frames as its compressed size took
      // (test/conformance/compression-frame-counts.json records them for the full run).
      path: (run) =>
        clientClosePath({
          handshake: HANDSHAKE_ACCEPTED_WITH_DEFLATE,
          message: run.sent.map((message) => compressedMessagePath(kind, message.frames)).join(' '),
        }),
      timeoutMs: waitSeconds * 1000 + 5000,
    };
  });
}
