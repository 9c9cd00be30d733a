/**
 * Runs cases in the fuzzingserver direction against the client under test and prints the
 * per-section summary and every case that did not pass:
 *
 *   node dist/test/client-conformance/run-client-suite.js [1-10 | 12-13 | 12-13-full | <case id prefix>...]
 *
 * CLIENT_UNDER_TEST=ws runs ws's client instead (the harness's cross-check).
 */
import { cases as sections1To10 } from '../conformance/cases/index.js';
import { cases as compressionCases, reducedCases } from '../conformance/cases/compression-index.js';
import type { ConformanceCase } from '../conformance/case.js';
import { clientImplementation } from './client-under-test.js';
import { FuzzingServer } from './fuzzing-server.js';
import { runClientCases } from './run-client-case.js';
import { summaryLines } from './section-summary.js';

function selected(args: readonly string[]): ConformanceCase[] {
  const picks: ConformanceCase[] = [];
  for (const arg of args.length === 0 ? ['1-10'] : args) {
    if (arg === '1-10') picks.push(...sections1To10);
    else if (arg === '12-13') picks.push(...reducedCases());
    else if (arg === '12-13-full') picks.push(...compressionCases);
    else picks.push(...[...sections1To10, ...reducedCases()].filter((c) => c.id === arg || c.id.startsWith(`${arg}.`)));
  }
  return picks;
}

const cases = selected(process.argv.slice(2));
const server = await FuzzingServer.start();
const started = performance.now();
const verdicts = await runClientCases(cases, server, { concurrency: Number(process.env['CONCURRENCY'] ?? 4), clientOptions: { perMessageDeflate: true } });
await server.close();
for (const verdict of verdicts.values()) {
  if (verdict.failure !== undefined || !verdict.cleanClose) {
    console.log(`${verdict.id}${verdict.cleanClose ? '' : ' (not a clean close)'}: ${verdict.failure ?? verdict.closingBehaviour.detail}`);
  }
}
console.log(summaryLines(verdicts.values(), clientImplementation()).join('\n'));
console.log(`${cases.length} cases in ${((performance.now() - started) / 1000).toFixed(1)} s`);
