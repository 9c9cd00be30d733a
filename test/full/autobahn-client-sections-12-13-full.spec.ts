/**
 * Autobahn|Testsuite sections 12 and 13 in the fuzzingserver direction at full size: all 216
 * cases, each sending 1000 compressed messages to the client under test one round trip at a
 * time, as the real suite does. Run on its own (`.spec.ts`, outside `npm test`):
 *
 *   npm run test:client-compression
 */
import { cases } from '../conformance/cases/compression-index.js';
import { describeClientCases } from '../client-conformance/client-suite.js';

describeClientCases('Autobahn|Testsuite sections 12 and 13 in the fuzzingserver direction (full size: 1000 messages per case)', cases, {
  concurrency: 2,
  runTimeoutMs: 40 * 60_000,
});
