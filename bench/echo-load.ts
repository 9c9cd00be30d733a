/**
 * The echo job of the load client: `connections` connections, each keeping `inFlight`
 * messages outstanding. Every echo that comes back is answered by sending the next message
 * at once, so the server never waits for the client's bookkeeping; the messages a data event
 * completes go out again in one write of pre-built bytes.
 *
 * The first message of every connection is checked byte for byte (inflated first when
 * compressed), so a server that answers wrongly fails the measurement instead of being fast.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { EchoJob, EchoResult } from './bench-messages.js';
import {
  EchoFrameReader,
  handshakeRequest,
  inflateMessage,
  messageFrames,
  negotiatedClientWindowBits,
  textPayload,
} from './client-frames.js';
import { inBatches, openWebSocket, type OpenWebSocket } from './open-websocket.js';
import { percentileOfSorted } from './statistics.js';

/** Latency samples kept per measurement; beyond this the percentiles come from the first ones. */
const MAX_LATENCY_SAMPLES = 2_000_000;

export interface EchoControl {
  /** Warm-up is done and every connection is quiet; resolves when the orchestrator says go. */
  warm(): Promise<void>;
}

export class UnsupportedWorkload extends Error {}

interface Phase {
  target: number;
  sent: number;
  received: number;
  recording: boolean;
  finish: (() => void) | undefined;
  fail: ((error: Error) => void) | undefined;
}

interface LoadConnection {
  socket: Socket;
  reader: EchoFrameReader;
  /** Send times of the messages in flight, oldest first (a ring of `inFlight` slots). */
  sentAt: Float64Array;
  oldest: number;
  inFlight: number;
  /** Messages sent on this connection (which of the variants goes next). */
  sent: number;
}

/** The result, and a way to drop the connections (kept open for a memory reading with `holdOpen`). */
export async function runEchoLoad(job: EchoJob, control: EchoControl): Promise<{ result: EchoResult; closeAll: () => void }> {
  const request = handshakeRequest(job.port, job.deflate);
  const opened = await inBatches(job.connections, 50, () => openWebSocket(job.port, request, job.tls ?? false));
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw new Error(`opening a connection failed: ${(failure as PromiseRejectedResult).reason}`);
  const sockets = (opened as PromiseFulfilledResult<OpenWebSocket>[]).map((result) => result.value);

  let deflateWindowBits: number | null = null;
  if (job.deflate) {
    const windows = sockets.map((open) => negotiatedClientWindowBits(open.extensions));
    if (windows.some((bits) => bits === null)) {
      for (const open of sockets) open.socket.destroy();
      throw new UnsupportedWorkload('permessage-deflate offered, not accepted (no Sec-WebSocket-Extensions in the 101)');
    }
    deflateWindowBits = windows[0]!;
  } else if (sockets.some((open) => open.extensions !== '')) {
    throw new Error(`the server accepted an extension nobody offered: ${sockets[0]!.extensions}`);
  }

  const payload = textPayload(job.payloadSize, job.deflate);
  const message = messageFrames({ payload, fragments: job.fragments, deflateWindowBits });
  const repeated = Buffer.concat(new Array<Buffer>(job.inFlight).fill(message));
  /** batches[n]: n messages back to back, made once so a send allocates nothing. */
  const batches = Array.from({ length: job.inFlight + 1 }, (_, n) => repeated.subarray(0, n * message.length));
  /** With `variants`, the other messages sent in turn after the first (which is the one checked). */
  const variants = [
    message,
    ...Array.from({ length: job.variants - 1 }, (_, index) =>
      messageFrames({ payload: textPayload(job.payloadSize, job.deflate, 6456 + index), fragments: job.fragments, deflateWindowBits }),
    ),
  ];

  const latencies = new Float64Array(Math.min(job.messages, MAX_LATENCY_SAMPLES));
  let latencyCount = 0;
  const phase: Phase = { target: 0, sent: 0, received: 0, recording: false, finish: undefined, fail: undefined };

  const send = (connection: LoadConnection, count: number, now: number): void => {
    const ring = connection.sentAt;
    for (let i = 0; i < count; i++) ring[(connection.oldest + connection.inFlight + i) % job.inFlight] = now;
    connection.inFlight += count;
    phase.sent += count;
    if (variants.length === 1) connection.socket.write(batches[count]!);
    // Each connection starts with the first message, the one its first echo is checked against.
    else for (let i = 0; i < count; i++) connection.socket.write(variants[connection.sent++ % variants.length]!);
  };

  const connections = sockets.map(({ socket, rest }): LoadConnection => {
    const connection: LoadConnection = {
      socket,
      reader: new EchoFrameReader(),
      sentAt: new Float64Array(job.inFlight),
      oldest: 0,
      inFlight: 0,
      sent: 0,
    };
    const reader = connection.reader;
    reader.collectNextMessage();
    reader.onCollected = (body, compressed) => {
      let echoed: Buffer;
      try {
        echoed = compressed ? inflateMessage(body) : body;
      } catch (error) {
        phase.fail?.(new Error(`the echo does not inflate: ${(error as Error).message}`));
        return;
      }
      if (!echoed.equals(payload)) phase.fail?.(new Error(`echo differs from the message sent (${echoed.length} bytes back)`));
    };
    reader.onControlFrame = (opcode, body) => {
      const code = opcode === 0x8 && body.length >= 2 ? ` ${body.readUInt16BE(0)}` : '';
      phase.fail?.(new Error(`the server sent control frame 0x${opcode.toString(16)}${code} during the echo load`));
    };
    socket.on('data', (chunk: Buffer) => {
      const completed = reader.push(chunk);
      if (completed === 0) return;
      const now = performance.now();
      if (phase.recording) {
        for (let i = 0; i < completed && latencyCount < latencies.length; i++) {
          latencies[latencyCount++] = (now - connection.sentAt[(connection.oldest + i) % job.inFlight]!) * 1000;
        }
      }
      connection.oldest = (connection.oldest + completed) % job.inFlight;
      connection.inFlight -= completed;
      phase.received += completed;
      const next = Math.min(completed, phase.target - phase.sent);
      if (next > 0) send(connection, next, now);
      if (phase.received >= phase.target) phase.finish?.();
    });
    socket.on('error', (error) => phase.fail?.(error));
    socket.on('close', () => phase.fail?.(new Error('the server closed a connection during the echo load')));
    return connection;
  });
  for (let i = 0; i < connections.length; i++) {
    if (sockets[i]!.rest.length > 0) connections[i]!.reader.push(sockets[i]!.rest);
  }

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
      for (const connection of connections) {
        const count = Math.min(job.inFlight, phase.target - phase.sent);
        if (count > 0) send(connection, count, now);
      }
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
    for (const connection of connections) {
      connection.socket.removeAllListeners('close');
      connection.socket.destroy();
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
