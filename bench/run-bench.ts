/**
 * `npm run bench [-- --quick] [--rounds N] [--only id,id] [--servers name,name]`
 *
 * statesocket side by side with ws (without and with bufferutil) and a raw `net` byte echo:
 * each server in a fresh process pinned to core 0, the same load client in another process
 * pinned to core 1, servers alternated within each round, rounds repeated. Prints the
 * Markdown report and writes bench/results/latest.json and latest.md. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { SERVER_NAMES, type ServerName } from './bench-messages.js';
import { choosePinning, fileDescriptorLimit, killAllBenchProcesses } from './bench-process.js';
import { measure, type MeasureEnvironment, type Measurement } from './measure.js';
import { detailTables, summarize, summaryTable, type ServerWarnings } from './report.js';
import { FULL_WORKLOADS, QUICK_WORKLOADS, type Workload } from './workloads.js';

const USAGE = 'usage: run-bench.js [--quick] [--rounds N] [--only WORKLOAD,…] [--servers NAME,…] [--out DIR]';
/** Descriptors a process keeps for itself besides its WebSocket connections. */
const DESCRIPTOR_MARGIN = 256;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    servers: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('../../bench/results/', import.meta.url)) },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer\n${USAGE}`);
let workloads: readonly Workload[] = values.quick ? QUICK_WORKLOADS : FULL_WORKLOADS;
if (values.only !== undefined) {
  const ids = values.only.split(',');
  const unknown = ids.filter((id) => !workloads.some((workload) => workload.id === id));
  if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(', ')}; known: ${workloads.map((w) => w.id).join(', ')}`);
  workloads = workloads.filter((workload) => ids.includes(workload.id));
}
const servers = (values.servers?.split(',') ?? [...SERVER_NAMES]) as ServerName[];
for (const server of servers) {
  if (!SERVER_NAMES.includes(server)) throw new Error(`unknown server ${server}; known: ${SERVER_NAMES.join(', ')}`);
}

process.on('SIGINT', () => {
  killAllBenchProcesses();
  process.exit(130);
});
process.on('exit', killAllBenchProcesses);

const pinning = choosePinning();
const limits = fileDescriptorLimit();
const environment: MeasureEnvironment = {
  pinning,
  fileDescriptors: limits.hard,
  connectionsPerProcess: limits.hard - DESCRIPTOR_MARGIN,
  serverInfo: new Map(),
};
const runNotes: string[] = [];
if (values.quick) runNotes.push('quick smoke run: one round of short phases; figures are indicative only, use `npm run bench` to judge a target');
if (!pinning.enabled) runNotes.push(`processes not pinned to cores: ${pinning.reason}; server and client compete for CPU`);
for (const workload of workloads) {
  if (workload.kind === 'idle' && workload.connections > environment.connectionsPerProcess) {
    runNotes.push(
      `idle connections: the open-file limit here is ${limits.hard} (ulimit -Hn), so ${environment.connectionsPerProcess.toLocaleString('en-US')} connections were opened instead of ${workload.connections.toLocaleString('en-US')}`,
    );
  }
}

function git(...args: string[]): string {
  const result = spawnSync('git', args, { encoding: 'utf8', cwd: fileURLToPath(new URL('../../', import.meta.url)) });
  return result.status === 0 ? result.stdout.trim() : '';
}

function versionOf(name: string): string {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

const startedAt = new Date();
const command = process.env['npm_lifecycle_event'] === 'bench'
  ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  : `node dist/bench/run-bench.js ${process.argv.slice(2).join(' ')}`.trim();
const commit = git('rev-parse', '--short', 'HEAD');
const uncommitted = git('status', '--porcelain', '--', 'src', 'machines') !== '';
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  node: process.version,
  ws: versionOf('ws'),
  bufferutil: versionOf('bufferutil'),
  pinning: pinning.enabled ? `server on core ${pinning.serverCore}, load client on core ${pinning.clientCore} (taskset)` : `none (${pinning.reason})`,
  fileDescriptorLimit: limits.hard,
  statesocket: `${commit}${uncommitted ? ' + uncommitted changes in src/ or machines/' : ''}`,
};

