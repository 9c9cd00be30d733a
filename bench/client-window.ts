/**
 * `npm run bench:client-window`: what the `clientMaxWindowBits` option buys and costs.
 *
 * RFC 7692 §7.1.2.2: when the client offers `client_max_window_bits`, the server may answer with
 * a smaller window. The server then keeps at most 2^bits octets of the client's plaintext per
 * connection (src/permessage-deflate/peer-window.ts), and restores them into the shared inflater
 * before a message whenever another connection used it in between; the client's messages get
 * larger, since they can refer back less far. This measures both, through the server's own codec:
 * two connections taking turns (so every message is restored), each fed by a client compressing
 * with context takeover at zlib's default level (what browsers and ws use) and that window.
 *
 * One process, no sockets; median of five passes. Bounded: a few hundred messages per set.
 */
import { constants, createDeflateRaw } from 'node:zlib';
import { SyncZlibStream } from '../src/permessage-deflate/sync-zlib-stream.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { htmlCorpus, jsonCorpus, messageAt, type Corpus } from '../test/conformance/cases/compression-corpora.js';

const WINDOW_BITS = [9, 10, 12, 13, 15] as const;
const PASSES = 5;

function corpusMessages(corpus: Corpus, length: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => messageAt(corpus, length, index));
}

const MESSAGE_SETS: readonly { name: string; messages: Buffer[] }[] = [
  { name: 'JSON corpus, 256 B', messages: corpusMessages(jsonCorpus, 256, 2000) },
  { name: 'JSON corpus, 4 KiB', messages: corpusMessages(jsonCorpus, 4 * 1024, 500) },
  { name: 'HTML corpus, 16 KiB', messages: corpusMessages(htmlCorpus, 16 * 1024, 200) },
];

interface Result {
  /** Compressed octets per message the client sends. */
  bytes: number;
  /** Server CPU per message to restore the window and inflate. */
  micros: number;
  /** Octets of window the server keeps per connection at the end. */
  kept: number;
}

function measure(bits: number, messages: readonly Buffer[]): Result {
  const connections = [0, 1].map(() => ({
    client: new SyncZlibStream(createDeflateRaw({ windowBits: Math.max(bits, 9) })),
    codec: new PerMessageDeflateCodec(
      { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: bits, response: '' },
      { releaseAfterIdleMs: 0 },
    ),
  }));
  const compressed = messages.map((message, index) => {
    const client = connections[index % 2]!.client;
    client.write(message, constants.Z_SYNC_FLUSH);
    const out = client.take();
    return out.subarray(0, out.length - 4);
  });
  const started = process.cpuUsage();
  compressed.forEach((message, index) => connections[index % 2]!.codec.inflate([message], 1 << 24));
  const used = process.cpuUsage(started);
  const result = {
    bytes: compressed.reduce((sum, message) => sum + message.length, 0) / messages.length,
    micros: (used.user + used.system) / messages.length,
    kept: connections[0]!.codec.peerWindow!.length,
  };
  for (const { client, codec } of connections) {
    client.close();
    codec.close();
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

console.log(`client_max_window_bits: bytes per client message / server µs per message (restore + inflate) / window kept per connection`);
console.log(`(median of ${PASSES} passes, Node ${process.version})\n`);
console.log(`| messages | ${WINDOW_BITS.map((bits) => `${bits} bits`).join(' | ')} |`);
console.log(`|---|${WINDOW_BITS.map(() => '---:').join('|')}|`);
for (const { name, messages } of MESSAGE_SETS) {
  const cells = WINDOW_BITS.map((bits) => {
    const passes = Array.from({ length: PASSES }, () => measure(bits, messages));
    const kept = passes[0]!.kept;
    return `${Math.round(passes[0]!.bytes)} B / ${median(passes.map((pass) => pass.micros)).toFixed(1)} µs / ${kept >= 1024 ? `${kept / 1024} KiB` : `${kept} B`}`;
  });
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
