/**
 * Runs conformance cases in the fuzzingserver direction: for each case, the fuzzing server
 * waits for the client under test on `/case/<id>`, an echo client (client-under-test.ts)
 * connects there, and the case's script plays from the server's end (fuzzing-connection.ts).
 * Each case is graded as soon as it ends — behaviour as grade.ts grades it (the same expected
 * events: the echo client sends back what the case sends), closing behaviour as Autobahn grades a
 * client (closing-grade.ts) — and only its verdict is kept.
 *
 * A compression case (sections 12, 13) whose client makes no offer the harness can accept is
 * UNIMPLEMENTED, as in the real suite: the harness closes with 1000 at once.
 */
import type { ConformanceCase } from '../conformance/case.js';
import { comparePaths, declaredPath, gradeBehaviour, type BehaviourGrade, type ClosingBehaviourGrade, type Graded } from '../conformance/grade.js';
import { renderPath } from '../conformance/run-case.js';
import { clientPathOf } from './client-declared-path.js';
import { startEchoClient, type ClientTransition, type EchoClient, type EchoClientEnd, type EchoClientOptions } from './client-under-test.js';
import { gradeFuzzingClose, isCleanClose } from './closing-grade.js';
import { expectsDeflate } from './deflate-answers.js';
import { casePathOf, type FuzzingServer } from './fuzzing-server.js';
import type { FuzzingCloseOutcome } from './fuzzing-connection.js';

/** How long a case's script, and then the wait for the connection to close, may take by default. */
export const DEFAULT_CASE_TIMEOUT_MS = 5000;
/** How long to wait, once TCP closed, for the client under test to report its `close` event. */
const CLIENT_CLOSE_GRACE_MS = 2000;

export type ClientBehaviourGrade = BehaviourGrade | 'UNIMPLEMENTED';

