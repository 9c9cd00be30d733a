/**
 * The soak's "frame fuzzer over TCP" row (issue 14, point 4): the frame fuzzer's inputs
 * (test/fuzz/frame-sequences.ts) sent to the soak's echo server over real loopback TCP, each on a
 * connection of its own after a valid opening handshake, and what comes back compared with the
 * RFC 6455 oracle (test/fuzz/rfc6455-oracle.ts).
 *
 * The inputs are restricted to what the echo server can be asked over TCP:
 * - `maxMessageSize` is the server's default (64 MiB), not the generator's 10, 64 or 1 MiB: one
 *   server serves every input. The 1009 of a declared length ≥ 2^53 is still exercised; the 1009
 *   of a small limit is left to `npm run fuzz` and `npm test`.
 * - no application close: the echo server's application only echoes.
 * - ending `tcp-end`: the client writes every byte, then ends its side (FIN), so that a truncated
 *   input ends as the oracle says (the server ends TCP without a Close frame).
 * Input i is generated alone from seed `seed + i`, so one input replays without the others:
 * `fc.sample(fuzzInput, { seed: seed + i, numRuns: 1 })` then `restrictedToTcp`.
 */
import fc from 'fast-check';
import { once } from 'node:events';
import { readServerFrames } from '../../test/fuzz/core-outcome.js';
import { fuzzInput, scenarioOf, type FuzzInput } from '../../test/fuzz/frame-sequences.js';
import { expectedOutcome } from '../../test/fuzz/rfc6455-oracle.js';
import { defaultServerOptions } from '../../src/server-options.js';
import { handshakeRequest } from '../client-frames.js';
import { inBatches, openWebSocket } from '../open-websocket.js';

/** A connection the server neither closes nor answers within this is a disagreement. */
const CONNECTION_TIMEOUT_MS = 10_000;

export function restrictedToTcp(input: FuzzInput): FuzzInput {
  return { ...input, maxMessageSize: defaultServerOptions.maxMessageSize, appClose: null, ending: 'tcp-end' };
}

export function tcpInput(seed: number, index: number): FuzzInput {
  return restrictedToTcp(fc.sample(fuzzInput, { seed: (seed + index) | 0, numRuns: 1 })[0]!);
}

/** What the client sees of the server: data frames (the echoes), other frames, whether the server ended TCP. */
interface Seen { data: string[]; control: string[]; serverEnded: boolean }

/** The frames the server writes, split into echoed messages and the rest (Pongs, Close). */
function splitFrames(frames: readonly string[]): Pick<Seen, 'data' | 'control'> {
  const isData = (frame: string) => frame.startsWith('opcode 1 ') || frame.startsWith('opcode 2 ');
  return { data: frames.filter(isData), control: frames.filter((frame) => !isData(frame)) };
}

/**
 * What the oracle says the client must see. The echo server echoes every delivered message, so
 * the echoes are the delivered messages in order; Pongs and the Close are the oracle's wire. The
 * relative order of echoes and Pongs is not compared: the oracle keeps them in two lists.
 */
function expectedSeen(input: FuzzInput): Seen {
  const outcome = expectedOutcome(scenarioOf(input));
  const data = outcome.app.flatMap((event) => {
    const [kind, hex] = event.split(' ');
    return kind === 'text' ? [`opcode 1 ${hex}`] : kind === 'binary' ? [`opcode 2 ${hex}`] : [];
  });
  const control = outcome.wire.filter((step) => step !== 'FIN' && step !== 'drop');
  return { data, control, serverEnded: outcome.wire.includes('FIN') };
}

/** Sends one input, in its chunks as separate writes, then FIN; resolves with what came back. */
async function sendOverTcp(port: number, request: Buffer, input: FuzzInput): Promise<Seen | string> {
  const { socket, rest } = await openWebSocket(port, request);
  const received: Buffer[] = [rest];
  let serverEnded = false;
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('end', () => (serverEnded = true));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const timer = setTimeout(() => {
    error = `the server left the connection open ${CONNECTION_TIMEOUT_MS} ms`;
    socket.destroy();
  }, CONNECTION_TIMEOUT_MS);
  const bytes = scenarioOf(input).bytes;
  // The chunking as core-outcome.ts feeds it; noDelay is on, but the kernel may still join writes.
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, input.chunks.length === 0 ? bytes.length : input.chunks[i % input.chunks.length]!);
    socket.write(bytes.subarray(at, at + size));
    at += size;
  }
  socket.end();
  await once(socket, 'close');
  clearTimeout(timer);
  if (error !== undefined) return error;
  return { ...splitFrames(readServerFrames(Buffer.concat(received))), serverEnded };
}

export interface FuzzOverTcpResult { inputs: number; seconds: number; disagreements: number; first?: { index: number; difference: string } }

/** Runs `count` inputs from `seed`, `concurrency` connections at a time. */
export async function fuzzOverTcp(port: number, count: number, seed: number, concurrency: number): Promise<FuzzOverTcpResult> {
  const request = handshakeRequest(port, false);
  const started = performance.now();
  let disagreements = 0;
  let first: FuzzOverTcpResult['first'];
  const note = (index: number, difference: string) => {
    disagreements++;
    if (first === undefined || index < first.index) first = { index, difference };
  };
  const results = await inBatches(count, concurrency, async (index) => {
    const input = tcpInput(seed, index);
    const seen = await sendOverTcp(port, request, input);
    const expected = expectedSeen(input);
    if (typeof seen === 'string') return note(index, seen);
    const differs = (['data', 'control', 'serverEnded'] as const).filter((key) => JSON.stringify(seen[key]) !== JSON.stringify(expected[key]));
    if (differs.length > 0) {
      note(index, differs.map((key) => `${key}: the server ${JSON.stringify(seen[key])}, the oracle ${JSON.stringify(expected[key])}`).join('; '));
    }
  });
  for (const [index, result] of results.entries()) if (result.status === 'rejected') note(index, String(result.reason));
  return { inputs: count, seconds: (performance.now() - started) / 1000, disagreements, first };
}
