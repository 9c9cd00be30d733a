/**
 * The load client's connection jobs: many idle connections held open, and connection churn
 * (connect, upgrade, Close handshake, TCP close, again).
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { ChurnJob, ChurnResult, IdleJob } from './bench-messages.js';
import { EchoFrameReader, closeFrame, handshakeRequest, messageFrames, negotiatedClientWindowBits, textPayload } from './client-frames.js';
import { inBatches, openWebSocket, type OpenWebSocket } from './open-websocket.js';
import type { EchoControl } from './echo-load.js';
import { loadLibrary, openLibraryWebSocket, type LibraryWebSocket } from './library-websocket.js';

export interface IdleConnections {
  opened: number;
  failed: number;
  firstError: string | undefined;
  /** Drops every connection. */
  closeAll(): void;
}

/** The message each connection of a deflate idle job sends once: 8 KiB of random letters. */
const IDLE_DEFLATE_MESSAGE_SIZE = 8 * 1024;
/** What the active connections of an idle job keep sending: compressible text, as the echo rows. */
const ACTIVE_MESSAGE_SIZE = 16 * 1024;
/** Echoes each active connection has had before the job counts it as open. */
const ACTIVE_ECHOES_BEFORE_OPEN = 2;

/**
 * Opens `job.connections` connections and keeps them, sending nothing — or, for `job.deflate`,
 * one compressed message each, whose echo is awaited before the connection counts as open.
 */
export async function openIdleConnections(job: IdleJob): Promise<IdleConnections> {
  if (job.library !== undefined) return openLibraryIdleConnections(job, job.library);
  const request = handshakeRequest(job.port, job.deflate);
  const deadline = performance.now() + job.maxSeconds * 1000;
  const payload = textPayload(IDLE_DEFLATE_MESSAGE_SIZE, false);
  const results = await inBatches(job.connections, job.concurrency, async () => {
    if (performance.now() > deadline) throw new Error(`not opened within ${job.maxSeconds} s`);
    const open = await openWebSocket(job.port, request);
    const { socket } = open;
    socket.on('error', () => socket.destroy());
    if (!job.deflate) socket.on('data', answerHeartbeatPings);
    if (job.deflate) await exchangeCompressedMessage(open, payload);
    return socket;
  });
  const sockets: Socket[] = [];
  let firstError: string | undefined;
  for (const result of results) {
    if (result.status === 'fulfilled') sockets.push(result.value);
    else firstError ??= String(result.reason);
  }
  if (job.activeConnections > 0) {
    const activeRequest = handshakeRequest(job.port, job.deflate);
    const activePayload = textPayload(ACTIVE_MESSAGE_SIZE, true);
    // All open first, then all start sending: a server busy with the first ones' traffic would
    // otherwise be slow to answer the later handshakes.
    const opened = await inBatches(job.activeConnections, job.concurrency, () => openWebSocket(job.port, activeRequest));
    const active = await Promise.allSettled(
      opened.map(async (result) => {
        if (result.status === 'rejected') throw result.reason;
        await keepSending(result.value, activePayload, job.deflate);
        return result.value.socket;
      }),
    );
    for (const result of active) {
      if (result.status === 'fulfilled') sockets.push(result.value);
      else firstError ??= String(result.reason);
    }
    results.push(...active);
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

/**
 * Idle connections opened with a client library: its own handshake (a fresh key each), and every
 * Ping the server sends answered by the library, as any correct client answers it.
 */
async function openLibraryIdleConnections(job: IdleJob, library: NonNullable<IdleJob['library']>): Promise<IdleConnections> {
  if (job.deflate || job.activeConnections > 0) throw new Error('an idle job with a client library has no deflate and no active connections');
  const WebSocket = await loadLibrary(library);
  const deadline = performance.now() + job.maxSeconds * 1000;
  const url = `ws://127.0.0.1:${job.port}/`;
  const results = await inBatches(job.connections, job.concurrency, async () => {
    if (performance.now() > deadline) throw new Error(`not opened within ${job.maxSeconds} s`);
    const socket = await openLibraryWebSocket(WebSocket, url);
    socket.on('error', () => socket.terminate());
    return socket;
  });
  const sockets: LibraryWebSocket[] = [];
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
      for (const socket of sockets) socket.terminate();
    },
  };
}

/**
 * Sends a message, and the next each time its echo is back, until the socket closes; resolves
 * after the first `ACTIVE_ECHOES_BEFORE_OPEN` echoes.
 */
function keepSending({ socket, extensions, rest }: OpenWebSocket, payload: Buffer, deflate: boolean): Promise<void> {
  const deflateWindowBits = deflate ? negotiatedClientWindowBits(extensions) : null;
  if (deflate && deflateWindowBits === null) {
    socket.destroy();
    return Promise.reject(new Error('permessage-deflate offered, not accepted (no Sec-WebSocket-Extensions in the 101)'));
  }
  const frames = messageFrames({ payload, fragments: 1, deflateWindowBits });
  return new Promise<void>((resolve, reject) => {
    const reader = new EchoFrameReader();
    let echoes = 0;
    socket.on('data', (chunk: Buffer) => {
      const completed = reader.push(chunk);
      if (completed === 0) return;
      echoes += completed;
      if (echoes >= ACTIVE_ECHOES_BEFORE_OPEN) resolve();
      socket.write(frames);
    });
    socket.on('close', () => reject(new Error('the connection closed while sending')));
    socket.on('error', () => socket.destroy());
    socket.write(frames);
    if (rest.length > 0) reader.push(rest);
  });
}

/** A masked empty Pong (RFC 6455 §5.5.3), the answer to a server's heartbeat Ping. */
const EMPTY_PONG = Buffer.from([0x8a, 0x80, 0x11, 0x22, 0x33, 0x44]);

/** An idle connection answers each empty Ping (0x89 0x00) the server sends, as a browser does. */
function answerHeartbeatPings(this: Socket, chunk: Buffer): void {
  for (let i = chunk.indexOf(0x89); i !== -1 && i + 1 < chunk.length; i = chunk.indexOf(0x89, i + 2)) {
    if (chunk[i + 1] === 0x00) this.write(EMPTY_PONG);
  }
}

/** Sends one compressed message and resolves when a whole message has come back. */
function exchangeCompressedMessage({ socket, extensions, rest }: OpenWebSocket, payload: Buffer): Promise<void> {
  const deflateWindowBits = negotiatedClientWindowBits(extensions);
  if (deflateWindowBits === null) {
    socket.destroy();
    return Promise.reject(new Error('permessage-deflate offered, not accepted (no Sec-WebSocket-Extensions in the 101)'));
  }
  return new Promise<void>((resolve, reject) => {
    const reader = new EchoFrameReader();
    const onData = (chunk: Buffer): void => {
      if (reader.push(chunk) === 0) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve();
    };
    const onClose = (): void => reject(new Error('the connection closed before the echo came back'));
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(messageFrames({ payload, fragments: 1, deflateWindowBits }));
    if (rest.length > 0) onData(rest);
  });
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
