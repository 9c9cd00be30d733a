/**
 * Autobahn|Testsuite sections 12 and 13 (permessage-deflate) in the fuzzingserver direction,
 * reduced so that `npm test` stays quick: every one of the 216 cases — the same message sizes,
 * fragment sizes, corpora and, per case, the harness's answer to the client's offer
 * (test/client-conformance/deflate-answers.ts) — but each sending at most 50 messages and
 * 256 KiB (the server-direction reduced run: 200 and 1 MiB). The full run, 1000 messages per
 * case: test/full/autobahn-client-sections-12-13-full.spec.ts, `npm run test:client-compression`.
 */
import { buildCompressionCases } from './conformance/cases/compression-index.js';
import { describeClientCases } from './client-conformance/client-suite.js';

const MAX_MESSAGES = 50;
const MIN_MESSAGES = 4;
const PAYLOAD_BUDGET = 256 * 1024;

const cases = buildCompressionCases({
  messageCount: (length) => Math.min(MAX_MESSAGES, Math.max(MIN_MESSAGES, Math.floor(PAYLOAD_BUDGET / length))),
  waitSeconds: 30,
});

describeClientCases('Autobahn|Testsuite sections 12 and 13 in the fuzzingserver direction (at most 50 messages per case)', cases, {
  concurrency: 4,
  runTimeoutMs: 180_000,
});
