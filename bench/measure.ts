/**
 * One measurement: one workload against one server, each in a fresh process.
 *
 *   echo, churn: server up → client connects and warms up → server CPU reading → go →
 *                client runs the counted load → server CPU reading → both stop
 *   idle:        server up → server memory after GC → clients open N connections → the server
 *                has them all → server memory after GC → both stop
 *
 * Server CPU is what the server process itself reports (`process.cpuUsage()`), taken while
 * the client sits quiet between warm-up and load, so the connection setup and warm-up are
 * not in it.
 */
import { testCertificate } from '../test/tls-certificate.js';
import { fileURLToPath } from 'node:url';
import type {
  ChurnResult,
  ClientLibrary,
  ClientJob,
  ClientToOrchestrator,
  EchoResult,
  OrchestratorToClient,
  ServerCpu,
  ServerMemory,
  ServerName,
  ServerReply,
  ServerRequest,
} from './bench-messages.js';
import { performance } from 'node:perf_hooks';
import { BenchProcess, type Pinning } from './bench-process.js';
import { machineLoadBetween, readMachineCpu } from './machine-load.js';
import type { ChurnWorkload, ClientWorkload, EchoWorkload, IdleWorkload, Workload } from './workloads.js';

export interface MeasurementBase {
  workload: string;
  server: ServerName;
  round: number;
  /** Set when this is the second attempt: why the first failed. */
  firstAttemptError?: string;
}

export type Measurement = MeasurementBase &
  (
    | ({
        kind: 'echo';
        serverCpuMicros: number;
        serverRss: number;
        serverMaxRss: number;
        /** With `memoryPerConnection`: after GC, connections still open, less the same before they opened (NaN otherwise). */
        heapPerConnection: number;
        rssPerConnection: number;
      } & LoadBeside &
        Omit<EchoResult, 'kind'>)
    | ({ kind: 'churn'; serverCpuMicros: number } & LoadBeside & Omit<ChurnResult, 'kind'>)
    | {
        kind: 'idle';
        connections: number;
        failed: number;
        firstError: string | undefined;
        heapPerConnection: number;
        rssPerConnection: number;
        externalPerConnection: number;
      }
    | { kind: 'unsupported'; reason: string }
    | { kind: 'error'; message: string }
  );

/** What else the machine did meanwhile (NaN where /proc/stat cannot tell). */
export interface LoadBeside {
  otherCores: number;
  stealShare: number;
}

export interface MeasureEnvironment {
  pinning: Pinning;
  fileDescriptors: number;
  /** Connections one process can hold: the fd limit less a margin for everything else. */
  connectionsPerProcess: number;
  /** Each server's own description and warnings, as it reported them. */
  serverInfo: Map<ServerName, { description: string; warnings: Set<string> }>;
}

type ServerProcess = BenchProcess<ServerReply, ServerRequest>;
type ClientProcess = BenchProcess<ClientToOrchestrator, OrchestratorToClient>;

const script = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const SERVER_SCRIPTS: Record<ServerName, { script: string; args: string[] }> = {
  statesocket: { script: script('./servers/statesocket-server.js'), args: [] },
  ws: { script: script('./servers/ws-server.js'), args: [] },
  'ws+bufferutil': { script: script('./servers/ws-server.js'), args: ['--bufferutil'] },
  net: { script: script('./servers/net-echo-server.js'), args: [] },
};
const CLIENT_SCRIPT = script('./load-client.js');
const STARTUP_MS = 15_000;

