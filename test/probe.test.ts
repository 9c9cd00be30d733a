/**
 * The probe against servers that are not statesocket: differences RFC 6455 allows are notes, not
 * failures (exit 0 against ws 8), a target that is not an echo server is refused before any path
 * runs, and a target that goes away mid-run is reported once.
 */
import { expect } from 'chai';
import { WebSocketServer as WsServer } from 'ws';
import { once } from 'node:events';
import { runProbe } from '../src/probe/run-probe.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

describe('statesocket probe', function () {
  this.timeout(30_000);

  it('against ws 8: the differences RFC 6455 allows (400 for h2c, version 8, 1009, a larger limit) are notes, and it exits 0', async () => {
    const ws = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    ws.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    await once(ws, 'listening');
    const lines: string[] = [];
    try {
      const code = await runProbe(`ws://127.0.0.1:${(ws.address() as { port: number }).port}/`, {
        only: 'connection.shortest',
        skipCloseTimeout: true,
        quietMs: 20,
        print: (line) => lines.push(line),
      });
      const notes = lines.filter((line) => line.startsWith('NOTE'));
      const noted = notes.map((line) => /HANDSHAKE_REQUEST\(([^)]*)\)(?:[^,\n]*, (\w+))?/.exec(line.split('\n')[0]!)).map((m) => m?.[2] ?? m?.[1]);
      expect(noted).to.deep.equal(['INVALID_PAYLOAD_LENGTH', 'INFLATED_TOO_BIG', 'upgrade: h2c', 'sec-websocket-version: 8']);
      const text = lines.join('\n');
      expect(text).to.include('with 400 where statesocket sends 426');
      expect(text).to.include('accepted Sec-WebSocket-Version: 8');
      expect(text).to.include('failed the connection with 1009 where statesocket sends 1002');
      expect(text).to.include("accepted a message past statesocket's 64 MiB limit");
      expect(lines.filter((line) => line.startsWith('FAIL'))).to.deep.equal([]);
      expect(lines.at(-1)).to.match(/0 failed, 4 noted/);
      expect(code).to.equal(0);
    } finally {
      for (const client of ws.clients) client.terminate();
      ws.close();
    }
  });

  it('checks first, with the library client, that the target echoes: a server that does not is refused in one line, exit 2', async () => {
    const server = new WsServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (socket) => socket.on('message', () => socket.send('something else')));
    await once(server, 'listening');
    const lines: string[] = [];
    try {
      const code = await runProbe(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, { print: (line) => lines.push(line) });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/is not a WebSocket echo server: .*another message/);
      expect(code).to.equal(2);
    } finally {
      for (const client of server.clients) client.terminate();
      server.close();
    }
  });

  it('says once that the server went away when it dies mid-run, and exits 2', async () => {
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    while (!/ws:\/\/127\.0\.0\.1:\d+/.test(stdout)) await new Promise((resolve) => setTimeout(resolve, 20));
    const url = /ws:\/\/127\.0\.0\.1:\d+/.exec(stdout)![0];
    const lines: string[] = [];
    const killer = setTimeout(() => child.kill('SIGKILL'), 1500);
    const code = await runProbe(url, { skipCloseTimeout: true, concurrency: 2, quietMs: 5, print: (line) => lines.push(line) });
    clearTimeout(killer);
    const text = lines.join('\n');
    expect(lines.filter((line) => /went away/.test(line)), text).to.have.length(1);
    expect(text.match(/ECONNREFUSED/g), text).to.have.length(1);
    expect(lines.filter((line) => line.startsWith('FAIL')), text).to.deep.equal([]);
    expect(code).to.equal(2);
  });
});
