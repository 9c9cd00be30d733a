/**
 * The second execution of a generated path: over TCP, against a running server.
 *
 * Each event of the path becomes a wire step (src/model-based/wire-adapter.ts); the model
 * (src/model-based/protocol-model.ts) predicts what the server must then do; the step is taken,
 * and what the server does within the step's window is compared with the prediction:
 * - always, what the client can see: the HTTP response, echoed messages, Pongs, Close frames and
 *   their codes, the server's FIN, the server dropping TCP;
 * - when the server reports its machines' transitions (statesocket in-process, `transitionsOf`),
 *   also every transition of every machine;
 * - always, what RFC 6455 requires of the step, judged apart from the machines
 *   (src/model-based/rfc-expectations.ts), so that a wrong machine cannot vouch for itself.
 * A step's window ends once everything expected was seen (and recorded), plus a quiet period in
 * which nothing else may arrive.
 *
 * The path must be realised faithfully: after each wire step the model's transitions of the
 * path's machine must be the path's next steps (same event, same guard branch, same target). A
 * path the server's own choices make impossible to follow — it declined permessage-deflate, or
 * the step needs the server's application (CLOSE_REQUESTED) and the target has none — is skipped,
 * with the reason.
 */
import { describeEvent, openingHandshakeOf } from '../model-based/event-samples.js';
import { executeOnMachine } from '../model-based/machine-execution.js';
import type { ModelPath } from '../model-based/model-paths.js';
import { ProtocolModel, type ModelTransition, type StepPrediction } from '../model-based/protocol-model.js';
import { RfcExpectations } from '../model-based/rfc-expectations.js';
import { pathSeed, WireAdapter } from '../model-based/wire-adapter.js';
import {
  describeObservables,
  describeWireStep,
  encodeWireFrame,
  expectationsMet,
  observablesMatch,
  type Observable,
  type WireStep,
} from '../model-based/wire-steps.js';
import { ProbeClient, type WireLogEntry } from './probe-client.js';

/** One transition of one machine, as a server reports it. */
export interface TransitionRecord {
  readonly machineId: string;
  readonly eventType: string;
  readonly source: string;
  readonly target: string;
}

export interface PathTarget {
  readonly host: string;
  readonly port: number;
  /** The request target of the opening handshake for this path, e.g. `/` or `/model-based/<id>`. */
  readonly requestPath: (path: ModelPath) => string;
  /** How long the server waits for the peer before dropping TCP (its close timeout). */
  readonly closeTimeoutMs: number;
  /** How long to wait for what a step must make the server do. */
  readonly stepTimeoutMs: number;
  /** How long nothing else may arrive after a step's expectations were met. */
  readonly quietMs: number;
  /** Seeds the chopping of writes and the masking keys. */
  readonly seed: number;
  /** The server's message size limit, if known (default 64 MiB): a message inflating past it must fail. */
  readonly maxMessageSize?: number | undefined;
  /** The server's application starts the closing handshake on this connection; false when it cannot. */
  readonly requestClose?: ((requestPath: string, code: number) => boolean) | undefined;
  /** The server's machine transitions on this connection so far. */
  readonly transitionsOf?: ((requestPath: string) => readonly TransitionRecord[]) | undefined;
}

export interface StepResult {
  /** The machine event the step stands for (undefined for the opening handshake a path starts with). */
  readonly event: string | undefined;
  readonly wireStep: string;
  readonly expected: readonly Observable[];
  readonly observed: readonly Observable[];
  readonly transitions: readonly ModelTransition[];
  readonly problem: string | undefined;
}

export type PathStatus = 'passed' | 'failed' | 'skipped';

export interface PathRunResult {
  readonly path: ModelPath;
  readonly status: PathStatus;
  /** Why it failed or was skipped. */
  readonly reason: string | undefined;
  readonly steps: readonly StepResult[];
  readonly log: readonly WireLogEntry[];
  readonly durationMs: number;
  /** Every transition the model predicted while the path ran (teardown aside). */
  readonly transitions: readonly ModelTransition[];
  /** Whether the server's own records confirmed `transitions` (only with `transitionsOf`, once a request was sent). */
  readonly transitionsConfirmed: boolean;
}