async function startServer(name: ServerName, workload: Workload, environment: MeasureEnvironment): Promise<{ server: ServerProcess; port: number }> {
  const { script: serverScript } = SERVER_SCRIPTS[name];
  let { args } = SERVER_SCRIPTS[name];
  const deflate = workload.kind !== 'churn' && workload.deflate;
  const releaseAfterIdleMs = workload.statesocketReleaseAfterIdleMs;
  if (name === 'statesocket' && releaseAfterIdleMs !== undefined) args = [...args, '--release-after-idle-ms', String(releaseAfterIdleMs)];
  const tls = (workload.kind === 'echo' || workload.kind === 'client-echo') && workload.tls === true ? testCertificate() : undefined;
  if (tls) args = [...args, '--tls-cert', tls.certPath, '--tls-key', tls.keyPath];
  const env = { ...process.env };
  delete env['WS_NO_BUFFER_UTIL'];
  const server: ServerProcess = new BenchProcess(`${name} server`, {
    script: serverScript,
    args: [...args, ...(deflate ? ['--deflate'] : []), ...(name === 'statesocket' ? (workload.statesocketArgs ?? []) : [])],
    // BENCH_SERVER_NODE_FLAGS: extra flags for the server process only, e.g. to profile it
    // with `--cpu-prof --cpu-prof-dir=DIR` (Node refuses --cpu-prof in NODE_OPTIONS).
    nodeFlags: ['--expose-gc', ...(process.env['BENCH_SERVER_NODE_FLAGS']?.split(' ').filter((flag) => flag !== '') ?? [])],
    core: environment.pinning.enabled ? environment.pinning.serverCore : null,
    fileDescriptors: environment.fileDescriptors,
    env,
  });
  const ready = await server.next(['ready'], STARTUP_MS);
  const info = environment.serverInfo.get(name) ?? { description: ready.description, warnings: new Set<string>() };
  for (const warning of ready.warnings) info.warnings.add(warning);
  environment.serverInfo.set(name, info);
  return { server, port: ready.port };
}

function startClient(job: ClientJob, environment: MeasureEnvironment, index = 0): ClientProcess {
  const client: ClientProcess = new BenchProcess(`load client ${index}`, {
    script: CLIENT_SCRIPT,
    core: environment.pinning.enabled ? environment.pinning.clientCore : null,
    fileDescriptors: environment.fileDescriptors,
  });
  client.send({ type: 'job', job });
  return client;
}

async function serverCpu(server: ServerProcess): Promise<number> {
  server.send({ type: 'cpu' });
  const cpu: ServerCpu = await server.next(['cpu'], STARTUP_MS);
  return cpu.userMicros + cpu.systemMicros;
}

async function serverMemory(server: ServerProcess, gc: boolean): Promise<ServerMemory> {
  server.send({ type: 'memory', gc });
  return server.next(['memory'], 60_000);
}

async function stopAll(server: ServerProcess | undefined, clients: ClientProcess[]): Promise<void> {
  for (const client of clients) client.kill();
  if (server !== undefined) {
    server.send({ type: 'stop' });
    await server.exit(2000);
    server.kill();
  }
  await Promise.all(clients.map((client) => client.exit()));
}

async function measureLoad(
  name: ServerName,
  workload: EchoWorkload | ChurnWorkload | ClientWorkload,
  environment: MeasureEnvironment,
  base: MeasurementBase,
): Promise<Measurement> {
  let server: ServerProcess | undefined;
  const clients: ClientProcess[] = [];
  try {
    // A client row: the column names the client library; the server is always ws's echo server.
    const started = await startServer(workload.kind === 'client-echo' ? 'ws' : name, workload, environment);
    server = started.server;
    const port = started.port;
    const memoryPerConnection = workload.kind === 'echo' && workload.memoryPerConnection === true;
    const memoryBefore = memoryPerConnection ? await serverMemory(server, true) : undefined;
    const job: ClientJob =
      workload.kind === 'echo' || workload.kind === 'client-echo'
        ? {
            kind: 'echo',
            port,
            connections: workload.connections,
            inFlight: workload.inFlight,
            payloadSize: workload.payloadSize,
            fragments: workload.fragments,
            deflate: workload.deflate,
            variants: workload.kind === 'echo' ? (workload.variants ?? 1) : 1,
            ...(workload.tls ? { tls: true } : {}),
            warmupMessages: workload.warmupMessages,
            messages: workload.messages,
            maxSeconds: workload.maxSeconds,
            holdOpen: memoryPerConnection,
            ...(workload.kind === 'client-echo' ? { library: name as ClientLibrary } : {}),
          }
        : {
            kind: 'churn',
            port,
            concurrency: workload.concurrency,
            warmupCycles: workload.warmupCycles,
            cycles: workload.cycles,
            maxSeconds: workload.maxSeconds,
          };
    const client = startClient(job, environment);
    clients.push(client);
    const phaseMs = (workload.maxSeconds + 30) * 1000;
    const warm = await client.next(['warm', 'unsupported', 'error'], phaseMs);
    if (warm.type === 'unsupported') return { ...base, kind: 'unsupported', reason: warm.reason };
    if (warm.type === 'error') return { ...base, kind: 'error', message: warm.message };
    const cpuBefore = await serverCpu(server);
    const machineBefore = readMachineCpu();
    const goAt = performance.now();
    client.send({ type: 'go' });
    const outcome = await client.next(['result', 'error'], phaseMs);
    const serverCpuMicros = (await serverCpu(server)) - cpuBefore;
    const machineAfter = readMachineCpu();
    const wallSeconds = (performance.now() - goAt) / 1000;
    if (outcome.type === 'error') return { ...base, kind: 'error', message: outcome.message };
    const result = outcome.result;
    const load = machineLoadBetween(machineBefore, machineAfter, (serverCpuMicros + result.clientCpuMicros) / 1e6, wallSeconds);
    const beside: LoadBeside = { otherCores: load?.otherCores ?? NaN, stealShare: load?.stealShare ?? NaN };
    if (result.kind === 'churn') return { ...base, ...result, ...beside, serverCpuMicros };
    const memory = await serverMemory(server, memoryBefore !== undefined);
    const perConnection = (key: 'heapUsed' | 'rss'): number =>
      memoryBefore === undefined || workload.kind !== 'echo' ? NaN : (memory[key] - memoryBefore[key]) / workload.connections;
    return {
      ...base,
      ...result,
      ...beside,
      serverCpuMicros,
      serverRss: memory.rss,
      serverMaxRss: memory.maxRss,
      heapPerConnection: perConnection('heapUsed'),
      rssPerConnection: perConnection('rss'),
    };
  } catch (error) {
    return { ...base, kind: 'error', message: (error as Error).message };
  } finally {
    await stopAll(server, clients);
  }
}

