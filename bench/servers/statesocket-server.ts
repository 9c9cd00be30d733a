/**
 * statesocket's echo server (src/echo-server.ts, the same one `statesocket serve` runs) in a
 * process of its own, for the benchmark.
 *
 * usage: node dist/bench/servers/statesocket-server.js [--deflate [--release-after-idle-ms N]] [--tls-cert FILE --tls-key FILE]
 *        [--heartbeat-interval-ms N]
 *
 * `--deflate` passes `perMessageDeflate: true` (the defaults, as ws gets `true`);
 * `--release-after-idle-ms` changes only that default (an idle measurement sets a short one). Whether the
 * extension is really agreed is read by the load client from the 101 response, not taken on
 * trust: a build that does not agree to it shows as "n/a (not implemented)" in the report.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startEchoServer, type EchoServerOptions } from '../../src/echo-server.js';
import { serveOrchestrator } from './server-harness.js';

const { values } = parseArgs({
  options: {
    deflate: { type: 'boolean', default: false },
    'release-after-idle-ms': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'heartbeat-interval-ms': { type: 'string', default: '0' },
  },
});
const releaseAfterIdleMs = values['release-after-idle-ms'] === undefined ? undefined : Number(values['release-after-idle-ms']);
const deflate = values.deflate && releaseAfterIdleMs !== undefined ? { releaseAfterIdleMs } : values.deflate;
const heartbeatIntervalMs = Number(values['heartbeat-interval-ms']);

const options: EchoServerOptions = { port: 0, host: '127.0.0.1', perMessageDeflate: deflate, heartbeatIntervalMs };
if (values['tls-cert'] && values['tls-key']) options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };

const echo = await startEchoServer(options);
serveOrchestrator({
  port: echo.port,
  description: `statesocket echo server${values.deflate ? ` (perMessageDeflate: ${JSON.stringify(deflate)})` : ''}${options.tls ? ' over TLS' : ''}${heartbeatIntervalMs > 0 ? ` (heartbeatIntervalMs: ${heartbeatIntervalMs})` : ''}`,
  warnings: [],
  connectionCount: () => echo.server.connections.size,
});
