/**
 * `statesocket probe ws://host:port/path`: runs the paths generated from the machines against any
 * WebSocket echo server and reports, per path, passed / failed (expected against observed) /
 * skipped (why), then a one-line summary. Exit code 0 when nothing failed, 1 when something did,
 * 2 when the probe could not run.
 *
 * Against a server other than statesocket in-process only what the client can see is checked
 * (the server's machines are not observable), and paths that need the server's application
 * (CLOSE_REQUESTED: the server starting the closing handshake) are skipped. Paths that wait for the
 * server's close timeout wait `--close-timeout-ms` (30 s by default, as ws and statesocket use);
 * they all run at once, so the probe takes about that long.
 */
import { parseArgs } from 'node:util';
import { MACHINE_IDS, type MachineId } from '../model-based/event-samples.js';
import { describePath, generateServerPaths, type ModelPath } from '../model-based/model-paths.js';
import { describeEvent } from '../model-based/event-samples.js';
import { isValidCloseCode } from '../close-code.js';
import { describeRun, runPaths, type PathRunResult, type PathTarget } from './path-runner.js';
import { checkEchoServer } from './echo-check.js';

export interface ProbeOptions {
  /** How long the server waits for the peer to finish closing before it drops TCP. Default 30000. */
  closeTimeoutMs?: number;
  /** Skip the paths that wait for the server's close timeout. */
  skipCloseTimeout?: boolean;
  /** Paths run at once (paths that wait for the close timeout run besides, all at once). Default 8. */
  concurrency?: number;
  /** How long nothing unexpected may arrive after a step. Default 100. */
  quietMs?: number;
  /** How long to wait for what a step must make the server do. Default 2000. */
  stepTimeoutMs?: number;
  /** Seeds the chopping of writes and the masking keys. Default 6455. */
  seed?: number;
  /** Only the paths of these machines. */
  machines?: readonly MachineId[];
  /** Only the paths whose id starts with this. */
  only?: string;
  /** Print the steps and bytes of every failed path. */
  verbose?: boolean;
  /** Where the report goes, line by line. Default console.log. */
  print?: (line: string) => void;
}

/** The probe's options from command-line arguments (after `probe`). */
export function parseProbeArgs(args: string[]): { url: string; options: ProbeOptions } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'close-timeout-ms': { type: 'string' },
      'skip-close-timeout': { type: 'boolean' },
      concurrency: { type: 'string' },
      'quiet-ms': { type: 'string' },
      'step-timeout-ms': { type: 'string' },
      seed: { type: 'string' },
      machine: { type: 'string', multiple: true },
      only: { type: 'string' },
      verbose: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new Error('give one ws:// URL');
  const number = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`invalid --${name} ${value}`);
    return parsed;
  };
  const machines = values.machine?.map((id) => {
    if (!(MACHINE_IDS as readonly string[]).includes(id)) throw new Error(`unknown --machine ${id}`);
    return id as MachineId;
  });
  const options: ProbeOptions = {};
  const closeTimeoutMs = number('close-timeout-ms', values['close-timeout-ms']);
  if (closeTimeoutMs !== undefined) options.closeTimeoutMs = closeTimeoutMs;
  if (values['skip-close-timeout']) options.skipCloseTimeout = true;
  const concurrency = number('concurrency', values.concurrency);
  if (concurrency !== undefined) options.concurrency = Math.max(1, concurrency);
  const quietMs = number('quiet-ms', values['quiet-ms']);
  if (quietMs !== undefined) options.quietMs = quietMs;
  const stepTimeoutMs = number('step-timeout-ms', values['step-timeout-ms']);
  if (stepTimeoutMs !== undefined) options.stepTimeoutMs = stepTimeoutMs;
  const seed = number('seed', values.seed);
  if (seed !== undefined) options.seed = seed;
  if (machines !== undefined) options.machines = machines;
  if (values.only !== undefined) options.only = values.only;
  if (values.verbose) options.verbose = true;
  return { url: positionals[0]!, options };
}

/** The step that went wrong, in one line: `step 2 CLOSE_FRAME(1004) (Close frame …): expected […], observed […]`. */
function failureLine(result: PathRunResult): string {
  const index = result.steps.findIndex((step) => step.problem !== undefined);
  if (index < 0) return result.reason ?? 'failed';
  const step = result.steps[index]!;
  return `step ${index} ${step.event ?? '(opening handshake)'} as ${step.wireStep}: ${step.problem}`;
}

