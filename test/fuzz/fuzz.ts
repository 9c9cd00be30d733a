/**
 * `npm run fuzz`: the frame fuzzer's property (frame-fuzzer.test.ts) run at length, the core
 * against the RFC 6455 oracle. Prints the number of inputs, the time and the throughput; on a
 * disagreement, the seed and path that replay it, the shrunk input and where the two differ,
 * and exits 1.
 *
 *   npm run fuzz                              # 1,000,000 inputs, a random seed
 *   npm run fuzz -- --runs 5000000 --seed 42  # more inputs, a given seed
 *   npm run fuzz -- --seed 42 --path 1234:5:2 # replay a counterexample
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { disagreement } from './core-outcome.js';
import { describeInput, fuzzInput, scenarioOf, type FuzzInput } from './frame-sequences.js';
import { expectedOutcome } from './rfc6455-oracle.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1000000' }, seed: { type: 'string' }, path: { type: 'string' } },
});
const runs = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;

/** The property: the core does what the oracle says; throws with the difference otherwise. */
const agrees = fc.property(fuzzInput, (input: FuzzInput) => {
  const scenario = scenarioOf(input);
  const difference = disagreement(scenario, input.chunks, expectedOutcome(scenario));
  if (difference !== undefined) throw new Error(difference);
});

console.log(`frame fuzzer: ${runs.toLocaleString('en')} inputs, seed ${seed}${values.path ? `, path ${values.path}` : ''}`);
const started = performance.now();
const details = fc.check(agrees, { numRuns: runs, seed, ...(values.path ? { path: values.path } : {}) });
const seconds = (performance.now() - started) / 1000;
const ran = details.numRuns;
console.log(`ran ${ran.toLocaleString('en')} inputs in ${seconds.toFixed(1)} s: ${Math.round(ran / seconds).toLocaleString('en')} inputs/s (node ${process.version})`);
if (details.failed) {
  const [input] = details.counterexample ?? [];
  console.log(`DISAGREEMENT, replay with: npm run fuzz -- --seed ${details.seed} --path ${details.counterexamplePath}`);
  if (input !== undefined) console.log(describeInput(input));
  console.log(details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance));
  process.exit(1);
}
console.log('no disagreement');
