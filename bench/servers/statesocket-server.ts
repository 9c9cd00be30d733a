/**
 * statesocket's echo server (src/echo-server.ts, the same one `statesocket serve` runs) in a
 * process of its own, for the benchmark.
 *
 * usage: node dist/bench/servers/statesocket-server.js [--deflate] [--tls-cert FILE --tls-key FILE]
 *
 * `--deflate` passes `perMessageDeflate: true` (the defaults, as ws gets `true`). Whether the
 * extension is really agreed is read by the load client from the 101 response, not taken on
 * trust: a build that does not agree to it shows as "n/a (not implemented)" in the report.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startEchoServer, type EchoServerOptions } from '../../src/echo-server.js';
import { serveOrchestrator } from './server-harness.js';

const { values } = parseArgs({
  options: { deflate: { type: 'boolean', default: false }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' } },
});

const options: EchoServerOptions = { port: 0, host: '127.0.0.1', perMessageDeflate: values.deflate };
if (values['tls-cert'] && values['tls-key']) options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };

const echo = await startEchoServer(options);
serveOrchestrator({
  port: echo.port,
  description: `statesocket echo server${values.deflate ? ' (perMessageDeflate: true)' : ''}${options.tls ? ' over TLS' : ''}`,
  warnings: [],
  connectionCount: () => echo.server.connections.size,
});
