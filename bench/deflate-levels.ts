/**
 * `npm run bench:deflate-levels`: what each zlib level costs the server per message with context
 * takeover (a SyncZlibStream kept from message to message, as the server compresses), on the
 * compression corpora of the conformance suite and on the benchmark's repeated message. It
 * grounds the default `perMessageDeflate.level` (negotiation.ts); ws uses zlib's default, 6.
 *
 * One process, no server, no sockets: deflate CPU time per message and bytes per message,
 * median of five passes. Bounded: a few hundred messages per corpus.
 */
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { SyncZlibStream } from '../src/permessage-deflate/sync-zlib-stream.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { htmlCorpus, jsonCorpus, messageAt, pdfLikeCorpus, type Corpus } from '../test/conformance/cases/compression-corpora.js';
import { textPayload } from './client-frames.js';

const LEVELS = [1, 2, 3, 4, 6] as const;
const PASSES = 5;

function corpusMessages(corpus: Corpus, length: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => messageAt(corpus, length, index));
}

const MESSAGE_SETS: readonly { name: string; messages: Buffer[] }[] = [
  { name: 'the bench message (16 KiB, the same each time)', messages: Array.from({ length: 200 }, () => textPayload(16 * 1024, true)) },
  { name: 'JSON corpus, 256 B', messages: corpusMessages(jsonCorpus, 256, 2000) },
  { name: 'JSON corpus, 16 KiB', messages: corpusMessages(jsonCorpus, 16 * 1024, 200) },
  { name: 'HTML corpus, 16 KiB', messages: corpusMessages(htmlCorpus, 16 * 1024, 200) },
  { name: 'PDF-like corpus, 16 KiB', messages: corpusMessages(pdfLikeCorpus, 16 * 1024, 200) },
  // A repeat is cheap only for a level that searches far enough to find the earlier message.
  { name: 'JSON corpus, 16 KiB, the same each time', messages: Array.from({ length: 200 }, () => messageAt(jsonCorpus, 16 * 1024, 3)) },
  { name: 'HTML corpus, 16 KiB, the same each time', messages: Array.from({ length: 200 }, () => messageAt(htmlCorpus, 16 * 1024, 3)) },
];

/** CPU µs and output bytes per message, compressing `messages` through one context. */
function measure(level: number, messages: readonly Buffer[]): { micros: number; bytes: number } {
  const deflater = new SyncZlibStream(createDeflateRaw({ level }));
  for (const message of messages.slice(0, 20)) {
    deflater.write(message, constants.Z_SYNC_FLUSH);
    deflater.take();
  }
  let bytes = 0;
  const started = process.cpuUsage();
  for (const message of messages) {
    deflater.write(message, constants.Z_SYNC_FLUSH);
    bytes += deflater.take().length;
  }
  const used = process.cpuUsage(started);
  deflater.close();
  return { micros: (used.user + used.system) / messages.length, bytes: bytes / messages.length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

console.log(`deflate with context takeover, per message: CPU µs / bytes out (median of ${PASSES} passes), Node ${process.version}\n`);
console.log(`| messages | ${LEVELS.map((level) => `level ${level}`).join(' | ')} |`);
console.log(`|---|${LEVELS.map(() => '---:').join('|')}|`);
for (const { name, messages } of MESSAGE_SETS) {
  const cells = LEVELS.map((level) => {
    const passes = Array.from({ length: PASSES }, () => measure(level, messages));
    return `${median(passes.map((pass) => pass.micros)).toFixed(1)} µs / ${Math.round(passes[0]!.bytes)} B`;
  });
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}

/**
 * The other half of the bench's echo: the server inflating the load client's message, which the
 * client compresses on its own (zlib's default level), through the codec the server uses.
 */
function inflateMicros(message: Buffer): { micros: number; bytes: number } {
  const compressed = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH });
  const body = compressed.subarray(0, compressed.length - 4);
  const codec = new PerMessageDeflateCodec(
    { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, response: 'permessage-deflate' },
    { releaseAfterIdleMs: 0 },
  );
  for (let i = 0; i < 20; i++) codec.inflate([body], Infinity);
  const started = process.cpuUsage();
  for (let i = 0; i < 200; i++) codec.inflate([body], Infinity);
  const used = process.cpuUsage(started);
  codec.close();
  return { micros: (used.user + used.system) / 200, bytes: body.length };
}
const inflated = Array.from({ length: PASSES }, () => inflateMicros(textPayload(16 * 1024, true)));
console.log(
  `\ninflating the bench message as the load client sends it (${inflated[0]!.bytes} B compressed): ${median(inflated.map((pass) => pass.micros)).toFixed(1)} µs per message`,
);
