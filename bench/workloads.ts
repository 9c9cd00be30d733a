/**
 * What is measured: the workloads of issue 6, their sizes for a full and a `--quick` run,
 * and the target each sets for statesocket as a ratio to ws measured in the same run.
 *
 * Sizes are counts, not durations, so every server does the same work; each phase also has
 * a time limit (`maxSeconds`) so that a stuck server cannot stall the run; a measurement cut
 * by it is flagged in the report.
 */
import type { ChurnJob, EchoJob, IdleJob, ServerName } from './bench-messages.js';

/** A target from issue 6: statesocket's cost ÷ the reference's cost, at most `maxRatio`. */
export interface Target {
  against: Extract<ServerName, 'ws' | 'ws+bufferutil'>;
  maxRatio: number;
  /** Also p99 latency no worse than the reference's. */
  p99NoWorse?: boolean;
  text: string;
}

interface WorkloadBase {
  id: string;
  title: string;
  /** Servers that can run it; the others are shown as n/a with `notApplicable`'s reason. */
  servers: readonly ServerName[];
  notApplicable?: string;
  target: Target | undefined;
  /** Extra arguments for statesocket's server process (bench/servers/statesocket-server.ts). */
  statesocketArgs?: readonly string[];
}

/** An echo measurement: the client's job (bench-messages.ts) less the port, which is known only at run time. */
export interface EchoWorkload extends WorkloadBase, Omit<EchoJob, 'port'> {}

export interface IdleWorkload extends WorkloadBase, Omit<IdleJob, 'port'> {}

export interface ChurnWorkload extends WorkloadBase, Omit<ChurnJob, 'port'> {}

export type Workload = EchoWorkload | IdleWorkload | ChurnWorkload;

const ALL_SERVERS = ['statesocket', 'ws', 'ws+bufferutil', 'net'] as const;
const KIB = 1024;
const MIB = 1024 * 1024;

