/**
 * The load client's connection jobs: many idle connections held open, and connection churn
 * (connect, upgrade, Close handshake, TCP close, again).
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { ChurnJob, ChurnResult, IdleJob } from './bench-messages.js';
import { EchoFrameReader, closeFrame, handshakeRequest } from './client-frames.js';
import { inBatches, openWebSocket } from './open-websocket.js';
import type { EchoControl } from './echo-load.js';

export interface IdleConnections {
  opened: number;
  failed: number;
  firstError: string | undefined;
  /** Drops every connection. */
  closeAll(): void;
}

/** Opens `job.connections` connections and keeps them, sending nothing. */
export async function openIdleConnections(job: IdleJob): Promise<IdleConnections> {
  const request = handshakeRequest(job.port, false);
  const deadline = performance.now() + job.maxSeconds * 1000;
  const results = await inBatches(job.connections, job.concurrency, async () => {
    if (performance.now() > deadline) throw new Error(`not opened within ${job.maxSeconds} s`);
    const { socket } = await openWebSocket(job.port, request);
    socket.on('error', () => socket.destroy());
    return socket;
  });
  const sockets: Socket[] = [];
  let firstError: string | undefined;
  for (const result of results) {
    if (result.status === 'fulfilled') sockets.push(result.value);
    else firstError ??= String(result.reason);
  }
  return {
    opened: sockets.length,
    failed: results.length - sockets.length,
    firstError,
    closeAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** One cycle: connect, upgrade, send Close 1000, wait for the server's Close and the TCP close. */
async function churnCycle(port: number, request: Buffer, close: Buffer): Promise<void> {
  const { socket, rest } = await openWebSocket(port, request);
  await new Promise<void>((resolve, reject) => {
    const reader = new EchoFrameReader();
    let closeReceived = false;
    reader.onControlFrame = (opcode) => {
      if (opcode !== 0x8) return;
      closeReceived = true;
      socket.end();
    };
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => (closeReceived ? resolve() : reject(new Error('TCP closed without a Close frame'))));
    if (rest.length > 0) reader.push(rest);
    socket.write(close);
  });
}

/** `cycles` churn cycles, `concurrency` at a time, stopping early at the time limit. */
async function churnPhase(job: ChurnJob, cycles: number): Promise<{ done: number; failed: number; timedOut: boolean }> {
  const request = handshakeRequest(job.port, false);
  const close = closeFrame();
  const deadline = performance.now() + job.maxSeconds * 1000;
  let started = 0;
  let done = 0;
  let failed = 0;
  let timedOut = false;
  const worker = async (): Promise<void> => {
    while (started < cycles) {
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      started++;
      try {
        await churnCycle(job.port, request, close);
        done++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  return { done, failed, timedOut };
}

export async function runChurnLoad(job: ChurnJob, control: EchoControl): Promise<ChurnResult> {
  const warmup = await churnPhase(job, job.warmupCycles);
  if (warmup.done === 0 && job.warmupCycles > 0) throw new Error(`no churn cycle completed in warm-up (${warmup.failed} failed)`);
  await control.warm();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const measured = await churnPhase(job, job.cycles);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    kind: 'churn',
    cycles: measured.done,
    failedCycles: measured.failed,
    wallSeconds,
    clientCpuMicros: cpu.user + cpu.system,
    timedOut: measured.timedOut,
  };
}
