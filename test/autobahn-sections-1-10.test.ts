/**
 * Autobahn|Testsuite sections 1–10, reproduced in-repo (test/conformance/cases): each case runs
 * against the echo server on its own connection and must grade as the real suite grades it —
 * behaviour OK (unless INFORMATIONAL) and closing behaviour OK — with the server's machines
 * taking exactly the transition path the case declares.
 *
 * The cases are independent, so they all run (a few at a time) before the tests, and each
 * test asserts its case's stored result.
 */
import assert from 'node:assert/strict';
import { startEchoServer } from '../src/echo-server.js';
import { cases } from './conformance/cases/index.js';
import { runCases, TransitionLog, type CaseResult } from './conformance/run-case.js';

const CONCURRENCY = 4;

describe('Autobahn|Testsuite sections 1–10 against the echo server', function () {
  let results = new Map<string, CaseResult>();

  before(async function () {
    this.timeout(180_000);
    const duplicates = cases.map((c) => c.id).filter((id, i, ids) => ids.indexOf(id) !== i);
    assert.deepEqual(duplicates, [], 'case ids must be unique');
    const transitions = new TransitionLog();
    const echo = await startEchoServer({ host: '127.0.0.1', port: 0, onTransition: transitions.onTransition });
    try {
      results = await runCases(cases, { url: echo.url, transitions }, { concurrency: CONCURRENCY });
    } finally {
      await echo.close();
    }
  });

  for (const testCase of cases) {
    it(`${testCase.id} ${testCase.title}`, function () {
      const result = results.get(testCase.id);
      assert.ok(result, `case ${testCase.id} did not run`);
      if (result.failure !== undefined) assert.fail(`case ${testCase.id}:\n${result.failure}`);
    });
  }
});