/** The full run: a few minutes on 2 cores. */
export const FULL_WORKLOADS: readonly Workload[] = [
  {
    id: 'text-32B-pipelined',
    title: '32 B text, 100 conns × 16 in flight',
    kind: 'echo',
    servers: ALL_SERVERS,
    connections: 100,
    inFlight: 16,
    payloadSize: 32,
    fragments: 1,
    deflate: false,
    warmupMessages: 50_000,
    messages: 200_000,
    maxSeconds: 20,
    target: { against: 'ws', maxRatio: 0.4, text: '≤ 0.4× ws' },
  },
  {
    id: 'text-32B-request-response',
    title: '32 B text, 100 conns × 1 in flight',
    kind: 'echo',
    servers: ALL_SERVERS,
    connections: 100,
    inFlight: 1,
    payloadSize: 32,
    fragments: 1,
    deflate: false,
    warmupMessages: 20_000,
    messages: 80_000,
    maxSeconds: 20,
    target: { against: 'ws', maxRatio: 0.8, p99NoWorse: true, text: '≤ 0.8× ws, p99 ≤ ws' },
  },
  {
    id: 'text-16KiB',
    title: '16 KiB text, 10 conns × 1 in flight',
    kind: 'echo',
    servers: ALL_SERVERS,
    connections: 10,
    inFlight: 1,
    payloadSize: 16 * KIB,
    fragments: 1,
    deflate: false,
    warmupMessages: 4_000,
    messages: 16_000,
    maxSeconds: 20,
    target: { against: 'ws+bufferutil', maxRatio: 1.0, text: '≤ 1.0× ws+bufferutil' },
  },
  {
    id: 'text-1MiB',
    title: '1 MiB text, 4 conns × 1 in flight',
    kind: 'echo',
    servers: ALL_SERVERS,
    connections: 4,
    inFlight: 1,
    payloadSize: MIB,
    fragments: 1,
    deflate: false,
    warmupMessages: 80,
    messages: 320,
    maxSeconds: 20,
    target: { against: 'ws+bufferutil', maxRatio: 1.0, text: '≤ 1.0× ws+bufferutil' },
  },
  {
    id: 'text-fragmented',
    title: '4 KiB text in 16 fragments, 10 conns × 4 in flight',
    kind: 'echo',
    servers: ALL_SERVERS,
    connections: 10,
    inFlight: 4,
    payloadSize: 4 * KIB,
    fragments: 16,
    deflate: false,
    warmupMessages: 8_000,
    messages: 32_000,
    maxSeconds: 20,
    target: undefined,
  },
  {
    id: 'permessage-deflate-16KiB',
    title: 'permessage-deflate, 1000 compressible 16 KiB text, 1 conn × 1 in flight',
    kind: 'echo',
    servers: ['statesocket', 'ws', 'ws+bufferutil'],
    notApplicable: 'a byte echo negotiates nothing',
    connections: 1,
    inFlight: 1,
    payloadSize: 16 * KIB,
    fragments: 1,
    deflate: true,
    warmupMessages: 300,
    messages: 1_000,
    maxSeconds: 20,
    target: { against: 'ws', maxRatio: 1.0, text: '≤ 1.0× ws' },
  },
  {
    id: 'idle-connections',
    title: 'idle connections: heap / RSS per connection after GC',
    kind: 'idle',
    servers: ALL_SERVERS,
    connections: 10_000,
    concurrency: 200,
    deflate: false,
    maxSeconds: 60,
    target: { against: 'ws', maxRatio: 1.0, text: '≤ 1.0× ws (heap and RSS)' },
  },
  {
    // Issue 14: the heartbeat's one shared sweep; compare with idle-connections' statesocket
    // column (target: ≤ 1.1× its heap and RSS). The load client answers every Ping.
    id: 'idle-connections-heartbeat',
    title: 'idle connections, heartbeat every 1 s (answered): heap / RSS per connection after GC',
    kind: 'idle',
    servers: ['statesocket'],
    notApplicable: 'ws leaves heartbeats to the application',
    connections: 10_000,
    concurrency: 200,
    deflate: false,
    maxSeconds: 60,
    target: undefined,
    statesocketArgs: ['--heartbeat-interval-ms', '1000'],
  },
  {
    id: 'idle-connections-deflate',
    title: 'idle connections after one compressed 8 KiB message each way: heap / RSS per connection after GC',
    kind: 'idle',
    servers: ['statesocket', 'ws', 'ws+bufferutil'],
    notApplicable: 'a byte echo negotiates nothing',
    connections: 1_000,
    concurrency: 50,
    deflate: true,
    maxSeconds: 60,
    target: { against: 'ws', maxRatio: 1.0, text: '≤ 1.0× ws (heap and RSS)' },
  },
  {
    id: 'churn',
    title: 'connect + upgrade + close, 32 at a time',
    kind: 'churn',
    servers: ALL_SERVERS,
    concurrency: 32,
    warmupCycles: 1_000,
    cycles: 4_000,
    maxSeconds: 20,
    target: { against: 'ws', maxRatio: 0.8, text: '≤ 0.8× ws' },
  },
];

/**
 * The `--quick` smoke run (one round, about a minute): the same workloads with a quarter of the
 * work (idle: 2,000 connections). Short phases leave the JIT and GC less settled, so its figures
 * are higher and noisier than a full run's: it checks that everything runs, it measures little.
 */
export const QUICK_WORKLOADS: readonly Workload[] = FULL_WORKLOADS.map((workload): Workload => {
  const quarter = (count: number): number => Math.max(1, Math.round(count / 4));
  switch (workload.kind) {
    case 'echo':
      return {
        ...workload,
        // The 1000 messages of the deflate case are the case: keep them, shorten the warm-up.
        warmupMessages: quarter(workload.warmupMessages),
        messages: workload.deflate ? workload.messages : quarter(workload.messages),
        maxSeconds: 10,
      };
    case 'idle':
      return { ...workload, connections: Math.min(workload.connections, 2_000), maxSeconds: 20 };
    case 'churn':
      return { ...workload, warmupCycles: quarter(workload.warmupCycles), cycles: quarter(workload.cycles), maxSeconds: 10 };
  }
});