/** Runs the probe; resolves with the exit code. */
export async function runProbe(url: string, options: ProbeOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    print(`statesocket probe: not a URL: ${url}`);
    return 2;
  }
  if (parsed.protocol !== 'ws:') {
    print(`statesocket probe: only ws:// URLs are supported (got ${parsed.protocol}//)`);
    return 2;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port === '' ? 80 : Number(parsed.port);
  const requestTarget = `${parsed.pathname || '/'}${parsed.search}`;
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  const seed = options.seed ?? 6455;
  const stepTimeoutMs = options.stepTimeoutMs ?? 2000;

  // What every path assumes, checked once with the library's client: a WebSocket echo server.
  const problem = await checkEchoServer(url, stepTimeoutMs);
  if (problem !== undefined) {
    print(`statesocket probe: ${url} is not a WebSocket echo server: ${problem}`);
    return 2;
  }

  const paths = generateServerPaths().filter(
    (path) => (options.machines === undefined || options.machines.includes(path.machineId)) && (options.only === undefined || path.id.startsWith(options.only)),
  );
  const target: PathTarget = {
    host,
    port,
    requestPath: () => requestTarget,
    closeTimeoutMs,
    stepTimeoutMs,
    quietMs: options.quietMs ?? 100,
    seed,
  };
  print(
    `statesocket probe ${url}: ${paths.length} paths generated from the machines (seed ${seed}, ` +
      (options.skipCloseTimeout ? 'close-timeout paths skipped' : `close timeout ${closeTimeoutMs} ms`) +
      ')',
  );
  const started = performance.now();
  // The paths that wait for the server's close timeout run all at once, besides the others.
  const waitsForTimeout = (path: ModelPath) => path.steps.some((step) => step.event.type === 'CLOSE_TIMEOUT');
  const waiting = paths.filter(waitsForTimeout);
  const others = paths.filter((path) => !waitsForTimeout(path));
  // A target that refuses connections mid-run has gone away: stop starting paths, and say it once.
  // Once it went away nothing passes: the failures after the last path that passed are its doing,
  // and are not reported one by one.
  let goneAway: string | undefined;
  const finished: PathRunResult[] = [];
  const afterLastPass = new Set<string>();
  const onResult = (result: PathRunResult) => {
    finished.push(result);
    // Frozen once it went away: a path that passes afterwards had finished its exchanges before.
    if (result.status === 'passed' && goneAway === undefined) afterLastPass.clear();
    else if (result.status !== 'passed') afterLastPass.add(result.path.id);
    if (result.status === 'failed' && /ECONNREFUSED/.test(result.reason ?? '')) goneAway ??= result.reason;
  };
  const stop = () => goneAway !== undefined;
  const [waited, ran] = await Promise.all([
    options.skipCloseTimeout ? Promise.resolve([]) : runPaths(waiting, target, { concurrency: Math.max(1, waiting.length), onResult, stop }),
    runPaths(others, target, { concurrency: options.concurrency ?? 8, onResult, stop }),
  ]);
  const byId = new Map([...waited, ...ran].map((result) => [result.path.id, result]));
  const counts = { passed: 0, failed: 0, skipped: 0, notes: 0 };
  for (const path of paths) {
    const result = byId.get(path.id);
    if (result === undefined) {
      if (goneAway !== undefined) continue;
      counts.skipped++;
      print(`SKIP  ${path.id}  ${describePath(path)}\n      waits for the close timeout (--skip-close-timeout)`);
      continue;
    }
    if (goneAway !== undefined && result.status === 'failed' && afterLastPass.has(path.id)) continue;
    const allowed = result.status === 'failed' ? rfcAllowedDifference(result) : undefined;
    if (allowed !== undefined) {
      counts.notes++;
      print(`NOTE  ${path.id}  ${describePath(path)}\n      ${allowed}`);
      continue;
    }
    counts[result.status]++;
    if (result.status === 'passed') print(`PASS  ${path.id}  ${describePath(path)}`);
    else if (result.status === 'skipped') print(`SKIP  ${path.id}  ${describePath(path)}\n      ${result.reason}`);
    else {
      print(`FAIL  ${path.id}  ${describePath(path)}\n      ${failureLine(result)}`);
      if (options.verbose) print(describeRun(result).replace(/^/gm, '      '));
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (goneAway !== undefined) {
    print(
      `probe ${url}: the server went away during the run (${goneAway}); stopped after ${finished.length} paths ` +
        `(${counts.passed} passed, ${counts.failed} failed before; the failures after the last pass are not reported)`,
    );
    return 2;
  }
  print(
    `probe ${url}: ${counts.passed} passed, ${counts.failed} failed, ${counts.notes} noted (allowed by RFC 6455), ` +
      `${counts.skipped} skipped of ${paths.length} paths in ${seconds} s`,
  );
  return counts.failed > 0 ? 1 : 0;
}

/**
 * A failure that RFC 6455 allows a server, in words; undefined for a real failure:
 * - a message past statesocket's size limit accepted (the limit is the server's, §10.4);
 * - a connection failed for a length it will not read with 1009 or 1002 where statesocket sends the
 *   other (§7.1.7: "an appropriate status code");
 * - a request that does not ask for `Upgrade: websocket` refused with another 4xx than the 426
 *   statesocket sends: §4.2.1 asks for "an HTTP response with an appropriate error code (such as
 *   400 Bad Request)";
 * - a request for another version than 13 accepted: the server also speaks that version, which
 *   §4.4 ("Supporting Multiple Versions of WebSocket Protocol") provides for.
 */
function rfcAllowedDifference(result: PathRunResult): string | undefined {
  const step = result.steps.find((s) => s.problem !== undefined);
  const event = result.path.steps.find((s) => step?.event === describeEvent(s.event))?.event;
  if (step !== undefined && event !== undefined && LIMIT_CAUSES.has(event.type)) {
    // §10.4: "an implementation ... SHOULD impose a limit on frame sizes and the total message size";
    // the limit is the server's: one above statesocket's 64 MiB default accepts what statesocket refuses.
    if (step.observed.some((item) => item.kind === 'message')) {
      return `accepted a message past statesocket's 64 MiB limit: RFC 6455 §10.4 leaves the limit to the server`;
    }
  }
  const expectedClose = step?.expected.find((item) => item.kind === 'close');
  const observedClose = step?.observed.find((item) => item.kind === 'close');
  if (
    event !== undefined &&
    LENGTH_CAUSES.has(event.type) &&
    expectedClose?.kind === 'close' &&
    observedClose?.kind === 'close' &&
    expectedClose.code !== observedClose.code &&
    observedClose.code !== undefined &&
    isValidCloseCode(observedClose.code) &&
    expectedClose.code !== undefined &&
    expectedClose.code !== 1000 &&
    step!.observed.length === step!.expected.length
  ) {
    // §7.1.7: the endpoint "SHOULD send a Close frame with an appropriate status code": for a length
    // it will not read, 1002 (protocol error) and 1009 (too big) are both appropriate.
    return `failed the connection with ${observedClose.code} where statesocket sends ${expectedClose.code}: RFC 6455 §7.1.7 asks for "an appropriate status code"`;
  }
  return handshakeDifference(result);
}

/** The failure causes that depend on the server's size limit. */
const LIMIT_CAUSES = new Set(['MESSAGE_TOO_BIG', 'INFLATED_TOO_BIG', 'UNSUPPORTED_PAYLOAD_LENGTH']);
/** The failure causes of a length the server will not read, where 1002 and 1009 are both fitting. */
const LENGTH_CAUSES = new Set(['INVALID_PAYLOAD_LENGTH', 'UNSUPPORTED_PAYLOAD_LENGTH', 'MESSAGE_TOO_BIG']);

/** The two opening-handshake differences of `rfcAllowedDifference`. */
function handshakeDifference(result: PathRunResult): string | undefined {
  const first = result.path.steps[0]?.event;
  const step = result.steps.find((s) => s.problem !== undefined);
  if (first?.type !== 'HANDSHAKE_REQUEST' || step === undefined || step !== result.steps[0] || result.path.steps.length !== 1) return undefined;
  const response = step.observed.find((item) => item.kind === 'http');
  const expected = step.expected.find((item) => item.kind === 'http');
  if (response?.kind !== 'http' || expected?.kind !== 'http') return undefined;
  const upgrade = String(first.headers.upgrade ?? '').toLowerCase();
  if (expected.status === 426 && !upgrade.split(',').map((t) => t.trim()).includes('websocket') && response.status >= 400 && response.status < 500) {
    return `refused Upgrade: ${first.headers.upgrade} with ${response.status} where statesocket sends 426: RFC 6455 §4.2.1 allows any appropriate 4xx`;
  }
  const version = first.headers['sec-websocket-version'];
  if (expected.status === 426 && version !== '13' && response.status === 101) {
    return `accepted Sec-WebSocket-Version: ${String(version)}: the server also speaks that version, which RFC 6455 §4.4 provides for`;
  }
  return undefined;
}
