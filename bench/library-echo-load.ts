/**
 * The echo job driven through a WebSocket client library instead of raw frames: what the
 * client rows measure (issue 15 point 6), the client process's own CPU per message.
 *
 * The same code runs with statesocket's `WebSocket` or ws's (with or without bufferutil),
 * switched by `job.library` alone: each connection keeps `inFlight` text messages outstanding
 * and answers every echo by sending the next one at once. Messages are one Buffer made before
 * the measurement, sent as text (`{ binary: false }`), so neither library pays for UTF-8
 * encoding a string. The first echo on each connection is checked byte for byte.
 */
import { performance } from 'node:perf_hooks';
import type { ClientLibrary, EchoJob, EchoResult } from './bench-messages.js';
import { textPayload } from './client-frames.js';
import { type EchoControl } from './echo-load.js';
import { inBatches } from './open-websocket.js';
import { loadLibrary, openLibraryWebSocket, type LibraryWebSocket } from './library-websocket.js';
import { percentileOfSorted } from './statistics.js';

/** Latency samples kept per measurement; beyond this the percentiles come from the first ones. */
const MAX_LATENCY_SAMPLES = 2_000_000;

interface Phase {
  target: number;
  sent: number;
  received: number;
  recording: boolean;
  finish: (() => void) | undefined;
  fail: ((error: Error) => void) | undefined;
}

/** The result, and a way to drop the connections. */
export async function runLibraryEchoLoad(job: EchoJob, library: ClientLibrary, control: EchoControl): Promise<{ result: EchoResult; closeAll: () => void }> {
  if (job.deflate || job.fragments !== 1 || job.tls || job.variants !== 1) {
    throw new Error('a library client row sends one unfragmented, uncompressed message over ws:// (no deflate, fragments, TLS or variants)');
  }
  const WebSocket = await loadLibrary(library);
  const url = `ws://127.0.0.1:${job.port}/`;
  const opened = await inBatches(job.connections, 50, () => openLibraryWebSocket(WebSocket, url));
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw new Error(`opening a connection failed: ${(failure as PromiseRejectedResult).reason}`);
  const sockets = (opened as PromiseFulfilledResult<LibraryWebSocket>[]).map((result) => result.value);

  const payload = textPayload(job.payloadSize, false);
  const text = { binary: false };
  const latencies = new Float64Array(Math.min(job.messages, MAX_LATENCY_SAMPLES));
  let latencyCount = 0;
  const phase: Phase = { target: 0, sent: 0, received: 0, recording: false, finish: undefined, fail: undefined };

  const connections = sockets.map((socket) => {
    /** Send times of the messages in flight, oldest first (a ring of `inFlight` slots). */
    const sentAt = new Float64Array(job.inFlight);
    let oldest = 0;
    let inFlight = 0;
    let checked = false;
    const send = (now: number): void => {
      sentAt[(oldest + inFlight) % job.inFlight] = now;
      inFlight++;
      phase.sent++;
      socket.send(payload, text);
    };
    socket.on('message', (data, isBinary) => {
      if (!checked) {
        checked = true;
        if (isBinary || !data.equals(payload)) phase.fail?.(new Error(`echo differs from the message sent (${data.length} bytes back, binary: ${isBinary})`));
      }
      const now = performance.now();
      if (phase.recording && latencyCount < latencies.length) latencies[latencyCount++] = (now - sentAt[oldest]!) * 1000;
      oldest = (oldest + 1) % job.inFlight;
      inFlight--;
      phase.received++;
      if (phase.sent < phase.target) send(now);
      if (phase.received >= phase.target) phase.finish?.();
    });
    socket.on('error', (error) => phase.fail?.(error));
    socket.on('close', (code) => phase.fail?.(new Error(`the connection closed (${code}) during the echo load`)));
    return { socket, start: (count: number, now: number) => { for (let i = 0; i < count; i++) send(now); } };
  });

  /** Sends `target` messages in all and resolves when all came back, or at the time limit. */
  const runPhase = (target: number, recording: boolean): Promise<boolean> =>
    new Promise((resolve, reject) => {
      phase.target = target;
      phase.sent = 0;
      phase.received = 0;
      phase.recording = recording;
      const timer = setTimeout(() => done(true), job.maxSeconds * 1000);
      const done = (timedOut: boolean): void => {
        clearTimeout(timer);
        phase.finish = undefined;
        phase.fail = undefined;
        resolve(timedOut);
      };
      phase.finish = () => done(false);
      phase.fail = (error) => {
        clearTimeout(timer);
        phase.finish = undefined;
        phase.fail = undefined;
        reject(error);
      };
      const now = performance.now();
      for (const connection of connections) connection.start(Math.min(job.inFlight, phase.target - phase.sent), now);
    });

  if (job.warmupMessages > 0 && (await runPhase(job.warmupMessages, false))) {
    throw new Error(`warm-up did not finish in ${job.maxSeconds} s (${phase.received} of ${job.warmupMessages} echoes)`);
  }
  await control.warm();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const timedOut = await runPhase(job.messages, true);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const closeAll = (): void => {
    for (const { socket } of connections) {
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      socket.terminate();
    }
  };
  if (!job.holdOpen) closeAll();

  const sorted = latencies.subarray(0, latencyCount).sort();
  const result: EchoResult = {
    kind: 'echo',
    messages: phase.received,
    wallSeconds,
    latencyP50Micros: percentileOfSorted(sorted, 0.5),
    latencyP99Micros: percentileOfSorted(sorted, 0.99),
    payloadBytes: phase.received * job.payloadSize,
    clientCpuMicros: cpu.user + cpu.system,
    timedOut,
  };
  return { result, closeAll };
}