const measurements: Measurement[] = [];
const total = workloads.reduce((sum, workload) => sum + workload.servers.filter((s) => servers.includes(s)).length, 0) * rounds;
let done = 0;
console.error(`statesocket bench: ${workloads.length} workloads × ${servers.length} servers × ${rounds} round(s), ${machine.pinning}`);
for (const workload of workloads) {
  const runnable = servers.filter((server) => workload.servers.includes(server));
  for (let round = 0; round < rounds; round++) {
    // Alternate: each round starts with the next server, so none always runs first or last.
    const order = runnable.map((_, index) => runnable[(index + round) % runnable.length]!);
    for (const server of order) {
      let measurement = await measure(server, workload, round, environment);
      if (measurement.kind === 'error') {
        // Once more, in case something outside the server got in the way; both are reported.
        console.error(`[${done + 1}/${total}] ${workload.id} round ${round + 1} ${server}: ${describe(measurement, workload)}; trying once more`);
        measurement = { ...(await measure(server, workload, round, environment)), firstAttemptError: measurement.message };
      }
      measurements.push(measurement);
      done++;
      console.error(`[${done}/${total}] ${workload.id} round ${round + 1} ${server}: ${describe(measurement, workload)}`);
    }
  }
}

function describe(measurement: Measurement, workload: Workload): string {
  switch (measurement.kind) {
    case 'echo':
      if (workload.kind === 'client-echo') {
        return `client ${(measurement.clientCpuMicros / Math.max(1, measurement.messages)).toFixed(2)} µs CPU/msg, ${measurement.messages} msgs in ${measurement.wallSeconds.toFixed(2)} s`;
      }
      return `${(measurement.serverCpuMicros / Math.max(1, measurement.messages)).toFixed(2)} µs CPU/msg, ${measurement.messages} msgs in ${measurement.wallSeconds.toFixed(2)} s, p99 ${measurement.latencyP99Micros.toFixed(0)} µs`;
    case 'churn':
      return `${(measurement.serverCpuMicros / Math.max(1, measurement.cycles)).toFixed(1)} µs CPU/cycle, ${measurement.cycles} cycles in ${measurement.wallSeconds.toFixed(2)} s`;
    case 'idle':
      return `${measurement.connections} conns, heap ${(measurement.heapPerConnection / 1024).toFixed(2)} KiB/conn, RSS ${(measurement.rssPerConnection / 1024).toFixed(2)} KiB/conn`;
    case 'unsupported':
      return `n/a: ${measurement.reason}`;
    case 'error':
      return `ERROR: ${measurement.message}`;
  }
}

const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
const summaries = workloads.map((workload) => summarize(workload, measurements.filter((m) => m.workload === workload.id)));
const serverWarnings: ServerWarnings = Object.fromEntries(
  [...environment.serverInfo].map(([name, info]) => [name, [...info.warnings]]),
);
const serverLines = SERVER_NAMES.filter((server) => servers.includes(server)).map((server) => {
  const info = environment.serverInfo.get(server);
  const warnings = info === undefined ? [] : [...info.warnings];
  return `- **${server}**: ${info?.description ?? 'did not start'}${warnings.map((warning) => `\n  - ⚠️ WARNING: ${warning}`).join('')}`;
});

const markdown = `# statesocket benchmark

- command: \`${command}\` (${values.quick ? 'quick smoke run' : 'full run'}), ${rounds} round(s), ${durationSeconds.toFixed(0)} s, ${startedAt.toISOString()}
- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}
- pinning: ${machine.pinning}
- statesocket: ${machine.statesocket}; ws ${machine.ws}; bufferutil ${machine.bufferutil}

Server cost per unit of work, from the server process's own CPU time (all its threads), median
over rounds; in brackets the median, round by round, of that figure ÷ ws's figure in the same
round (lower is better). Run-to-run noise is ±20–30 %: compare within one run only.
The client rows (\`client: …\`) turn this round: each column is the client library driving ws's
echo server, and the figure is the client process's own CPU per message.

${summaryTable(summaries, serverWarnings)}

## Servers

${serverLines.join('\n')}
${runNotes.length > 0 ? `\n## Run notes\n\n${runNotes.map((note) => `- ${note}`).join('\n')}\n` : ''}
## Details

${detailTables(summaries, serverWarnings)}
`;

const json = {
  command,
  startedAt: startedAt.toISOString(),
  durationSeconds,
  quick: values.quick,
  rounds,
  machine,
  servers: Object.fromEntries(
    [...environment.serverInfo].map(([name, info]) => [name, { description: info.description, warnings: [...info.warnings] }]),
  ),
  notes: runNotes,
  workloads: summaries.map((summary) => ({
    ...summary.workload,
    verdict: summary.verdict,
    notes: summary.notes,
    results: summary.servers,
    measurements: measurements.filter((m) => m.workload === summary.workload.id),
  })),
};

mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'latest.md'), markdown);
writeFileSync(
  join(values.out, 'latest.json'),
  JSON.stringify(json, (_, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2) + '\n',
);
console.log(markdown);
console.error(`wrote ${join(values.out, 'latest.md')} and latest.json`);
