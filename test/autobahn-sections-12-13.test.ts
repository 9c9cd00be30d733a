/**
 * Autobahn|Testsuite sections 12 and 13 (permessage-deflate), reduced so that `npm test` stays
 * quick: EVERY one of the 216 cases — the same message sizes (16 B to 128 KiB), fragment sizes,
 * offers (13.x: server_no_context_takeover, server_max_window_bits 9 and 15, three offers at
 * once) and corpora — but each sending at most 200 messages and 1 MiB of payload instead of
 * the real suite's 1000 messages (200 of up to 4 KiB, then 128 of 8 KiB down to 8 of 128 KiB).
 * About 15 s on a 2-vCPU machine. The frames each message takes must be the first ones a full run
 * recorded (test/conformance/compression-frame-counts.json): the client compresses each message
 * on its own, so sending fewer changes none of them.
 *
 * Every case at full size (1000 messages, about 11 GB echoed) is in
 * test/full/autobahn-sections-12-13-full.spec.ts: `npm run test:compression`.
 */
import { reducedCases } from './conformance/cases/compression-index.js';
import { describeCompressionCases } from './conformance/compression-suite.js';

describeCompressionCases('Autobahn|Testsuite sections 12 and 13 against the echo server (at most 200 messages per case)', reducedCases(), {
  concurrency: 2,
  runTimeoutMs: 180_000,
  frameCounts: 'prefix',
});
