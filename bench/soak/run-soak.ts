/**
 * `npm run soak [-- --short]`: drive statesocket's echo server (a process of its own, 127.0.0.1)
 * with loopback clients and print one row per abuse, each with its figures and the bound it must
 * keep (stated below); exit 1 when a row misses its bound. The same TCP rows run against `ws` 8
 * (same echo, same handshake timeout) for a side-by-side column; ws's figures have no bound.
 * Full sizes are issue 14's; `--short` (CI) runs each row smaller, in a few minutes.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closeFrame, handshakeRequest, messageFrames } from '../client-frames.js';
import { inBatches, openWebSocket } from '../open-websocket.js';
import { handshakeCheckingIntervalMs } from '../../src/handshake-timeout.js';
import { fuzzOverTcp } from './frame-fuzzer-over-tcp.js';

const { values } = parseArgs({ options: { short: { type: 'boolean', default: false }, only: { type: 'string' } } });
/** `--only slowloris,resets`: run only these rows (churn, idle, slowloris, non-readers, resets, frame-fuzzer, fragments). */
const ONLY = values.only?.split(',');
const runs = (row: string) => ONLY === undefined || ONLY.includes(row);
const SHORT = values.short;
const MIB = 1024 * 1024;
const SIZES = SHORT
  ? { cycles: 4_000, idle: 2_000, slowloris: 200, handshakeTimeoutMs: 2_000, nonReaderSeconds: 10, resets: 1_000, fuzzInputs: 5_000, bigFragments: 8 * MIB }
  : { cycles: 100_000, idle: 15_000, slowloris: 1_000, handshakeTimeoutMs: 10_000, nonReaderSeconds: 60, resets: 10_000, fuzzInputs: 100_000, bigFragments: 64 * MIB };
/** The frame fuzzer row's seed: fixed, so that a disagreement replays (frame-fuzzer-over-tcp.ts says how). */
const FUZZ_SEED = 14;

/** Node checks for expired requests this often (handshake-timeout.ts): a request may outlive the timeout by as much. */
const CHECKING_INTERVAL_MS = handshakeCheckingIntervalMs(SIZES.handshakeTimeoutMs);

interface Stats { heapUsed: number; rss: number; peakRss: number; connections: number }
/** `ws`: what the ws column says of a row ws does not run. */
interface Row { name: string; figures: string; bound: string; ok: boolean; ws?: string }
type ServerKind = 'statesocket' | 'ws';
/** The rows of the server being driven (`runRows` sets it). */
let rows: Row[] = [];
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
/** A change in size with its sign: "+4.6 MiB", "-6.8 MiB" (RSS can fall below where it started). */
const mibChange = (bytes: number) => `${bytes < 0 ? '-' : '+'}${mib(Math.abs(bytes))}`;

class SoakServer {
  private constructor(private readonly child: ChildProcess, readonly port: number) {}
  static async start(handshakeTimeoutMs: number, kind: ServerKind): Promise<SoakServer> {
    const script = fileURLToPath(new URL('./soak-server.js', import.meta.url));
    const child = fork(script, [String(handshakeTimeoutMs), kind], { execArgv: ['--expose-gc'] });
    const [ready] = (await once(child, 'message')) as [{ port: number }];
    return new SoakServer(child, ready.port);
  }
  async ask<T>(type: string): Promise<T> {
    this.child.send({ type });
    const [answer] = (await once(this.child, 'message')) as [T];
    return answer;
  }
  stats(): Promise<Stats> { return this.ask<Stats>('stats'); }
  /** Wait until the server holds no connection (at most `ms`). */
  async drained(ms = 10_000): Promise<Stats> {
    const deadline = Date.now() + ms;
    for (;;) {
      const stats = await this.stats();
      if (stats.connections === 0 || Date.now() > deadline) return stats;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  stop(): void { this.child.send({ type: 'stop' }); }
}

/** connect → upgrade → echo → close, `count` times, 32 at a time. */
async function churn(server: SoakServer, count: number): Promise<void> {
  const request = handshakeRequest(server.port, false);
  const message = messageFrames({ payload: Buffer.from('soak'), fragments: 1, deflateWindowBits: null });
  const results = await inBatches(count, 32, async () => {
    const { socket } = await openWebSocket(server.port, request);
    socket.on('error', () => {});
    socket.write(message);
    socket.write(closeFrame());
    await once(socket, 'close');
  });
  const failed = results.filter((result) => result.status === 'rejected').length;
  if (failed > 0) throw new Error(`${failed} cycles failed`);
}

async function rowChurn(server: SoakServer): Promise<void> {
  const start = await server.stats();
  await churn(server, SIZES.cycles / 2);
  const middle = await server.drained();
  await churn(server, SIZES.cycles / 2);
  const end = await server.drained();
  const growth = end.heapUsed - start.heapUsed;
  rows.push({
    name: `${SIZES.cycles.toLocaleString('en')} connect→upgrade→echo→close cycles, 32 at a time`,
    figures: `heap after GC ${mib(start.heapUsed)} / ${mib(middle.heapUsed)} / ${mib(end.heapUsed)} (start/middle/end); connections at end ${end.connections}`,
    bound: 'heap end ≤ start + 4 MiB; connections back to 0',
    ok: growth <= 4 * MIB && end.connections === 0,
  });
}

async function rowIdle(server: SoakServer): Promise<void> {
  const before = await server.stats();
  const request = handshakeRequest(server.port, false);
  const results = await inBatches(SIZES.idle, 200, () => openWebSocket(server.port, request));
  const sockets = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.socket] : []));
  const held = await server.stats();
  for (const socket of sockets) socket.destroy();
  const after = await server.drained();
  const heapPer = (held.heapUsed - before.heapUsed) / sockets.length;
  const rssPer = (held.rss - before.rss) / sockets.length;
  rows.push({
    name: `${SIZES.idle.toLocaleString('en')} idle connections`,
    figures: `${sockets.length.toLocaleString('en')} opened; heap ${(heapPer / 1024).toFixed(2)} KiB and RSS ${(rssPer / 1024).toFixed(2)} KiB per connection; connections after ${after.connections}`,
    bound: 'all opened; heap ≤ 4 KiB and RSS ≤ 12 KiB per connection; back to 0',
    ok: sockets.length === SIZES.idle && heapPer <= 4096 && rssPer <= 12 * 1024 && after.connections === 0,
  });
}

