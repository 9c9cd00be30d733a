/**
 * From measurements to what a reader sees: medians across rounds, ratios to ws taken round
 * by round (each server's figure divided by ws's figure from the same round, then the
 * median of those), the targets of issue 6, a JSON record and a Markdown table.
 */
import { SERVER_NAMES, type ServerName } from './bench-messages.js';
import type { Measurement } from './measure.js';
import { median } from './statistics.js';
import type { Target, Workload } from './workloads.js';

/** Per-measurement figures; "cost" ones are lower-is-better and get ratios. */
type Metrics = Record<string, number>;

interface MetricDefinition {
  key: string;
  label: string;
  format: (value: number) => string;
  /** Lower is better, and the summary shows it with ratios. */
  cost: boolean;
}

const micros = (value: number): string =>
  !Number.isFinite(value) ? '–' : value >= 1000 ? `${(value / 1000).toPrecision(3)} ms` : `${value.toPrecision(3)} µs`;
const kibibytes = (value: number): string =>
  !Number.isFinite(value) ? '–' : Math.abs(value) < 1024 ? `${Math.round(value)} B` : `${(value / 1024).toPrecision(3)} KiB`;
const count = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
const fixed = (digits: number) => (value: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const percent = (value: number): string => (Number.isFinite(value) ? `${Math.round(value * 100)} %` : '–');
const megabytes = (value: number): string => (Number.isFinite(value) ? `${(value / 1e6).toFixed(0)} MB` : '–');

const METRICS: Record<Workload['kind'], MetricDefinition[]> = {
  echo: [
    { key: 'cpuPerMessage', label: 'server CPU per message', format: micros, cost: true },
    { key: 'messagesPerCpuSecond', label: 'messages per server-CPU-second', format: count, cost: false },
    { key: 'p50', label: 'p50 latency', format: micros, cost: false },
    { key: 'p99', label: 'p99 latency', format: micros, cost: true },
    { key: 'megabytesPerSecond', label: 'MB/s echoed', format: fixed(1), cost: false },
    { key: 'messagesPerSecond', label: 'messages/s', format: count, cost: false },
    { key: 'clientBusy', label: 'client CPU (of one core)', format: percent, cost: false },
    { key: 'serverRss', label: 'server RSS after', format: megabytes, cost: false },
    { key: 'heapPerConnection', label: 'heap per connection (open, after GC)', format: kibibytes, cost: true },
    { key: 'rssPerConnection', label: 'RSS per connection (open, after GC)', format: kibibytes, cost: true },
    { key: 'otherCores', label: 'other load (cores)', format: fixed(2), cost: false },
    { key: 'stealShare', label: 'steal', format: percent, cost: false },
  ],
  'client-echo': [
    { key: 'clientCpuPerMessage', label: 'client CPU per message', format: micros, cost: true },
    { key: 'messagesPerClientCpuSecond', label: 'messages per client-CPU-second', format: count, cost: false },
    { key: 'p50', label: 'p50 latency', format: micros, cost: false },
    { key: 'p99', label: 'p99 latency', format: micros, cost: false },
    { key: 'megabytesPerSecond', label: 'MB/s echoed', format: fixed(1), cost: false },
    { key: 'messagesPerSecond', label: 'messages/s', format: count, cost: false },
    { key: 'clientBusy', label: 'client CPU (of one core)', format: percent, cost: false },
    { key: 'cpuPerMessage', label: 'ws server CPU per message', format: micros, cost: false },
    { key: 'otherCores', label: 'other load (cores)', format: fixed(2), cost: false },
    { key: 'stealShare', label: 'steal', format: percent, cost: false },
  ],
  idle: [
    { key: 'heapPerConnection', label: 'heap per connection', format: kibibytes, cost: true },
    { key: 'rssPerConnection', label: 'RSS per connection', format: kibibytes, cost: true },
    { key: 'externalPerConnection', label: 'external per connection', format: kibibytes, cost: false },
    { key: 'connections', label: 'connections', format: count, cost: false },
  ],
  churn: [
    { key: 'cpuPerCycle', label: 'server CPU per cycle', format: micros, cost: true },
    { key: 'cyclesPerSecond', label: 'cycles/s', format: count, cost: false },
    { key: 'clientBusy', label: 'client CPU (of one core)', format: percent, cost: false },
    { key: 'otherCores', label: 'other load (cores)', format: fixed(2), cost: false },
    { key: 'stealShare', label: 'steal', format: percent, cost: false },
  ],
};

/** Other processes using more than this many cores make a measurement "not quiet". */
export const BUSY_MACHINE_CORES = 0.25;

/** The figures the summary table shows for a workload kind (and the target is judged on). */
const SUMMARY_METRICS: Record<Workload['kind'], string[]> = {
  echo: ['cpuPerMessage'],
  'client-echo': ['clientCpuPerMessage'],
  idle: ['heapPerConnection', 'rssPerConnection'],
  churn: ['cpuPerCycle'],
};

function metricsOf(measurement: Measurement): Metrics | undefined {
  switch (measurement.kind) {
    case 'echo':
      if (measurement.messages === 0) return undefined;
      return {
        cpuPerMessage: measurement.serverCpuMicros / measurement.messages,
        clientCpuPerMessage: measurement.clientCpuMicros / measurement.messages,
        messagesPerClientCpuSecond: measurement.messages / (measurement.clientCpuMicros / 1e6),
        messagesPerCpuSecond: measurement.messages / (measurement.serverCpuMicros / 1e6),
        p50: measurement.latencyP50Micros,
        p99: measurement.latencyP99Micros,
        megabytesPerSecond: measurement.payloadBytes / measurement.wallSeconds / 1e6,
        messagesPerSecond: measurement.messages / measurement.wallSeconds,
        clientBusy: measurement.clientCpuMicros / 1e6 / measurement.wallSeconds,
        serverRss: measurement.serverRss,
        heapPerConnection: measurement.heapPerConnection,
        rssPerConnection: measurement.rssPerConnection,
        otherCores: measurement.otherCores,
        stealShare: measurement.stealShare,
      };
    case 'churn':
      if (measurement.cycles === 0) return undefined;
      return {
        cpuPerCycle: measurement.serverCpuMicros / measurement.cycles,
        cyclesPerSecond: measurement.cycles / measurement.wallSeconds,
        clientBusy: measurement.clientCpuMicros / 1e6 / measurement.wallSeconds,
        otherCores: measurement.otherCores,
        stealShare: measurement.stealShare,
      };
    case 'idle':
      return {
        heapPerConnection: measurement.heapPerConnection,
        rssPerConnection: measurement.rssPerConnection,
        externalPerConnection: measurement.externalPerConnection,
        connections: measurement.connections,
      };
    default:
      return undefined;
  }
}

export interface ServerSummary {
  /** Median of each figure over the rounds that produced one. */
  median: Metrics;
  /** Median over rounds of (this server's figure ÷ ws's figure in the same round), cost figures only. */
  ratioToWs: Metrics;
  ratioToWsBufferutil: Metrics;
  roundsMeasured: number;
  /** Why there is no figure: "n/a (…)" or the error. */
  missing: string | undefined;
}

export interface Verdict {
  met: boolean | undefined;
  text: string;
}

export interface WorkloadSummary {
  workload: Workload;
  servers: Partial<Record<ServerName, ServerSummary>>;
  verdict: Verdict | undefined;
  notes: string[];
}

function roundRatios(measurements: Measurement[], server: ServerName, reference: ServerName, key: string): number {
  const ratios: number[] = [];
  const rounds = new Set(measurements.map((measurement) => measurement.round));
  for (const round of rounds) {
    const mine = measurements.find((m) => m.server === server && m.round === round);
    const theirs = measurements.find((m) => m.server === reference && m.round === round);
    const a = mine && metricsOf(mine)?.[key];
    const b = theirs && metricsOf(theirs)?.[key];
    if (a !== undefined && b !== undefined && b > 0) ratios.push(a / b);
  }
  return median(ratios);
}

function missingReason(server: ServerName, workload: Workload, measurements: Measurement[]): string | undefined {
  if (!workload.servers.includes(server)) return `n/a (${workload.notApplicable ?? 'not run'})`;
  const unsupported = measurements.find((m) => m.kind === 'unsupported');
  if (unsupported?.kind === 'unsupported') {
    return server === 'statesocket' ? 'n/a (not implemented)' : `n/a (${unsupported.reason})`;
  }
  const error = measurements.find((m) => m.kind === 'error');
  if (error?.kind === 'error') return `error: ${error.message}`;
  return measurements.length === 0 ? 'not measured' : undefined;
}

function judge(target: Target | undefined, summary: ServerSummary | undefined, kind: Workload['kind']): Verdict | undefined {
  if (target === undefined) return undefined;
  if (summary === undefined || summary.missing !== undefined) {
    return { met: undefined, text: summary?.missing ?? 'not measured' };
  }
  const ratios = target.against === 'ws' ? summary.ratioToWs : summary.ratioToWsBufferutil;
  const keys = [...SUMMARY_METRICS[kind], ...(target.p99NoWorse ? ['p99'] : [])];
  const parts: string[] = [];
  let met = true;
  for (const key of keys) {
    const ratio = ratios[key]!;
    const limit = key === 'p99' ? 1.0 : (target.maxRatios?.[key] ?? target.maxRatio);
    if (limit === Infinity) continue;
    if (!(ratio <= limit)) met = false;
    const label = METRICS[kind].find((metric) => metric.key === key)!.label;
    parts.push(`${label} ${ratio.toFixed(2)}×`);
  }
  const bounds: string[] = [];
  for (const [key, bound] of Object.entries(target.maxValues ?? {})) {
    const definition = METRICS[kind].find((metric) => metric.key === key)!;
    const value = summary.median[key]!;
    if (!(value <= bound!)) met = false;
    bounds.push(`${definition.label} ${definition.format(value)} ${value <= bound! ? '≤' : '>'} bound ${definition.format(bound!)}`);
  }
  if (bounds.length > 0) return { met, text: `${met ? 'met' : 'NOT met'}: ${bounds.join(', ')}; ${parts.join(', ')} ${target.against}` };
  return { met, text: `${met ? 'met' : 'NOT met'}: ${parts.join(', ')} ${target.against}` };
}

/** The summary figure round by round and how far the rounds lie from their median, when there are several. */
function roundSpread(measurements: Measurement[], kind: Workload['kind']): string | undefined {
  const key = SUMMARY_METRICS[kind][0]!;
  const values = measurements.map((measurement) => metricsOf(measurement)?.[key]).filter((value): value is number => value !== undefined && Number.isFinite(value));
  if (values.length < 2) return undefined;
  const middle = median(values);
  const deviation = Math.max(...values.map((value) => Math.abs(value / middle - 1)));
  const definition = METRICS[kind].find((metric) => metric.key === key)!;
  return `${definition.label} by round ${values.map(definition.format).join(', ')}: within ±${Math.round(deviation * 100)} % of the median`;
}

export function summarize(workload: Workload, measurements: Measurement[]): WorkloadSummary {
  const servers: Partial<Record<ServerName, ServerSummary>> = {};
  const notes: string[] = [];
  for (const server of SERVER_NAMES) {
    const mine = measurements.filter((m) => m.server === server);
    const rounds = mine.map(metricsOf).filter((metrics): metrics is Metrics => metrics !== undefined);
    const medianMetrics: Metrics = {};
    const ratioToWs: Metrics = {};
    const ratioToWsBufferutil: Metrics = {};
    for (const definition of METRICS[workload.kind]) {
      medianMetrics[definition.key] = median(rounds.map((metrics) => metrics[definition.key]!));
      if (!definition.cost) continue;
      ratioToWs[definition.key] = roundRatios(measurements, server, 'ws', definition.key);
      ratioToWsBufferutil[definition.key] = roundRatios(measurements, server, 'ws+bufferutil', definition.key);
    }
    servers[server] = {
      median: medianMetrics,
      ratioToWs,
      ratioToWsBufferutil,
      roundsMeasured: rounds.length,
      missing: rounds.length === 0 ? missingReason(server, workload, mine) : undefined,
    };
    for (const measurement of mine) {
      if (measurement.firstAttemptError !== undefined) {
        notes.push(`${server}, round ${measurement.round + 1}: first attempt failed (${inline(measurement.firstAttemptError, 300)}), measured again`);
      }
      if (measurement.kind === 'error' && rounds.length > 0) {
        notes.push(`${server}, round ${measurement.round + 1}: error: ${inline(measurement.message, 300)}`);
      }
      if ((measurement.kind === 'echo' || measurement.kind === 'churn') && measurement.timedOut) {
        notes.push(`${server}, round ${measurement.round + 1}: stopped by the ${workload.maxSeconds} s limit; figures cover what was counted`);
      }
      if (measurement.kind === 'churn' && measurement.failedCycles > 0) {
        notes.push(`${server}, round ${measurement.round + 1}: ${measurement.failedCycles} churn cycles failed`);
      }
      if (measurement.kind === 'idle' && measurement.failed > 0) {
        notes.push(`${server}, round ${measurement.round + 1}: ${measurement.failed} connections failed to open (${measurement.firstError})`);
      }
    }
    const spread = roundSpread(mine, workload.kind);
    if (spread !== undefined && (server === 'statesocket' || server === workload.target?.against)) notes.push(`${server}: ${spread}`);
    if (workload.kind !== 'client-echo' && (medianMetrics['clientBusy'] ?? 0) > 0.9) {
      notes.push(`${server}: the load client was busy ${percent(medianMetrics['clientBusy']!)} of its core: throughput and latency may be the client's limit; CPU per unit is still the server's own`);
    }
  }
  const otherLoad = Object.values(servers)
    .map((summary) => summary.median['otherCores'])
    .filter((cores): cores is number => cores !== undefined && Number.isFinite(cores));
  if (otherLoad.length > 0 && Math.max(...otherLoad) > BUSY_MACHINE_CORES) {
    notes.push(
      `the machine was not quiet: other processes used ${Math.min(...otherLoad).toFixed(2)}–${Math.max(...otherLoad).toFixed(2)} cores on average beside server and client (medians per server); expect more noise than usual`,
    );
  }
  return { workload, servers, verdict: judge(workload.target, servers.statesocket, workload.kind), notes };
}

// ---------------------------------------------------------------- Markdown

const COLUMN_TITLES: Record<ServerName, string> = {
  statesocket: 'statesocket',
  ws: 'ws',
  'ws+bufferutil': 'ws + bufferutil',
  net: 'raw `net` echo',
};

/** Text that fits in one Markdown table cell. */
function inline(text: string, limit = 160): string {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

function cell(summary: ServerSummary | undefined, definition: MetricDefinition, server: ServerName, withRatio: boolean): string {
  if (summary === undefined) return '–';
  if (summary.missing !== undefined) return inline(summary.missing, 60);
  const value = definition.format(summary.median[definition.key]!);
  if (!withRatio || server === 'ws' || !definition.cost) return value;
  const ratio = summary.ratioToWs[definition.key]!;
  return Number.isFinite(ratio) ? `${value} (${ratio.toFixed(2)}×)` : value;
}

function workloadParameters(workload: Workload): string {
  switch (workload.kind) {
    case 'echo':
    case 'client-echo':
      return `${workload.messages.toLocaleString('en-US')} messages measured after ${workload.warmupMessages.toLocaleString('en-US')} of warm-up`;
    case 'idle': {
      const active = workload.activeConnections ? ` and ${workload.activeConnections.toLocaleString('en-US')} that keep sending` : '';
      const settle = workload.settleMs ? `, memory read ${workload.settleMs / 1000} s after they opened` : '';
      return `${workload.connections.toLocaleString('en-US')} connections wanted${active}${settle}`;
    }
    case 'churn':
      return `${workload.cycles.toLocaleString('en-US')} cycles measured after ${workload.warmupCycles.toLocaleString('en-US')} of warm-up`;
  }
}

/** Warnings each server reported about itself (e.g. bufferutil did not load). */
export type ServerWarnings = Partial<Record<ServerName, readonly string[]>>;

function columnTitle(server: ServerName, warnings: ServerWarnings): string {
  return (warnings[server]?.length ?? 0) > 0 ? `${COLUMN_TITLES[server]} ⚠️` : COLUMN_TITLES[server];
}

/**
 * The summary: one line per target figure. A column whose server warned that it is not what
 * its title says (ws + bufferutil without bufferutil) is marked ⚠️ with the warning under the
 * table, and a verdict judged against it says so.
 */
export function summaryTable(summaries: WorkloadSummary[], warnings: ServerWarnings = {}): string {
  const lines = [
    `| workload | figure | ${SERVER_NAMES.map((server) => columnTitle(server, warnings)).join(' | ')} | target (statesocket) | verdict |`,
    `|---|---|${SERVER_NAMES.map(() => '---:').join('|')}|---|---|`,
  ];
  for (const summary of summaries) {
    const { workload } = summary;
    const keys = [...SUMMARY_METRICS[workload.kind]];
    if (workload.target?.p99NoWorse) keys.push('p99');
    keys.forEach((key, index) => {
      const definition = METRICS[workload.kind].find((metric) => metric.key === key)!;
      const cells = SERVER_NAMES.map((server) => cell(summary.servers[server], definition, server, true));
      const target = index === 0 ? (workload.target?.text ?? '—') : '';
      const reference = workload.target?.against;
      const referenceWarned = reference !== undefined && (warnings[reference]?.length ?? 0) > 0;
      const verdict = index === 0 ? `${summary.verdict?.text ?? '—'}${referenceWarned ? ` ⚠️ (${COLUMN_TITLES[reference]} not as labelled)` : ''}` : '';
      lines.push(`| ${index === 0 ? workload.title : ''} | ${definition.label} | ${cells.join(' | ')} | ${target} | ${verdict} |`);
    });
  }
  const footnotes = SERVER_NAMES.flatMap((server) =>
    (warnings[server] ?? []).map((warning) => `⚠️ **${COLUMN_TITLES[server]}: ${warning}**`),
  );
  return [...lines, ...(footnotes.length > 0 ? ['', ...footnotes.map((note) => `- ${note}`)] : [])].join('\n');
}

export function detailTables(summaries: WorkloadSummary[], warnings: ServerWarnings = {}): string {
  const sections: string[] = [];
  for (const summary of summaries) {
    const { workload } = summary;
    // Figures no server has in this workload (memory per connection of an echo row that does not read it) are left out.
    const measured = METRICS[workload.kind].filter((definition) =>
      SERVER_NAMES.some((server) => Number.isFinite(summary.servers[server]?.median[definition.key])),
    );
    const definitions = measured.length > 0 ? measured : METRICS[workload.kind];
    const lines = [
      `### ${workload.title}`,
      '',
      `${workloadParameters(workload)}; medians of the rounds measured (in brackets: median ratio to ws, round by round).`,
      '',
      `| server | ${definitions.map((definition) => definition.label).join(' | ')} | rounds |`,
      `|---|${definitions.map(() => '---:').join('|')}|---:|`,
    ];
    for (const server of SERVER_NAMES) {
      const serverSummary = summary.servers[server];
      if (serverSummary?.missing !== undefined) {
        lines.push(`| ${columnTitle(server, warnings)} | ${inline(serverSummary.missing)} |${definitions.slice(1).map(() => '').join(' |')} | 0 |`);
        continue;
      }
      const cells = definitions.map((definition) => cell(serverSummary, definition, server, true));
      lines.push(`| ${columnTitle(server, warnings)} | ${cells.join(' | ')} | ${serverSummary?.roundsMeasured ?? 0} |`);
    }
    if (summary.notes.length > 0) lines.push('', ...summary.notes.map((note) => `- ${note}`));
    sections.push(lines.join('\n'));
  }
  return sections.join('\n\n');
}
