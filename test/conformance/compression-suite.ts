/**
 * The mocha suite shared by the reduced (`npm test`) and the full (`npm run test:compression`)
 * runs of Autobahn|Testsuite sections 12 and 13: the echo server, in this process, with
 * permessage-deflate on and its transitions recorded; every case run over TCP, a few at a time,
 * each graded as soon as it ends (runAndGradeCases); then one test per case asserting its verdict —
 * behaviour OK, closing behaviour OK, the agreed extension parameters, the machines' paths — and
 * that the frames each message took are the recorded ones (compression-frame-counts.ts): all of
 * them in a full run, the first ones in a reduced run. A full run with UPDATE_COMPRESSION_FRAMES=1
 * rewrites the recording first.
 */
import assert from 'node:assert/strict';
import { startEchoServer } from '../../src/echo-server.js';
import type { ConformanceCase } from './case.js';
import {
  FRAME_COUNTS_FILE,
  frameCountProblem,
  readFrameCounts,
  UPDATE_FRAME_COUNTS_VARIABLE,
  writeFrameCounts,
  type FrameCountRecording,
} from './compression-frame-counts.js';
import { runAndGradeCases, TransitionLog, type CaseVerdict } from './run-case.js';

export interface CompressionSuiteOptions {
  /** How many cases run at once. */
  concurrency: number;
  /** How long running every case may take, in ms. */
  runTimeoutMs: number;
  /**
   * `whole`: the cases send every message of the real suite, and the frames they take must equal
   * the recording (which UPDATE_COMPRESSION_FRAMES=1 rewrites); `prefix`: they send fewer, whose
   * frames must be the recording's first ones.
   */
  frameCounts: 'whole' | 'prefix';
}

export function describeCompressionCases(title: string, cases: readonly ConformanceCase[], options: CompressionSuiteOptions): void {
  describe(title, function () {
    let verdicts = new Map<string, CaseVerdict>();
    const sentFrames = new Map<string, number[]>();
    let recording: FrameCountRecording = readFrameCounts();

    before(async function () {
      this.timeout(options.runTimeoutMs);
      const duplicates = cases.map((c) => c.id).filter((id, i, ids) => ids.indexOf(id) !== i);
      assert.deepEqual(duplicates, [], 'case ids must be unique');
      const transitions = new TransitionLog();
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0, onTransition: transitions.onTransition });
      const started = performance.now();
      try {
        verdicts = await runAndGradeCases(
          cases,
          { url: echo.url, transitions },
          { concurrency: options.concurrency, onRun: (run) => sentFrames.set(run.testCase.id, run.sent.map((message) => message.frames)) },
        );
      } finally {
        await echo.close();
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const passed = [...verdicts.values()].filter((verdict) => verdict.failure === undefined).length;
      console.log(`      ${passed}/${cases.length} cases OK in ${seconds} s (${options.concurrency} at a time)`);
      if (options.frameCounts === 'whole' && process.env[UPDATE_FRAME_COUNTS_VARIABLE] === '1') {
        // Only cases that passed: one that stopped early would record too few messages.
        const updated = new Map(recording.frames);
        for (const [id, verdict] of verdicts) if (verdict.failure === undefined) updated.set(id, sentFrames.get(id)!);
        writeFrameCounts(updated, cases.map((c) => c.id));
        recording = readFrameCounts();
        console.log(`      wrote ${FRAME_COUNTS_FILE} (${passed} cases; run \`npm run traceability\` next)`);
      }
    });

    for (const testCase of cases) {
      it(`${testCase.id} ${testCase.title}`, function () {
        const verdict = verdicts.get(testCase.id);
        assert.ok(verdict, `case ${testCase.id} did not run`);
        if (verdict.failure !== undefined) assert.fail(`case ${testCase.id}:\n${verdict.failure}`);
        const problem = frameCountProblem(testCase.id, sentFrames.get(testCase.id) ?? [], recording, options.frameCounts);
        if (problem !== undefined) assert.fail(`case ${testCase.id}: ${problem}`);
      });
    }
  });
}