async function rowSlowloris(server: SoakServer): Promise<void> {
  const before = await server.stats();
  // The peak of this row only (the idle row's connections came before it).
  await server.ask('reset-peak');
  const started = Date.now();
  const closedAt: number[] = [];
  let timedOut = 0;
  const sockets = Array.from({ length: SIZES.slowloris }, () => {
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    // Written now, so that it is queued before any trickled byte (a byte first would be a bad request line).
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => {
      closedAt.push(Date.now() - started);
      if (answer.startsWith('HTTP/1.1 408 ')) timedOut++;
    });
    return socket;
  });
  // Trickle one header byte per socket every 500 ms until the server closes them (bounded: 3 × the timeout).
  const deadline = started + 3 * SIZES.handshakeTimeoutMs;
  while (closedAt.length < sockets.length && Date.now() < deadline) {
    for (const socket of sockets) if (!socket.destroyed) socket.write('X');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const stats = await server.stats();
  for (const socket of sockets) socket.destroy();
  const last = Math.max(0, ...closedAt);
  rows.push({
    name: `${SIZES.slowloris.toLocaleString('en')} slowloris handshakes (handshakeTimeoutMs ${SIZES.handshakeTimeoutMs})`,
    figures: `${closedAt.length} closed by the server (${timedOut} with 408), the last after ${(last / 1000).toFixed(1)} s; peak RSS ${mibChange(stats.peakRss - before.rss)}`,
    bound: `all closed with 408, after the timeout and within timeout + Node's checking interval (${CHECKING_INTERVAL_MS} ms) + 2 s; peak RSS growth ≤ 64 MiB`,
    ok:
      timedOut === sockets.length &&
      Math.min(...closedAt) >= SIZES.handshakeTimeoutMs - 1000 &&
      last <= SIZES.handshakeTimeoutMs + CHECKING_INTERVAL_MS + 2000 &&
      stats.peakRss - before.rss <= 64 * MIB,
  });
}

function rowFragments(fragments: number, boundMiB: number): void {
  const probe = fileURLToPath(new URL('../../test/probes/fragment-memory-probe.js', import.meta.url));
  const result = JSON.parse(execFileSync(process.execPath, ['--expose-gc', probe, String(fragments)], { encoding: 'utf8' }));
  rows.push({
    name: `a ${mib(fragments)} message in ${fragments.toLocaleString('en')} one-byte fragments (protocol core)`,
    figures: `delivered ${result.delivered.toLocaleString('en')} bytes; peak RSS +${result.peakRssGrowthMiB.toFixed(1)} MiB; ${result.seconds.toFixed(1)} s`,
    bound: `peak RSS growth ≤ ${boundMiB} MiB`,
    ok: result.delivered === fragments && result.peakRssGrowthMiB <= boundMiB,
  });
}

async function rowNonReaders(server: SoakServer): Promise<void> {
  const before = await server.stats();
  await server.ask('reset-peak');
  const request = handshakeRequest(server.port, false);
  const message = messageFrames({ payload: Buffer.alloc(MIB, 0x61), fragments: 1, deflateWindowBits: null });
  const opened = await Promise.all(Array.from({ length: 10 }, () => openWebSocket(server.port, request)));
  const until = Date.now() + SIZES.nonReaderSeconds * 1000;
  let written = 0;
  for (const { socket } of opened) {
    socket.on('error', () => {});
    socket.pause();
    const pump = () => {
      while (Date.now() < until && !socket.destroyed && socket.write(message)) written += MIB;
      if (Date.now() < until && !socket.destroyed) socket.once('drain', pump);
    };
    pump();
  }
  await new Promise((resolve) => setTimeout(resolve, SIZES.nonReaderSeconds * 1000));
  const stats = await server.stats();
  for (const { socket } of opened) socket.destroy();
  await server.drained();
  rows.push({
    name: `10 clients sending 1 MiB messages, reading nothing, for ${SIZES.nonReaderSeconds} s`,
    figures: `${mib(written)} handed to the client sockets; server peak RSS ${mibChange(stats.peakRss - before.rss)}`,
    bound: 'server peak RSS growth ≤ 10 × (writeHighWaterMark 1 MiB + 2 × 1 MiB message) + 64 MiB = 94 MiB',
    ok: stats.peakRss - before.rss <= 94 * MIB,
  });
}

