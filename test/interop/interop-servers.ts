/**
 * The servers every interop client is tried against — the echo server plain, with
 * permessage-deflate, and over TLS with permessage-deflate — and the client × feature matrix the
 * interop run prints at its end.
 */
import { startEchoServer, type EchoServer } from '../../src/echo-server.js';
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

// A root hook: printed once, after every interop file has run.
after(() => console.log(`\ninterop matrix (client × feature):\n${matrix()}\n`));
