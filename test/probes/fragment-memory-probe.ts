/**
 * Run in a process of its own (test/fragment-memory.test.ts, `npm run soak`): one message sent as
 * N one-byte fragments through the protocol core, fed in 64 KiB chunks as a socket would read them;
 * prints `{ fragments, delivered, peakRssGrowthMiB, seconds }` as JSON.
 *
 * usage: node --expose-gc dist/test/probes/fragment-memory-probe.js FRAGMENTS
 */
import { ConnectionProtocol, DiscardingOutput } from '../../src/connection-protocol.js';
import { encodeClientFrame } from '../../src/frame-encoder.js';
import { HANDSHAKE_REQUEST } from '../client-frame.js';

const fragments = Number(process.argv[2] ?? 1_000_000);
const MASK = Buffer.from([1, 2, 3, 4]);
const gc = (globalThis as { gc?: () => void }).gc!;

/** The wire bytes of the message, made lazily 64 KiB at a time so that the input costs no memory. */
function* wireChunks(): Generator<Buffer> {
  const first = encodeClientFrame(0x2, Buffer.from([0x61]), MASK, { fin: fragments === 1, rsv: 0 });
  const middle = encodeClientFrame(0x0, Buffer.from([0x61]), MASK, { fin: false, rsv: 0 });
  const last = encodeClientFrame(0x0, Buffer.from([0x61]), MASK, { fin: true, rsv: 0 });
  const perChunk = Math.floor((64 * 1024) / middle.length);
  let sent = 0;
  while (sent < fragments) {
    const count = Math.min(perChunk, fragments - sent);
    const chunk = Buffer.allocUnsafe(count * middle.length);
    for (let i = 0; i < count; i++) {
      const index = sent + i;
      (index === 0 ? first : index === fragments - 1 ? last : middle).copy(chunk, i * middle.length);
    }
    sent += count;
    yield chunk;
  }
}

let delivered = -1;
/** The message delivered, kept alive so that the last sample counts it (as an application holding it would). */
let kept: Buffer | undefined;
class Output extends DiscardingOutput {
  override message(data: Buffer) {
    delivered = data.length;
    kept = data;
  }
}
const core = new ConnectionProtocol(new Output(), { maxMessageSize: 128 * 1024 * 1024 });
core.receiveHandshake(HANDSHAKE_REQUEST);
gc();
const baseline = process.memoryUsage.rss();
let peak = baseline;
const started = process.hrtime.bigint();
let fed = 0;
for (const chunk of wireChunks()) {
  core.receiveData(chunk);
  // Measure what the message holds, not the input's garbage: the wire chunks already read (7 bytes
  // a fragment, 7 MB in all) are the test's, and would count until the next GC happened to run.
  // What the core keeps alive (the coalesced message, or without coalescing a Buffer object per
  // fragment pinning every chunk) survives the GC and is measured.
  if ((++fed & 15) === 0) {
    gc();
    peak = Math.max(peak, process.memoryUsage.rss());
  }
}
gc();
peak = Math.max(peak, process.memoryUsage.rss());
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ fragments, delivered: kept?.length ?? delivered, peakRssGrowthMiB: (peak - baseline) / 1048576, seconds }));