async function measureIdle(
  name: ServerName,
  workload: IdleWorkload,
  environment: MeasureEnvironment,
  base: MeasurementBase,
): Promise<Measurement> {
  let server: ServerProcess | undefined;
  const clients: ClientProcess[] = [];
  try {
    const started = await startServer(name, workload, environment);
    server = started.server;
    const before = await serverMemory(server, true);
    const active = workload.activeConnections ?? 0;
    const wanted = Math.min(workload.connections, environment.connectionsPerProcess - active);
    const processes = Math.ceil(wanted / (environment.connectionsPerProcess - active));
    for (let index = 0; index < processes; index++) {
      const share = Math.floor(wanted / processes) + (index < wanted % processes ? 1 : 0);
      const job: ClientJob = {
        kind: 'idle',
        port: started.port,
        connections: share,
        concurrency: workload.concurrency,
        deflate: workload.deflate,
        // The active connections, if any, are the first client's.
        activeConnections: index === 0 ? active : 0,
        maxSeconds: workload.maxSeconds,
        ...(workload.library !== undefined ? { library: workload.library } : {}),
      };
      clients.push(startClient(job, environment, index));
    }
    let opened = 0;
    let failed = 0;
    let firstError: string | undefined;
    for (const client of clients) {
      const reply = await client.next(['open', 'error'], (workload.maxSeconds + 30) * 1000);
      if (reply.type === 'error') return { ...base, kind: 'error', message: reply.message };
      opened += reply.opened;
      failed += reply.failed;
      firstError ??= reply.firstError;
    }
    if (opened === 0) return { ...base, kind: 'error', message: `no connection opened: ${firstError}` };
    if (workload.settleMs !== undefined) await new Promise((resolve) => setTimeout(resolve, workload.settleMs));
    // The client counts a connection once the 101 arrives; wait until the server counts it too.
    const deadline = Date.now() + 10_000;
    for (;;) {
      server.send({ type: 'connections' });
      const { count } = await server.next(['connections'], STARTUP_MS);
      if (count >= opened || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = await serverMemory(server, true);
    return {
      ...base,
      kind: 'idle',
      connections: opened,
      failed,
      firstError,
      heapPerConnection: (after.heapUsed - before.heapUsed) / opened,
      rssPerConnection: (after.rss - before.rss) / opened,
      externalPerConnection: (after.external - before.external) / opened,
    };
  } catch (error) {
    return { ...base, kind: 'error', message: (error as Error).message };
  } finally {
    for (const client of clients) client.send({ type: 'stop' });
    await stopAll(server, clients);
  }
}

export function measure(name: ServerName, workload: Workload, round: number, environment: MeasureEnvironment): Promise<Measurement> {
  const base: MeasurementBase = { workload: workload.id, server: name, round };
  return workload.kind === 'idle'
    ? measureIdle(name, workload, environment, base)
    : measureLoad(name, workload, environment, base);
}
