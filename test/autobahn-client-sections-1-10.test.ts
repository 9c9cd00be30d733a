/**
 * Autobahn|Testsuite sections 1–10 in the fuzzingserver direction: every case of
 * test/conformance/cases played from the server's end (test/client-conformance/) against an
 * echo client — the client under test — and graded as the real suite grades a client.
 */
import { cases } from './conformance/cases/index.js';
import { describeClientCases } from './client-conformance/client-suite.js';

describeClientCases('Autobahn|Testsuite sections 1–10 in the fuzzingserver direction', cases, { concurrency: 16, runTimeoutMs: 180_000 });
