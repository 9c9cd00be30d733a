/**
 * The soak suite's server: statesocket's echo server in a process of its own, answering the
 * runner's questions over IPC: `{ type: 'stats' }` → heap used after GC, RSS, peak RSS, connections.
 *
 * usage: node --expose-gc dist/bench/soak/soak-server.js HANDSHAKE_TIMEOUT_MS
 */
import { startEchoServer } from '../../src/echo-server.js';

const handshakeTimeoutMs = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc!;
const echo = await startEchoServer({ host: '127.0.0.1', port: 0, handshakeTimeoutMs, perMessageDeflate: false });
let peakRss = process.memoryUsage.rss();
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20).unref();

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    gc();
    const memory = process.memoryUsage();
    process.send!({ type: 'stats', heapUsed: memory.heapUsed, rss: memory.rss, peakRss, connections: echo.server.connections.size });
  } else if (message.type === 'reset-peak') {
    peakRss = process.memoryUsage.rss();
    process.send!({ type: 'reset-peak' });
  } else if (message.type === 'stop') {
    process.exit(0);
  }
});
process.send!({ type: 'ready', port: echo.port });