async function rowResets(server: SoakServer): Promise<void> {
  const before = await server.stats();
  const request = handshakeRequest(server.port, false);
  const whole = messageFrames({ payload: Buffer.alloc(64 * 1024, 0x62), fragments: 1, deflateWindowBits: null });
  const half = whole.subarray(0, whole.length >> 1);
  await inBatches(SIZES.resets, 32, async () => {
    const { socket } = await openWebSocket(server.port, request);
    socket.on('error', () => {});
    socket.write(half);
    await new Promise((resolve) => setImmediate(resolve));
    socket.resetAndDestroy();
  });
  const after = await server.drained();
  rows.push({
    name: `${SIZES.resets.toLocaleString('en')} clients resetting TCP mid-message`,
    figures: `connections after ${after.connections}; heap after GC ${mib(before.heapUsed)} → ${mib(after.heapUsed)}`,
    bound: 'connections back to 0; heap growth ≤ 4 MiB',
    ok: after.connections === 0 && after.heapUsed - before.heapUsed <= 4 * MIB,
  });
}

async function rowFrameFuzzer(server: SoakServer): Promise<void> {
  const before = await server.stats();
  await server.ask('reset-peak');
  const result = await fuzzOverTcp(server.port, SIZES.fuzzInputs, FUZZ_SEED, 32);
  const stats = await server.stats();
  const after = await server.drained();
  const first = result.first === undefined ? '' : ` (first: input ${result.first.index}, seed ${FUZZ_SEED}: ${result.first.difference.slice(0, 400)})`;
  rows.push({
    name: `frame fuzzer over TCP: ${result.inputs.toLocaleString('en')} inputs (seed ${FUZZ_SEED}), 32 connections at a time`,
    figures:
      `${Math.round(result.inputs / result.seconds).toLocaleString('en')} inputs/s (${result.seconds.toFixed(0)} s); ${result.disagreements} disagreements with the RFC oracle${first}; ` +
      `connections at end ${after.connections}; server peak RSS ${mibChange(stats.peakRss - before.rss)}`,
    bound: '0 disagreements; connections back to 0; server peak RSS growth ≤ 64 MiB',
    ok: result.disagreements === 0 && after.connections === 0 && stats.peakRss - before.rss <= 64 * MIB,
    ws: "not run: ws's rules differ from the oracle's where the fuzzer aims (it accepts non-minimal length encodings, which the oracle fails with 1002)",
  });
}

/** The TCP rows against one server; the fragment rows (protocol core) only for statesocket. */
async function runRows(kind: ServerKind): Promise<Row[]> {
  rows = [];
  const server = await SoakServer.start(SIZES.handshakeTimeoutMs, kind);
  try {
    if (runs('churn')) await rowChurn(server);
    if (runs('idle')) await rowIdle(server);
    if (runs('slowloris')) await rowSlowloris(server);
    if (runs('non-readers')) await rowNonReaders(server);
    if (runs('resets')) await rowResets(server);
    if (kind === 'statesocket' && runs('frame-fuzzer')) await rowFrameFuzzer(server);
  } finally {
    server.stop();
  }
  if (kind === 'statesocket' && runs('fragments')) {
    rowFragments(1_000_000, 10);
    rowFragments(SIZES.bigFragments, 2 * (SIZES.bigFragments / MIB) + 10);
  }
  return rows;
}

const started = Date.now();
const statesocketRows = await runRows('statesocket');
const wsRows = await runRows('ws');
console.log(`\nstatesocket soak (${SHORT ? '--short' : 'full'}), ${((Date.now() - started) / 1000).toFixed(0)} s, node ${process.version}\n`);
console.log('| row | statesocket | ws 8 (same clients, no bound) | bound (statesocket) | verdict |\n|---|---|---|---|---|');
for (const row of statesocketRows) {
  // The fragment rows drive statesocket's protocol core in process: ws has no such core to drive.
  const ws = wsRows.find((wsRow) => wsRow.name === row.name)?.figures ?? row.ws ?? 'not run (an in-process probe of statesocket\'s core)';
  console.log(`| ${row.name} | ${row.figures} | ${ws} | ${row.bound} | ${row.ok ? 'pass' : 'FAIL'} |`);
}
process.exit(statesocketRows.every((row) => row.ok) ? 0 : 1);
