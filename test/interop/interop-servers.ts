/**
 * The servers every interop client is tried against — the echo server plain, with
 * permessage-deflate, and over TLS with permessage-deflate — and the client × feature matrix the
 * interop run prints at its end.
 */
import { expect } from 'chai';
import { startEchoServer, type EchoServer } from '../../src/echo-server.js';
import type { WhatwgResult } from './whatwg-scenario.js';
import { testCertificate } from '../tls-certificate.js';

export type Variant = 'ws' | 'ws+deflate' | 'wss+deflate';
export const VARIANTS: readonly Variant[] = ['ws', 'ws+deflate', 'wss+deflate'];

/** The subprotocols every client offers; the echo server answers with the first. */
export const OFFERED_SUBPROTOCOLS = ['chat.v2', 'chat.v1'] as const;

/** What each client checks, in the matrix's column order. */
export const FEATURES = ['text', '1 MiB', 'binary', 'close code+reason', 'subprotocol', 'permessage-deflate', 'ping', 'fragmented'] as const;
export type Feature = (typeof FEATURES)[number];

export async function startInteropServer(variant: Variant): Promise<EchoServer> {
  const tls = variant === 'wss+deflate' ? testCertificate() : undefined;
  return startEchoServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: variant !== 'ws',
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
  });
}

/** Whether permessage-deflate must have been agreed with this server (the client offered it). */
export function deflateExpected(variant: Variant): boolean {
  return variant !== 'ws';
}

const cells = new Map<string, string>();

/** Records one cell: passed, failed, or '—' for a feature the client does not have. */
export function record(client: string, variant: Variant, feature: Feature, outcome: boolean | '—'): void {
  cells.set(`${client}|${variant}|${feature}`, outcome === '—' ? '—' : outcome ? 'ok' : 'FAIL');
}

/** The matrix as Markdown: a row per client and server, a column per feature. */
export function matrix(): string {
  const rows = new Set([...cells.keys()].map((key) => key.split('|').slice(0, 2).join('|')));
  const lines = [`| client | server | ${FEATURES.join(' | ')} |`, `|---|---|${FEATURES.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const [client, variant] = row.split('|');
    lines.push(`| ${client} | ${variant} | ${FEATURES.map((feature) => cells.get(`${row}|${feature}`) ?? '').join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What a client saw; `—` for a feature its API lacks. */
export interface ClientObservation extends WhatwgResult {
  ping: boolean | '—';
  fragmented: boolean | '—';
}

/** Records a client's row of the matrix and asserts every feature it has. */
export function check(client: string, variant: Variant, observed: ClientObservation): void {
  const deflate = /permessage-deflate/.test(observed.extensions) === deflateExpected(variant);
  record(client, variant, 'text', observed.text);
  record(client, variant, '1 MiB', observed.mib);
  record(client, variant, 'binary', observed.binary);
  record(client, variant, 'close code+reason', observed.close.code === 4000 && observed.close.reason === 'bye' && observed.close.wasClean);
  record(client, variant, 'subprotocol', observed.protocol === OFFERED_SUBPROTOCOLS[0]);
  record(client, variant, 'permessage-deflate', deflate);
  record(client, variant, 'ping', observed.ping);
  record(client, variant, 'fragmented', observed.fragmented);
  expect(observed).to.deep.include({ text: true, mib: true, binary: true, protocol: OFFERED_SUBPROTOCOLS[0] });
  expect(observed.close).to.deep.equal({ code: 4000, reason: 'bye', wasClean: true });
  expect(observed.ping).to.not.equal(false);
  expect(observed.fragmented).to.not.equal(false);
  expect(deflate, `extensions: ${observed.extensions || 'none'}`).to.equal(true);
}

// A root hook: printed once, after every interop file has run.
after(() => console.log(`\ninterop matrix (client × feature):\n${matrix()}\n`));
