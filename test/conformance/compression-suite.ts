/**
 * The mocha suite shared by the reduced (`npm test`) and the full (`npm run test:compression`)
 * runs of Autobahn|Testsuite sections 12 and 13: the echo server, in this process, with
 * permessage-deflate on and its transitions recorded; every case run over TCP, a few at a time,
 * each graded as soon as it ends (runAndGradeCases); then one test per case asserting its verdict —
 * behaviour OK, closing behaviour OK, the agreed extension parameters, the machines' paths.
 */
import assert from 'node:assert/strict';
import { startEchoServer } from '../../src/echo-server.js';
import type { ConformanceCase } from './case.js';
import { runAndGradeCases, TransitionLog, type CaseVerdict } from './run-case.js';

export interface CompressionSuiteOptions {
  /** How many cases run at once. */
  concurrency: number;
  /** How long running every case may take, in ms. */
  runTimeoutMs: number;
}

export function describeCompressionCases(title: string, cases: readonly ConformanceCase[], options: CompressionSuiteOptions): void {
  describe(title, function () {
    let verdicts = new Map<string, CaseVerdict>();

    before(async function () {
      this.timeout(options.runTimeoutMs);
      const duplicates = cases.map((c) => c.id).filter((id, i, ids) => ids.indexOf(id) !== i);
      assert.deepEqual(duplicates, [], 'case ids must be unique');
      const transitions = new TransitionLog();
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0, onTransition: transitions.onTransition });
      const started = performance.now();
      try {
        verdicts = await runAndGradeCases(cases, { url: echo.url, transitions }, { concurrency: options.concurrency });
      } finally {
        await echo.close();
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const passed = [...verdicts.values()].filter((verdict) => verdict.failure === undefined).length;
      console.log(`      ${passed}/${cases.length} cases OK in ${seconds} s (${options.concurrency} at a time)`);
    });

    for (const testCase of cases) {
      it(`${testCase.id} ${testCase.title}`, function () {
        const verdict = verdicts.get(testCase.id);
        assert.ok(verdict, `case ${testCase.id} did not run`);
        if (verdict.failure !== undefined) assert.fail(`case ${testCase.id}:\n${verdict.failure}`);
      });
    }
  });
}
