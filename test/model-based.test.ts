/**
 * Model-based tests generated from the machines (src/model-based/): every generated path runs
 * against its machine and its compiled table, then over TCP against the echo server, whose
 * machines must take exactly the transitions the model predicts while the client sees exactly
 * what the model says it must. States and guard branches must all be covered, and
 * diagrams/autobahn-paths.md must be what the generator makes now.
 *
 * Deterministic: generation has no randomness, and the chopping of writes and the masking keys
 * come from a fixed seed. A failing path prints its steps, what was expected and observed, and
 * every byte exchanged.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startEchoServer } from '../src/echo-server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import { MACHINE_IDS } from '../src/model-based/event-samples.js';
import { executeOnMachine } from '../src/model-based/machine-execution.js';
import { describePath, generatePaths } from '../src/model-based/model-paths.js';
import { TRACEABILITY_FILE, traceabilityDocument } from '../src/model-based/traceability.js';
import { describeBranch, TransitionCoverage } from '../src/model-based/transition-branches.js';
import { describeRun, runPaths, type PathRunResult, type TransitionRecord } from '../src/probe/path-runner.js';
import { tracedCases } from './conformance/traced-cases.js';

/** Seeds the chopping of writes and the masking keys. */
const SEED = 6455;
/** The echo server's close timeout: short, so that the paths that wait for it are quick. */
const CLOSE_TIMEOUT_MS = 500;
const CONCURRENCY = 16;
/** The echo server's message size limit: small, so that a message inflating past it is cheap to send and to refuse. */
const MAX_MESSAGE_SIZE = 1024 * 1024;

/** This file runs as dist/test/model-based.test.js. */
const traceabilityPath = fileURLToPath(new URL(`../../diagrams/${TRACEABILITY_FILE}`, import.meta.url));

describe('model-based tests generated from the machines', function () {
  const paths = generatePaths();
  /** The server role's paths: the client role's run on the machines only (test/client-*.test.ts take it over TCP). */
  const serverPaths = paths.filter((path) => path.role === 'server');
  const onMachines = new TransitionCoverage();
  let overTcp = new Map<string, PathRunResult>();
  let tcpMilliseconds = 0;

  describe('each path against its machine (XState) and its compiled table', () => {
    for (const path of paths) {
      it(`${path.id}: ${describePath(path)}`, () => {
        const run = executeOnMachine(path);
        for (const branch of run.branches) onMachines.add(branch);
        assert.deepEqual(run.problems, [], `${path.id}: ${describePath(path)}`);
      });
    }
  });

  describe('each path over TCP against the echo server', function () {
    before(async function () {
      this.timeout(120_000);
      const records = new Map<string, TransitionRecord[]>();
      const connections = new Map<string, WebSocketConnection>();
      const echo = await startEchoServer({
        host: '127.0.0.1',
        port: 0,
        closeTimeoutMs: CLOSE_TIMEOUT_MS,
        maxMessageSize: MAX_MESSAGE_SIZE,
        onTransition: (connection, transition) => {
          let list = records.get(connection.requestUrl);
          if (list === undefined) records.set(connection.requestUrl, (list = []));
          list.push(transition);
        },
      });
      echo.server.on('connection', (connection: WebSocketConnection) => connections.set(connection.requestUrl, connection));
      const started = performance.now();
      try {
        const results = await runPaths(
          serverPaths,
          {
            host: '127.0.0.1',
            port: echo.port,
            requestPath: (path) => `/model-based/${path.id}`,
            closeTimeoutMs: CLOSE_TIMEOUT_MS,
            maxMessageSize: MAX_MESSAGE_SIZE,
            stepTimeoutMs: 2000,
            quietMs: 10,
            seed: SEED,
            requestClose: (requestPath, code) => {
              const connection = connections.get(requestPath);
              if (connection === undefined) return false;
              connection.close(code);
              return true;
            },
            transitionsOf: (requestPath) => records.get(requestPath) ?? [],
          },
          { concurrency: CONCURRENCY },
        );
        overTcp = new Map(results.map((result) => [result.path.id, result]));
      } finally {
        tcpMilliseconds = performance.now() - started;
        await echo.close();
      }
    });

    for (const path of serverPaths) {
      it(`${path.id}: ${describePath(path)}`, () => {
        const result = overTcp.get(path.id);
        assert.ok(result, `${path.id} did not run`);
        if (result.status !== 'passed') assert.fail(describeRun(result));
      });
    }
  });

  describe('coverage', () => {
    it('covers every state and every guard branch of every machine, on the machines and over TCP', () => {
      // Every transition the server's own records confirmed, and those the wire exercised where no
      // record can exist: before the opening handshake request, statesocket has no connection and so
      // no machines (a client that connects and closes at once never reaches them).
      const confirmed = new TransitionCoverage({ serverOnly: true });
      const exercised = new TransitionCoverage({ serverOnly: true });
      for (const result of overTcp.values()) {
        if (result.status !== 'passed') continue;
        for (const transition of result.transitions) {
          exercised.add(transition.branch);
          if (result.transitionsConfirmed) confirmed.add(transition.branch);
        }
      }
      const unconfirmed = MACHINE_IDS.flatMap((id) => confirmed.missing(id).filter((branch) => exercised.has(branch)));
      console.log(
        [
          '',
          `      model-based coverage: ${paths.length} paths (${paths.length - serverPaths.length} of the client role, on the machines only), seed ${SEED}, over TCP in ${(tcpMilliseconds / 1000).toFixed(1)} s`,
          '      on the machines (XState and the compiled table):',
          ...onMachines.summaryLines().map((line) => `        ${line}`),
          '      over TCP against the echo server, the server role (the wire checks passed):',
          ...exercised.summaryLines().map((line) => `        ${line}`),
          "      over TCP, confirmed by the server's own transition records:",
          ...confirmed.summaryLines().map((line) => `        ${line}`),
          ...unconfirmed.map(
            (branch) =>
              `        not observable in the server: ${branch.machineId} ${describeBranch(branch)} ` +
              '(taken before any request: statesocket has no machines for a connection yet)',
          ),
          '',
        ].join('\n'),
      );
      const missing = (coverage: TransitionCoverage) =>
        MACHINE_IDS.flatMap((id) => coverage.missing(id).map((branch) => `${id}: ${describeBranch(branch)}`));
      assert.deepEqual(missing(onMachines), [], 'transitions no path takes on the machines');
      assert.ok(onMachines.isComplete(), 'every state is reached on the machines');
      assert.deepEqual(missing(exercised), [], 'transitions no passing path takes over TCP');
      assert.ok(exercised.isComplete(), 'every state is reached over TCP');
    });
  });

  describe(`diagrams/${TRACEABILITY_FILE}`, () => {
    it('is what the machines, the generated paths and the conformance cases make now (else run `npm run traceability`)', async () => {
      const committed = await readFile(traceabilityPath, 'utf8').catch(() => undefined);
      const expected = traceabilityDocument(tracedCases(), paths);
      assert.ok(committed === expected, `diagrams/${TRACEABILITY_FILE} is stale: run \`npm run traceability\` and commit it`);
    });
  });
});
