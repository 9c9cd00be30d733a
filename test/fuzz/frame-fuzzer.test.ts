/**
 * The frame fuzzer: random and broken client frame sequences, in random chunkings, with the
 * application's close in between and TCP's end after, fed to the sans-I/O core, and what it does
 * compared with an independent reading of RFC 6455 §5 and §7 (rfc6455-oracle.ts). `npm run fuzz`
 * runs the same property a million times and more.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { coreOutcome, disagreement } from './core-outcome.js';
import { describeInput, fuzzInput, scenarioOf } from './frame-sequences.js';
import { expectedOutcome, type ClientScenario, type ExpectedOutcome } from './rfc6455-oracle.js';

/** Runs per `npm test`: about a second. */
const RUNS = 1000;

/** Each disagreement the fuzzer found, kept as it was shrunk, with what the RFC requires. */
const COUNTEREXAMPLES: { name: string; scenario: ClientScenario; outcome: ExpectedOutcome }[] = [
  {
    // seed -1482830701: the core delivered an empty text message.
    name: 'fails with 1002 on a 16-bit length that 7 bits hold (§5.2: "the minimal number of bytes MUST be used")',
    scenario: { bytes: Buffer.from('81fe000000000000', 'hex'), maxMessageSize: 1 << 20, ending: 'tcp-closed' },
    outcome: { wire: ['close 1002', 'FIN'], app: ['error 1002'], closedWith: { code: 1006, reason: '' } },
  },
  {
    // The core read on, as a 6-byte fragment, after the application's Close.
    name: 'fails with 1002 on a 64-bit length that 16 bits hold, after the application started closing',
    scenario: {
      bytes: Buffer.from('02ff0000000000000006c2bfb9c81ad5784cebe5', 'hex'),
      maxMessageSize: 1 << 20,
      appClose: { at: 0, code: 1000 },
      ending: 'close-timeout',
    },
    outcome: { wire: ['close 1000', 'FIN', 'drop'], app: ['error 1002'], closedWith: { code: 1006, reason: '' } },
  },
  {
    // seed 202153695: the core reported 1005, as for a Close without a code.
    name: 'reports 1006 when a 1-byte Close body fails the connection (§7.1.5: no valid Close was received)',
    scenario: { bytes: Buffer.from('88810000000000', 'hex'), maxMessageSize: 1 << 20, ending: 'tcp-closed' },
    outcome: { wire: ['close 1002', 'FIN'], app: ['error 1002'], closedWith: { code: 1006, reason: '' } },
  },
  {
    // The core took the peer's Close 1004 as the answer to its own and reported 1004.
    name: 'fails with 1002 on a Close with code 1004 that answers the server\'s Close (§7.4.1), and reports 1006',
    scenario: { bytes: Buffer.from('88840000000003ec6262', 'hex'), maxMessageSize: 1 << 20, appClose: { at: 0, code: 4999 }, ending: 'tcp-end' },
    outcome: { wire: ['close 4999', 'FIN'], app: ['error 1002'], closedWith: { code: 1006, reason: '' } },
  },
];

describe('frame fuzzer: the core against an independent RFC 6455 oracle', () => {
  it(`agrees with the oracle on ${RUNS} random frame sequences in random chunkings`, () => {
    fc.assert(
      fc.property(fuzzInput, (input) => {
        const scenario = scenarioOf(input);
        const difference = disagreement(scenario, input.chunks, expectedOutcome(scenario));
        expect(difference, describeInput(input)).to.equal(undefined);
      }),
      { numRuns: RUNS },
    );
  });

  describe('counterexamples it found, kept', () => {
    for (const { name, scenario, outcome } of COUNTEREXAMPLES) {
      it(name, () => {
        expect(expectedOutcome(scenario), 'the oracle').to.deep.equal(outcome);
        for (const chunks of [[], [1], [3, 5]]) expect(coreOutcome(scenario, chunks), `the core, chunks ${JSON.stringify(chunks)}`).to.deep.equal(outcome);
      });
    }
  });
});
