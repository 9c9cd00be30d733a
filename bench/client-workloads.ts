/**
 * The client rows (issue 15 point 6): statesocket's WebSocket client, and ws's beside it, each
 * driving the same ws echo server in the same run. A client row's columns are the client
 * library (ws without and with bufferutil, as for the servers); the figure is the client
 * process's own CPU per message, taken like the server's (process.cpuUsage(), after warm-up).
 */
import type { ClientWorkload } from './workloads.js';

const CLIENTS = ['statesocket', 'ws', 'ws+bufferutil'] as const;
const NO_LIBRARY = 'the raw load client is no library';

export const CLIENT_WORKLOADS: readonly ClientWorkload[] = [
  {
    id: 'client-text-32B-pipelined',
    title: 'client: 32 B text to the ws echo server, 100 conns × 16 in flight',
    kind: 'client-echo',
    servers: CLIENTS,
    notApplicable: NO_LIBRARY,
    connections: 100,
    inFlight: 16,
    payloadSize: 32,
    fragments: 1,
    deflate: false,
    warmupMessages: 50_000,
    messages: 200_000,
    maxSeconds: 20,
    target: { against: 'ws', maxRatio: 0.5, text: '≤ 0.5× ws client' },
  },
  {
    id: 'client-text-1MiB',
    title: 'client: 1 MiB text to the ws echo server, 4 conns × 1 in flight',
    kind: 'client-echo',
    servers: CLIENTS,
    notApplicable: NO_LIBRARY,
    connections: 4,
    inFlight: 1,
    payloadSize: 1024 * 1024,
    fragments: 1,
    deflate: false,
    warmupMessages: 80,
    messages: 320,
    maxSeconds: 20,
    target: { against: 'ws', maxRatio: 1.0, text: '≤ 1.0× ws client' },
  },
];
