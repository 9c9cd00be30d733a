/**
 * The fuzzingserver-direction harness grades a broken client as the real suite would: each
 * faulty echo client (test/client-conformance/faulty-echo-client.ts) breaks one rule, and the
 * verdict must name it.
 */
import { expect } from 'chai';
import type { ConformanceCase } from './conformance/case.js';
import { cases } from './conformance/cases/index.js';
import { startFaultyEchoClient, type Fault } from './client-conformance/faulty-echo-client.js';
import { FuzzingServer } from './client-conformance/fuzzing-server.js';
import { runClientCase, type ClientCaseVerdict } from './client-conformance/run-client-case.js';

function caseNamed(id: string): ConformanceCase {
  const found = cases.find((testCase) => testCase.id === id);
  if (found === undefined) throw new Error(`no case ${id}`);
  return found;
}

/** Every (case, fault) the tests look at, run side by side before them (most wait out a 1 s timer). */
const RUNS: readonly (readonly [string, Fault])[] = [
  ['1.1.2', 'closesWith1000'],
  ['1.1.2', 'unmasked'],
  ['1.1.2', 'textAsBinary'],
  ['7.3.3', 'silentOnClose'],
  ['2.5', 'closesWith1000'],
  ['3.1', 'silentOnClose'],
  ['1.1.1', 'badKey'],
];

describe('the fuzzingserver-direction harness', function () {
  const verdicts = new Map<string, ClientCaseVerdict>();
  before(async function () {
    const server = await FuzzingServer.start();
    try {
      // One fuzzing server waits for one connection per case id: run each case id's faults one after the other.
      const ids = [...new Set(RUNS.map(([id]) => id))];
      await Promise.all(
        ids.map(async (id) => {
          for (const [, fault] of RUNS.filter(([runId]) => runId === id)) {
            verdicts.set(`${id} ${fault}`, await runClientCase(caseNamed(id), server, { startClient: startFaultyEchoClient(fault) }));
          }
        }),
      );
    } finally {
      await server.close();
    }
  });

  const run = async (id: string, fault: Fault): Promise<ClientCaseVerdict> => verdicts.get(`${id} ${fault}`)!;

  it('passes a client that follows the rules (1.1.2 with a faultless raw client)', async function () {
    // The raw client with a fault that 1.1.2 never exercises (it is never sent a frame to fail on).
    const verdict = await run('1.1.2', 'closesWith1000');
    expect(verdict.failure).to.equal(undefined);
    expect(verdict.cleanClose).to.equal(true);
  });

  it('fails a client whose frames are not masked (RFC 6455 §5.1), closing with 1002', async function () {
    const verdict = await run('1.1.2', 'unmasked');
    expect(verdict.outcome?.clientViolation).to.match(/unmasked frame/);
    expect(verdict.behaviour.grade).to.equal('FAILED');
    expect(verdict.failure).to.match(/protocol: the client sent an unmasked frame/);
  });

  it('fails a client that echoes a text message as binary (behaviour; and no Close comes, as in the real suite)', async function () {
    const verdict = await run('1.1.2', 'textAsBinary');
    expect(verdict.behaviour.grade).to.equal('FAILED');
    // The harness closes only once the expected echo came: the case's guard timer drops TCP instead.
    expect(verdict.closingBehaviour.grade).to.equal('FAILED');
  });

  it('grades UNCLEAN a client that never answers the Close, and not a clean close', async function () {
    const verdict = await run('7.3.3', 'silentOnClose');
    expect(verdict.closingBehaviour.grade).to.equal('UNCLEAN');
    expect(verdict.cleanClose).to.equal(false);
  });

  it('grades WRONG CODE a client that fails the connection with 1000 instead of 1002 (2.5)', async function () {
    const verdict = await run('2.5', 'closesWith1000');
    expect(verdict.closingBehaviour.grade).to.equal('WRONG CODE');
  });

  it('grades OK a client that fails the connection itself with 1002 where it must (3.1: RSV1 with no extension)', async function () {
    const verdict = await run('3.1', 'silentOnClose');
    expect(verdict.failure).to.equal(undefined);
    expect(verdict.outcome?.clientCloseCode).to.equal(1002);
    expect(verdict.outcome?.closeStartedBy).to.equal('client');
  });

  it('refuses an opening handshake whose Sec-WebSocket-Key is not 16 octets (§4.1)', async function () {
    const verdict = await run('1.1.1', 'badKey');
    expect(verdict.error).to.match(/Sec-WebSocket-Key/);
    expect(verdict.behaviour.grade).to.equal('FAILED');
  });
});
