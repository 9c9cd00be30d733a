/**
 * Runs conformance cases against a running server: one TCP connection per case, to the path
 * `/conformance/<id>`, so that the server's transition records can be told apart by request
 * URL when cases run side by side.
 *
 * ```ts
 * const transitions = new TransitionLog();
 * const echo = await startEchoServer({ host: '127.0.0.1', port: 0, onTransition: transitions.onTransition });
 * const result = await runCase(someCase, { url: echo.url, transitions });
 * result.failure; // undefined when the case passed, else what went wrong
 * ```
 * `runCases` runs many, a few at a time; `executeCase` and `gradeRun` are runCase's two halves.
 * `runAndGradeCases` grades each case as soon as it ends and keeps only the verdict, for cases
 * whose events and paths are too large to keep until all have run (sections 12 and 13).
 */
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import { guardToName, writeStep } from '../../src/model-based/declared-steps.js';
import type { ConformanceCase, ExpectedPath, ReceivedEvent, SentMessage } from './case.js';
import { failureMessage, gradeCase, MACHINE_IDS, type CaseGrades } from './grade.js';
import { WireClient, type CloseOutcome } from './wire-client.js';

/** One transition of one of the server's machines, as the server reports it. */
export interface TransitionRecord {
  readonly machineId: string;
  readonly eventType: string;
  readonly source: string;
  readonly target: string;
  /**
   * The guard branch taken, where the source state has several on this event that end in this
   * target (src/model-based/declared-steps.ts): told from the event, so that a declared
   * `CLOSE_FRAME[hasOneByteCloseBody]->failed` is checked, not only `CLOSE_FRAME->failed`.
   */
  readonly guard?: string | undefined;
}

/** How long a case's script, and then the wait for the connection to close, may take by default. */
export const DEFAULT_CASE_TIMEOUT_MS = 5000;
/** How long to wait, after TCP closed on the client's side, for the server's connection machine to reach `closed`. */
const SERVER_CLOSED_GRACE_MS = 1000;

/** The request path a case's connection asks for. */
export function casePath(id: string): string {
  return `/conformance/${id}`;
}

/** The server's transition records, per request URL. Pass `onTransition` to the server. */
export class TransitionLog {
  private readonly records = new Map<string, TransitionRecord[]>();
  private readonly closedWaiters = new Map<string, (() => void)[]>();

  /**
   * Records the transition, with the guard branch it took where its step must name one (read
   * from the event at once: the server may reuse the event object).
   */
  readonly onTransition = (connection: { readonly requestUrl: string }, record: TransitionRecord, event: ProtocolEvent): void => {
    const url = connection.requestUrl;
    let list = this.records.get(url);
    if (list === undefined) this.records.set(url, (list = []));
    const { machineId, eventType, source, target } = record;
    list.push({ machineId, eventType, source, target, guard: guardToName(machineId, source, event, target) });
    if (record.machineId === 'connection' && record.target === 'closed') {
      for (const wake of this.closedWaiters.get(url) ?? []) wake();
      this.closedWaiters.delete(url);
    }
  };

  /** The records of `requestUrl` so far, in order. */
  recordsOf(requestUrl: string): readonly TransitionRecord[] {
    return this.records.get(requestUrl) ?? [];
  }

  forget(requestUrl: string): void {
    this.records.delete(requestUrl);
  }

  /** Whether the connection machine of `requestUrl` reached `closed`. */
  hasClosed(requestUrl: string): boolean {
    return this.recordsOf(requestUrl).some((record) => record.machineId === 'connection' && record.target === 'closed');
  }

  /** Resolves true once the connection machine of `requestUrl` reached `closed`, false after `ms`. */
  waitForClosed(requestUrl: string, ms: number): Promise<boolean> {
    if (this.hasClosed(requestUrl)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      const waiters = this.closedWaiters.get(requestUrl) ?? [];
      waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      this.closedWaiters.set(requestUrl, waiters);
    });
  }

  /** Each machine's recorded transitions, `EVENT->target` joined by single spaces. */
  pathOf(requestUrl: string): ExpectedPath {
    return renderPath(this.recordsOf(requestUrl));
  }
}

/** Each machine's transitions among `records`, `EVENT->target` (or `EVENT[guard]->target`) joined by single spaces. */
export function renderPath(records: readonly TransitionRecord[]): ExpectedPath {
  const path = (machineId: string) =>
    records
      .filter((record) => record.machineId === machineId)
      .map((record) => writeStep(record.eventType, record.guard, record.target))
      .join(' ');
  const [connection, message, closingHandshake] = MACHINE_IDS.map(path) as [string, string, string];
  return { connection, message, closingHandshake };
}

/** Where to run cases: the server's ws:// URL and, when the server reports them, its transitions. */
export interface CaseTarget {
  url: string;
  transitions?: TransitionLog;
}

/** What happened when a case ran, before grading. */
export interface CaseRun {
  testCase: ConformanceCase;
  received: readonly ReceivedEvent[];
  /** How the connection ended; undefined when it never opened. */
  close: CloseOutcome | undefined;
  /** The server's transition records for the case's connection; undefined when the target reports none. */
  transitions: readonly TransitionRecord[] | undefined;
  /** The messages the client sent with `sendMessage`. */
  sent: readonly SentMessage[];
  /** The server's |Sec-WebSocket-Extensions| answer; undefined when it sent none or the connection never opened. */
  extensionResponse: string | undefined;
  /** The opening handshake failed or the script threw. */
  error: string | undefined;
  durationMs: number;
}