export interface ClientCaseVerdict {
  id: string;
  title: string;
  behaviour: Graded<ClientBehaviourGrade>;
  closingBehaviour: Graded<ClosingBehaviourGrade>;
  /** A Close from the client, and TCP dropped by the harness first (closing-grade.ts). */
  cleanClose: boolean;
  outcome: FuzzingCloseOutcome | undefined;
  /** The client's own account: its `close` event (undefined if it never fired) and errors. */
  clientEnd: EchoClientEnd | undefined;
  /**
   * How the client's machines' paths differ from the declared ones (client-declared-path.ts), one
   * entry per machine; undefined when the client reports no transitions (ws) or the case did not run.
   */
  pathProblems: string[] | undefined;
  /** The harness's |Sec-WebSocket-Extensions| answer. */
  extensionAnswer: string | undefined;
  /** The opening handshake failed or the script threw. */
  error: string | undefined;
  /** Everything wrong with the case, for a test's failure message; undefined when it passed. */
  failure: string | undefined;
  durationMs: number;
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Everything wrong with a verdict, one line each; undefined when it passed. */
function failureOf(verdict: Omit<ClientCaseVerdict, 'failure'>): string | undefined {
  const problems: string[] = [];
  if (verdict.error !== undefined) problems.push(`error: ${verdict.error}`);
  const behaviour = verdict.behaviour.grade;
  if (behaviour !== 'OK' && behaviour !== 'INFORMATIONAL') problems.push(`behaviour ${behaviour}: ${verdict.behaviour.detail}`);
  if (verdict.closingBehaviour.grade !== 'OK') {
    problems.push(`closing behaviour ${verdict.closingBehaviour.grade}: ${verdict.closingBehaviour.detail}`);
  }
  const violation = verdict.outcome?.clientViolation;
  if (violation !== undefined) problems.push(`protocol: ${violation}`);
  for (const problem of verdict.pathProblems ?? []) problems.push(problem);
  return problems.length === 0 ? undefined : problems.join('\n');
}

/** How to run cases: the client's options and, for the harness's own tests, another client to start. */
export interface ClientRunOptions {
  clientOptions?: EchoClientOptions;
  startClient?: (url: string, options: EchoClientOptions) => EchoClient;
}

/** Runs one case against a fresh echo client and grades it. Never rejects. */
export async function runClientCase(testCase: ConformanceCase, server: FuzzingServer, run: ClientRunOptions = {}): Promise<ClientCaseVerdict> {
  const { clientOptions = {}, startClient = startEchoClient } = run;
  const started = performance.now();
  const transitions: ClientTransition[] = [];
  const budget = testCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const accepting = server.expectCase(testCase);
  const client = startClient(`${server.url}${casePathOf(testCase.id)}`, {
    ...clientOptions,
    onTransition: (transition) => transitions.push(transition),
  });
  const verdictOf = (parts: Omit<ClientCaseVerdict, 'failure' | 'id' | 'title' | 'pathProblems' | 'durationMs'> & { pathProblems?: string[] }): ClientCaseVerdict => {
    const verdict = { id: testCase.id, title: testCase.title, pathProblems: undefined, durationMs: Math.round(performance.now() - started), ...parts };
    return { ...verdict, failure: failureOf(verdict) };
  };

  let accepted;
  try {
    accepted = await accepting;
  } catch (error) {
    client.terminate();
    const clientEnd = (await settlesWithin(client.ended, CLIENT_CLOSE_GRACE_MS)) ? await client.ended : undefined;
    const never = { grade: 'FAILED', detail: 'the connection never opened' } as const;
    return verdictOf({ behaviour: never, closingBehaviour: never, cleanClose: false, outcome: undefined, clientEnd, extensionAnswer: undefined, error: describeError(error) });
  }
  const { connection, deflate } = accepted;

  let error: string | undefined;
  const unimplemented = expectsDeflate(testCase.id) && deflate === undefined;
  const script = unimplemented
    ? connection.sendClose(1000)
    : (async () => testCase.script(connection))().catch((thrown: unknown) => {
        error = `the script threw: ${describeError(thrown)}`;
        connection.dropTcp('the script threw');
      });
  if (!(await settlesWithin(script, budget))) connection.dropTcp(`the script did not finish within ${budget} ms`);
  if (!(await connection.waitForClose(budget))) connection.dropTcp(`the connection was still open ${budget} ms after the script ended`);
  await connection.closed;
  await settlesWithin(script, 1000);
  let clientEnd: EchoClientEnd | undefined;
  if (await settlesWithin(client.ended, CLIENT_CLOSE_GRACE_MS)) clientEnd = await client.ended;
  else client.terminate();

  const outcome = connection.outcome();
  const behaviour: Graded<ClientBehaviourGrade> = unimplemented
    ? { grade: 'UNIMPLEMENTED', detail: `no permessage-deflate offer the harness could accept (offer: ${accepted.extensionOffer ?? 'none'})` }
    : gradeBehaviour(testCase, connection.received);
  // The client's paths, against the case's declared path for what the harness sent (compressed sizes).
  const pathProblems =
    transitions.length === 0 || unimplemented
      ? undefined
      : comparePaths(clientPathOf(declaredPath(testCase, { sent: connection.sent })), renderPath(transitions));
  return verdictOf({
    behaviour,
    pathProblems,
    closingBehaviour: gradeFuzzingClose(testCase.close, outcome),
    cleanClose: isCleanClose(outcome),
    outcome,
    clientEnd,
    extensionAnswer: deflate?.header,
    error,
  });
}

/** Runs cases, `concurrency` at a time, each graded as it ends; returns the verdicts by id, in the cases' order. */
export async function runClientCases(
  cases: readonly ConformanceCase[],
  server: FuzzingServer,
  options: ClientRunOptions & { concurrency?: number; onVerdict?: (verdict: ClientCaseVerdict) => void } = {},
): Promise<Map<string, ClientCaseVerdict>> {
  const verdicts = new Map<string, ClientCaseVerdict>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const testCase = cases[next++]!;
      const verdict = await runClientCase(testCase, server, options);
      verdicts.set(testCase.id, verdict);
      options.onVerdict?.(verdict);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return new Map(cases.filter((testCase) => verdicts.has(testCase.id)).map((testCase) => [testCase.id, verdicts.get(testCase.id)!]));
}
