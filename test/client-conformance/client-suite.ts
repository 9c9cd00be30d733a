/**
 * The mocha suite shared by the fuzzingserver-direction runs (sections 1–10, the reduced and the
 * full 12–13): the fuzzing server in this process, every case run against a fresh echo client
 * of the implementation under test (client-under-test.ts), a few at a time, each graded as it
 * ends; the per-section summary printed; then one test per case — OK (or INFORMATIONAL) with
 * closing behaviour OK, no protocol violation and a clean close, or, where the implementation
 * is known to fall short (known-grades.ts), exactly the grades the real suite gives it.
 */
import assert from 'node:assert/strict';
import type { ConformanceCase } from '../conformance/case.js';
import { clientImplementation } from './client-under-test.js';
import { FuzzingServer } from './fuzzing-server.js';
import { knownGrade } from './known-grades.js';
import { runClientCases, type ClientCaseVerdict } from './run-client-case.js';
import { summaryLines } from './section-summary.js';

export interface ClientSuiteOptions {
  concurrency: number;
  /** How long running every case may take, in ms. */
  runTimeoutMs: number;
}

export function describeClientCases(title: string, cases: readonly ConformanceCase[], options: ClientSuiteOptions): void {
  const implementation = clientImplementation();
  describe(`${title} (client under test: ${implementation})`, function () {
    let verdicts = new Map<string, ClientCaseVerdict>();

    before(async function () {
      this.timeout(options.runTimeoutMs);
      const duplicates = cases.map((c) => c.id).filter((id, i, ids) => ids.indexOf(id) !== i);
      assert.deepEqual(duplicates, [], 'case ids must be unique');
      const server = await FuzzingServer.start();
      const started = performance.now();
      try {
        // The client offers permessage-deflate, as Autobahn's test clients do; sections 1–10 decline it.
        verdicts = await runClientCases(cases, server, { concurrency: options.concurrency, clientOptions: { perMessageDeflate: true } });
      } finally {
        await server.close();
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`      ${cases.length} cases in ${seconds} s (${options.concurrency} at a time)`);
      for (const line of summaryLines(verdicts.values(), implementation)) console.log(`      ${line}`);
    });

    for (const testCase of cases) {
      it(`${testCase.id} ${testCase.title}`, function () {
        const verdict = verdicts.get(testCase.id);
        assert.ok(verdict, `case ${testCase.id} did not run`);
        const known = knownGrade(implementation, testCase.id);
        if (known !== undefined) {
          const graded = { behaviour: verdict.behaviour.grade, closingBehaviour: verdict.closingBehaviour.grade };
          assert.deepEqual(graded, known, `case ${testCase.id}: ${implementation} is known to grade so:\n${verdict.failure ?? 'it passed'}`);
          return;
        }
        if (verdict.failure !== undefined) assert.fail(`case ${testCase.id}:\n${verdict.failure}`);
        assert.ok(verdict.cleanClose, `case ${testCase.id}: not a clean close (${verdict.closingBehaviour.detail})`);
      });
    }
  });
}