export interface CaseResult extends CaseGrades {
  id: string;
  title: string;
  received: readonly ReceivedEvent[];
  close: CloseOutcome | undefined;
  /** The paths the server's machines took; undefined when the target reports no transitions. */
  actualPath: ExpectedPath | undefined;
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
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Runs one case without grading it: opens its connection, runs its script, waits for the
 * connection to close (bounded by `timeoutMs`, 5 s by default, for the script and again for the
 * close — then the client drops TCP) and briefly for the server's connection machine to reach
 * `closed`. Never rejects: whatever goes wrong is in the run.
 */
export async function executeCase(testCase: ConformanceCase, target: CaseTarget): Promise<CaseRun> {
  const started = performance.now();
  const requestPath = casePath(testCase.id);
  const log = target.transitions;
  log?.forget(requestPath);
  const budget = testCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const run = (client: WireClient | undefined, error: string | undefined): CaseRun => {
    const transitions = log?.recordsOf(requestPath);
    log?.forget(requestPath);
    return {
      testCase,
      received: client?.received ?? [],
      close: client?.outcome(),
      transitions,
      sent: client?.sent ?? [],
      extensionResponse: client?.extensionResponse,
      error,
      durationMs: Math.round(performance.now() - started),
    };
  };

  let client: WireClient;
  try {
    client = await WireClient.connect(target.url, requestPath, {
      extensionOffer: testCase.extensionOffer,
      digestMessages: testCase.digestMessages,
    });
  } catch (error) {
    return run(undefined, describeError(error));
  }

  let error: string | undefined;
  const script = (async () => testCase.script(client))().catch((thrown: unknown) => {
    error = `the script threw: ${describeError(thrown)}`;
    client.drop('the script threw');
  });
  if (!(await settlesWithin(script, budget))) client.drop(`the script did not finish within ${budget} ms`);
  if (!(await client.waitForClose(budget))) client.drop(`the connection was still open ${budget} ms after the script ended`);
  await client.closed;
  // The script's waits end when the connection closes; a script stuck elsewhere is left behind.
  await settlesWithin(script, 1000);
  if (log !== undefined) await log.waitForClosed(requestPath, SERVER_CLOSED_GRACE_MS);
  return run(client, error);
}

/** Grades a run: behaviour, closing behaviour and, when transitions were recorded, the paths. */
export function gradeRun(run: CaseRun): CaseResult {
  const { testCase, received, close, error } = run;
  const actualPath = run.transitions === undefined ? undefined : renderPath(run.transitions);
  const grades: CaseGrades =
    close === undefined
      ? {
          behaviour: { grade: 'FAILED', detail: 'the connection never opened' },
          closingBehaviour: { grade: 'FAILED', detail: 'the connection never opened' },
          pathProblems: undefined,
          extensionProblem: undefined,
        }
      : gradeCase(testCase, received, close, actualPath, run);
  return {
    id: testCase.id,
    title: testCase.title,
    received,
    close,
    actualPath,
    error,
    ...grades,
    failure: failureMessage(grades, error),
    durationMs: run.durationMs,
  };
}

/** Runs and grades one case. */
export async function runCase(testCase: ConformanceCase, target: CaseTarget): Promise<CaseResult> {
  return gradeRun(await executeCase(testCase, target));
}

/**
 * Runs cases, `concurrency` at a time (they are independent: one connection each), then grades
 * them all — grading large payloads is CPU work that would stall the connections still running
 * (client and server share this process and its event loop, and the close timers are 1 s).
 * Returns the results by id; `onResult` hears of each as it is graded.
 */
export async function runCases(
  cases: readonly ConformanceCase[],
  target: CaseTarget,
  options: { concurrency?: number; onResult?: (result: CaseResult) => void } = {},
): Promise<Map<string, CaseResult>> {
  const runs = new Map<ConformanceCase, CaseRun>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const testCase = cases[next++]!;
      runs.set(testCase, await executeCase(testCase, target));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  const results = new Map<string, CaseResult>();
  for (const testCase of cases) {
    const result = gradeRun(runs.get(testCase)!);
    results.set(testCase.id, result);
    options.onResult?.(result);
  }
  return results;
}

/** A graded case without its events and paths: what `runAndGradeCases` keeps. */
export type CaseVerdict = Omit<CaseResult, 'received' | 'actualPath'>;

/**
 * Runs cases, `concurrency` at a time, grading each as soon as it ends and keeping only its
 * verdict — for cases that exchange so much (thousands of messages, hundreds of thousands of
 * transitions) that holding every run until all have ended would not fit in memory. The
 * grading's CPU work then happens while other cases run; keep what a case grades cheap
 * (digests, not payloads). `onRun` sees each run before it is graded and dropped. Returns the
 * verdicts by id, in the cases' order.
 */
export async function runAndGradeCases(
  cases: readonly ConformanceCase[],
  target: CaseTarget,
  options: { concurrency?: number; onRun?: (run: CaseRun) => void; onResult?: (verdict: CaseVerdict) => void } = {},
): Promise<Map<string, CaseVerdict>> {
  const verdicts = new Map<string, CaseVerdict>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const testCase = cases[next++]!;
      const run = await executeCase(testCase, target);
      options.onRun?.(run);
      const { received: _received, actualPath: _actualPath, ...verdict } = gradeRun(run);
      verdicts.set(testCase.id, verdict);
      options.onResult?.(verdict);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return new Map(cases.filter((testCase) => verdicts.has(testCase.id)).map((testCase) => [testCase.id, verdicts.get(testCase.id)!]));
}