class PathNotFollowed extends Error {
  constructor(
    message: string,
    readonly status: 'failed' | 'skipped',
  ) {
    super(message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` until it holds or `ms` passed; true when it held. */
async function waitUntil(done: () => boolean, ms: number, onTick?: () => void): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    onTick?.();
    await sleep(2);
  }
  return true;
}

function describeRecord(record: TransitionRecord): string {
  return `${record.machineId}: ${record.source} --${record.eventType}--> ${record.target}`;
}

/** Runs one path against the target. Never rejects: whatever goes wrong is in the result. */
export async function runPath(path: ModelPath, target: PathTarget): Promise<PathRunResult> {
  const started = performance.now();
  const model = new ProtocolModel();
  // The RFC's own expectations, written apart from the machines the model steps.
  const rfc = new RfcExpectations();
  const adapter = new WireAdapter(
    pathSeed(target.seed, path.id),
    `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`,
    target.maxMessageSize,
  );
  const requestPath = target.requestPath(path);
  const expectedBranches = executeOnMachine(path).branches;
  const steps: StepResult[] = [];
  let client: ProbeClient | undefined;
  let requestSent = false;
  let deflateDeclined = false;

  const records = () => (requestSent && target.transitionsOf ? target.transitionsOf(requestPath) : undefined);

  /** Takes one wire step and checks what the server does. */
  const take = async (event: string | undefined, step: WireStep): Promise<void> => {
    const c = client!;
    const before = c.observed.length;
    const finBefore = c.finReceived;
    let prediction: StepPrediction;
    let timeout = target.stepTimeoutMs;
    if (step.kind === 'handshake') {
      c.sendRequest(step.method, requestPath, step.httpVersion, step.headers, step.offerDeflate);
      requestSent = true;
      await waitUntil(() => c.responded, target.stepTimeoutMs);
      const response = c.observed.slice(before).find((item) => item.kind === 'http');
      const agreed = response?.kind === 'http' && response.deflate;
      if (step.offerDeflate && response?.kind === 'http' && response.status === 101 && !agreed) deflateDeclined = true;
      // RFC 6455 §4.2.2 item 5.4: the server chooses a subprotocol, or none; the model follows it.
      const subprotocol = response?.kind === 'http' ? response.subprotocol : undefined;
      prediction = model.apply(step, agreed, subprotocol);
    } else {
      prediction = model.apply(step);
      switch (step.kind) {
        case 'frame': {
          const { header, payload } = encodeWireFrame(step.frame);
          const bytes = step.part === 'whole' ? Buffer.concat([header, payload]) : step.part === 'header' ? header : payload;
          await c.write(bytes, step.chopping);
          break;
        }
        case 'violation':
          await c.write(step.bytes, step.chopping);
          break;
        case 'tcp-end':
          c.end();
          break;
        case 'tcp-reset':
          c.reset();
          break;
        case 'await-close-timeout':
          c.note('·', `waiting up to ${target.closeTimeoutMs} ms for the server's close timeout`);
          timeout += target.closeTimeoutMs;
          break;
        case 'request-close':
          c.note('·', `server application: close(${step.code})`);
          if (!target.requestClose?.(requestPath, step.code)) throw new PathNotFollowed('the server application could not be asked to close', 'failed');
          break;
      }
    }
    const expected = prediction.expected;
    // A server that already sent FIN shows that it dropped TCP only by refusing our next octet.
    const mustPoke = expected.some((item) => item.kind === 'drop') && finBefore;
    let lastPoke = 0;
    const poke = () => {
      if (!mustPoke || performance.now() - lastPoke < 50) return;
      lastPoke = performance.now();
      c.poke();
    };
    const seen = () => c.observed.slice(before);
    await waitUntil(() => expectationsMet(expected, seen()), timeout, poke);
    const predictedCount = model.transitions.length;
    await waitUntil(() => (records()?.length ?? predictedCount) >= predictedCount, target.stepTimeoutMs);
    await sleep(target.quietMs);

