// Scratch: client CPU per message against ws's echo server (in a child process).
import { fork } from 'node:child_process';
import { WebSocket as Ours } from './dist/src/index.js';
import { WebSocket as Ws } from 'ws';
if (process.argv[2] === 'server') {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })));
  wss.on('listening', () => process.send(wss.address().port));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['server']);
  const port = await new Promise((r) => child.once('message', r));
  async function run(Cls, size, inFlight, total) {
    const ws = Cls(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    await new Promise((r) => ws.once('open', r));
    const payload = Buffer.alloc(size, 97);
    let received = 0, sent = 0;
    const start = process.cpuUsage(); const t0 = performance.now();
    await new Promise((resolve) => {
      ws.on('message', () => { received++; if (sent < total) { ws.send(payload); sent++; } if (received === total) resolve(); });
      for (let i = 0; i < inFlight; i++) { ws.send(payload); sent++; }
    });
    const cpu = process.cpuUsage(start); const wall = performance.now() - t0;
    ws.terminate();
    return ((cpu.user + cpu.system) / total);
  }
  for (const [size, inflight, total] of [[32, 16, 100000], [1 << 20, 1, 300]]) {
    for (let round = 0; round < 3; round++) {
      const ours = await run((u, o) => new Ours(u, undefined, o), size, inflight, total);
      const theirs = await run((u, o) => new Ws(u, o), size, inflight, total);
      console.log(`${size} B x${inflight}: statesocket ${ours.toFixed(2)} µs/msg, ws ${theirs.toFixed(2)} µs/msg, ratio ${(ours / theirs).toFixed(2)}`);
    }
  }
  child.kill();
}
