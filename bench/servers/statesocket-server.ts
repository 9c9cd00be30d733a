/**
 * statesocket's echo server (src/echo-server.ts, the same one `statesocket serve` runs) in a
 * process of its own, for the benchmark.
 *
 * usage: node dist/bench/servers/statesocket-server.js [--deflate] [--heartbeat-interval-ms N]
 *
 * `--deflate` passes `perMessageDeflate: true` (the defaults, as ws gets `true`). Whether the
 * extension is really agreed is read by the load client from the 101 response, not taken on
 * trust: a build that does not agree to it shows as "n/a (not implemented)" in the report.
 */
import { parseArgs } from 'node:util';
import { startEchoServer } from '../../src/echo-server.js';
import type { ServerOptions } from '../../src/server.js';
import { serveOrchestrator } from './server-harness.js';

const { values } = parseArgs({
  options: { deflate: { type: 'boolean', default: false }, 'heartbeat-interval-ms': { type: 'string', default: '0' } },
});
const heartbeatIntervalMs = Number(values['heartbeat-interval-ms']);

const options: ServerOptions = { port: 0, host: '127.0.0.1', perMessageDeflate: values.deflate, heartbeatIntervalMs };

const echo = await startEchoServer(options);
serveOrchestrator({
  port: echo.port,
  description: `statesocket echo server${values.deflate ? ' (perMessageDeflate: true)' : ''}${heartbeatIntervalMs > 0 ? ` (heartbeatIntervalMs: ${heartbeatIntervalMs})` : ''}`,
  warnings: [],
  connectionCount: () => echo.server.connections.size,
});