    const observed = seen();
    const problems: string[] = [];
    if (!observablesMatch(expected, observed)) {
      problems.push(`expected ${describeObservables(expected)}, observed ${describeObservables(observed)}`);
    }
    for (const broken of rfc.check(step, observed)) problems.push(`RFC: ${broken}`);
    const recorded = records();
    if (recorded !== undefined) {
      const want = model.transitions.map(describeRecord);
      const got = recorded.map(describeRecord);
      const first = want.findIndex((line, i) => got[i] !== line);
      if (first >= 0 || got.length !== want.length) {
        const at = first >= 0 ? first : Math.min(want.length, got.length);
        problems.push(
          `the server's machines took ${got[at] ?? 'no transition'} where the model says ${want[at] ?? 'no further transition'} ` +
            `(transition ${at + 1}; server: [${got.join('; ')}])`,
        );
      }
    }
    const problem = problems.length > 0 ? problems.join('; ') : undefined;
    steps.push({ event, wireStep: describeWireStep(step), expected, observed, transitions: prediction.transitions, problem });
    if (problem !== undefined) throw new PathNotFollowed(problem, 'failed');
  };

  /** The model's transitions of the path's machine must be the path's steps so far. */
  const checkFollowed = (upTo: number) => {
    const taken = model.transitionsOf(path.machineId);
    for (let i = 0; i < Math.min(taken.length, path.steps.length); i++) {
      const want = expectedBranches[i]!;
      const got = taken[i]!;
      if (got.branch.key !== want.key || got.target !== path.steps[i]!.state) {
        throw notFollowed(`step ${i + 1} ${describeEvent(path.steps[i]!.event)}: the wire made ${path.machineId} take ${got.source} --${got.eventType}--> ${got.target} (${got.branch.key}) instead of ${want.key} → ${path.steps[i]!.state}`);
      }
    }
    if (taken.length < upTo) {
      throw notFollowed(`step ${upTo} ${describeEvent(path.steps[upTo - 1]!.event)}: the wire step did not make ${path.machineId} take it`);
    }
  };
  const notFollowed = (message: string) =>
    deflateDeclined
      ? new PathNotFollowed(`the server declined permessage-deflate, which the path needs (${message})`, 'skipped')
      : new PathNotFollowed(message, 'failed');

  let status: PathStatus = 'passed';
  let reason: string | undefined;
  try {
    client = await ProbeClient.connect(target.host, target.port, target.stepTimeoutMs);
    const opening = openingHandshakeOf[path.machineId];
    // A declined permessage-deflate stops only the paths that send compressed messages (checkFollowed).
    if (opening !== undefined) await take(undefined, adapter.stepFor(opening, model)!);
    for (let i = 0; i < path.steps.length; i++) {
      if (model.transitionsOf(path.machineId).length > i) continue; // an earlier step produced it
      const event = path.steps[i]!.event;
      const step = adapter.stepFor(event, model);
      if (step === undefined) throw new PathNotFollowed(`step ${i + 1} ${describeEvent(event)}: no wire step produces it here`, 'failed');
      if (step.kind === 'request-close' && target.requestClose === undefined) {
        throw new PathNotFollowed(`step ${i + 1} ${describeEvent(event)} needs the server's application to start the closing handshake`, 'skipped');
      }
      await take(describeEvent(event), step);
      checkFollowed(i + 1);
    }
  } catch (error) {
    if (error instanceof PathNotFollowed) {
      status = error.status;
      reason = error.message;
    } else {
      status = 'failed';
      reason = error instanceof Error ? error.message : String(error);
    }
  } finally {
    if (client !== undefined && !client.closed) {
      client.reset();
      await client.waitClosed(1000);
    }
  }
  return {
    path,
    status,
    reason,
    steps,
    log: client?.log ?? [],
    durationMs: Math.round(performance.now() - started),
    transitions: [...model.transitions],
    transitionsConfirmed: status === 'passed' && requestSent && target.transitionsOf !== undefined,
  };
}

/** Runs paths, `concurrency` at a time (one connection each); results in the paths' order. */
export async function runPaths(
  paths: readonly ModelPath[],
  target: PathTarget,
  options: { concurrency?: number; onResult?: (result: PathRunResult) => void; stop?: () => boolean } = {},
): Promise<PathRunResult[]> {
  const results: PathRunResult[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    // `stop`: the paths not started yet have no result.
    while (next < paths.length && !options.stop?.()) {
      const index = next++;
      results[index] = await runPath(paths[index]!, target);
      options.onResult?.(results[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return results.filter((result) => result !== undefined);
}

/** A failed path, for a test's message or the probe's verbose report: the path, each step, the bytes. */
export function describeRun(result: PathRunResult): string {
  const lines = [`${result.path.id} ${result.status}${result.reason ? `: ${result.reason}` : ''}`];
  lines.push(`  path: ${result.path.steps.map((step) => `${describeEvent(step.event)} → ${step.state}`).join(', ')}`);
  result.steps.forEach((step, i) => {
    lines.push(`  step ${i}: ${step.event ?? '(opening handshake)'} as ${step.wireStep}`);
    lines.push(`    expected ${describeObservables(step.expected)}, observed ${describeObservables(step.observed)}`);
    for (const t of step.transitions) lines.push(`    model: ${t.machineId}: ${t.source} --${t.eventType}--> ${t.target}`);
    if (step.problem) lines.push(`    PROBLEM: ${step.problem}`);
  });
  lines.push('  bytes exchanged:');
  for (const entry of result.log) lines.push(`    ${String(entry.at).padStart(5)} ms ${entry.direction} ${entry.text}`);
  return lines.join('\n');
}
