/**
 * The soak suite's server, in a process of its own: statesocket's echo server, or `ws` 8's
 * WebSocketServer echoing the same way on an HTTP server with the same handshake timeout (the
 * side-by-side column). It answers the runner's questions over IPC: `{ type: 'stats' }` → heap
 * used after GC, RSS, peak RSS, connections.
 *
 * usage: node --expose-gc dist/bench/soak/soak-server.js HANDSHAKE_TIMEOUT_MS [statesocket|ws]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer as WsServer } from 'ws';
import { startEchoServer } from '../../src/echo-server.js';
import { handshakeTimeoutServerOptions } from '../../src/handshake-timeout.js';

const handshakeTimeoutMs = Number(process.argv[2] ?? 10_000);
const kind = process.argv[3] ?? 'statesocket';
const gc = (globalThis as { gc?: () => void }).gc!;

/** An echo server; `connections()` counts the connections it holds. */
async function start(): Promise<{ port: number; connections: () => number }> {
  if (kind === 'statesocket') {
    const echo = await startEchoServer({ host: '127.0.0.1', port: 0, handshakeTimeoutMs, perMessageDeflate: false });
    return { port: echo.port, connections: () => echo.server.connections.size };
  }
  const http = createServer(handshakeTimeoutServerOptions(handshakeTimeoutMs));
  const ws = new WsServer({ server: http, perMessageDeflate: false });
  ws.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { port: (http.address() as AddressInfo).port, connections: () => ws.clients.size };
}

const server = await start();
let peakRss = process.memoryUsage.rss();
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20).unref();

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    gc();
    const memory = process.memoryUsage();
    process.send!({ type: 'stats', heapUsed: memory.heapUsed, rss: memory.rss, peakRss, connections: server.connections() });
  } else if (message.type === 'reset-peak') {
    peakRss = process.memoryUsage.rss();
    process.send!({ type: 'reset-peak' });
  } else if (message.type === 'stop') {
    process.exit(0);
  }
});
process.send!({ type: 'ready', port: server.port });
