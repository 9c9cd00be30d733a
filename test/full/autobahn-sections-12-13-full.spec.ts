/**
 * Autobahn|Testsuite sections 12 and 13 (permessage-deflate) at full size: all 216 cases, each
 * sending 1000 compressed messages one round trip at a time, as the real suite does — about
 * 11 GB echoed in all. Too slow for every `npm test` (which runs every case with fewer messages,
 * test/autobahn-sections-12-13.test.ts), so this file is named `.spec.ts`, outside mocha's
 * default `dist/test/**\/*.test.js`, and run on its own:
 *
 *   mocha --no-config --timeout 600000 dist/test/full/autobahn-sections-12-13-full.spec.js
 *
 * It prints how long the run took. Running all cases may take up to 40 minutes before the
 * run is given up (each case alone may wait up to the real suite's 480 s).
 *
 * The frames each message took must equal test/conformance/compression-frame-counts.json, from
 * which diagrams/autobahn-paths.md builds these cases' paths. When the client's compression
 * changes (a new Node, hence zlib), rewrite it and regenerate the document:
 *
 *   UPDATE_COMPRESSION_FRAMES=1 npm run test:compression && npm run traceability
 */
import { cases } from '../conformance/cases/compression-index.js';
import { describeCompressionCases } from '../conformance/compression-suite.js';

describeCompressionCases('Autobahn|Testsuite sections 12 and 13 against the echo server (full size: 1000 messages per case)', cases, {
  concurrency: 2,
  runTimeoutMs: 40 * 60_000,
  frameCounts: 'whole',
});
