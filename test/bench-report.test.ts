/**
 * The bench report's verdicts (bench/report.ts): a target that states an absolute bound fails
 * when statesocket's figure is over it, whatever ws measured (issue 13, the deflate worst case).
 */
import { expect } from 'chai';
import { summarize } from '../bench/report.js';
import { FULL_WORKLOADS, WORST_CASE_BOUND } from '../bench/workloads.js';
import type { Measurement } from '../bench/measure.js';

const KIB = 1024;
const worstCase = FULL_WORKLOADS.find((workload) => workload.id === 'deflate-worst-case')!;

function idle(server: 'statesocket' | 'ws', round: number, rssPerConnection: number, heapPerConnection = 7 * KIB): Measurement {
  return {
    workload: worstCase.id,
    server,
    round,
    kind: 'idle',
    connections: 2_000,
    failed: 0,
    firstError: undefined,
    heapPerConnection,
    rssPerConnection,
    externalPerConnection: 0,
  };
}

describe('bench report: the deflate worst-case bound', () => {
  it('states the README bound of 400 MiB for 2,000 connections', () => {
    expect(WORST_CASE_BOUND).to.equal(400 * 1024 * KIB);
    expect(worstCase.target?.maxValues?.['rssPerConnection']).to.equal(WORST_CASE_BOUND / 2_000);
  });

  it('is met under the bound and under ws, whatever the heap ratio', () => {
    const summary = summarize(worstCase, [idle('statesocket', 0, 170 * KIB, 8 * KIB), idle('ws', 0, 320 * KIB, 6 * KIB)]);
    expect(summary.verdict?.met).to.equal(true);
  });

  it('is not met over the bound, even when ws takes more', () => {
    const summary = summarize(worstCase, [idle('statesocket', 0, 210 * KIB), idle('ws', 0, 600 * KIB)]);
    expect(summary.verdict?.met).to.equal(false);
    expect(summary.verdict?.text).to.match(/> bound/);
  });

  it('is not met over ws, even under the bound', () => {
    const summary = summarize(worstCase, [idle('statesocket', 0, 150 * KIB), idle('ws', 0, 100 * KIB)]);
    expect(summary.verdict?.met).to.equal(false);
  });
});
