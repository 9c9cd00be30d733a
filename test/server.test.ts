/**
 * The server over real TCP on 127.0.0.1: handshake refusals, hostile bytes, backpressure,
 * the close timeout, shutdown, and the CLI.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startEchoServer, type EchoServer } from '../src/echo-server.js';
import type { ServerOptions } from '../src/server.js';
import { clientFrame, closeBody } from './client-frame.js';
import { RawClient, UPGRADE_REQUEST } from './raw-client.js';

/** The bytes start with an unmasked Close frame carrying `code` (RFC 6455 §5.5.1). */
function expectCloseFrame(bytes: Buffer, code: number): void {
  expect(bytes[0], 'FIN + opcode 0x8').to.equal(0x88);
  expect(bytes[1]! & 0x80, 'server frames are not masked').to.equal(0);
  expect(bytes.readUInt16BE(2)).to.equal(code);
}

async function httpExchange(port: number, request: string): Promise<string> {
  const client = new RawClient(port);
  client.socket.write(request);
  await client.closed;
  return client.received.toString();
}

describe('WebSocketServer over TCP', () => {
  let echo: EchoServer;
  const start = async (options: ServerOptions = {}) => (echo = await startEchoServer({ port: 0, ...options }));
  // Clients left open do not answer the shutdown Close: drop them after 100 ms.
  afterEach(async () => echo?.server.shutdown(1001, 'test over', 100));

  describe('opening handshake', () => {
    it('refuses a plain HTTP request with 426 and Sec-WebSocket-Version: 13', async () => {
      await start();
      const response = await httpExchange(echo.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(response).to.match(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
      expect(response.toLowerCase()).to.include('sec-websocket-version: 13');
    });

    it('refuses an upgrade with an unsupported version with 426', async () => {
      await start();
      const response = await httpExchange(echo.port, UPGRADE_REQUEST.replace('Version: 13', 'Version: 8'));
      expect(response).to.match(/^HTTP\/1\.1 426 /);
      expect(response).to.include('Sec-WebSocket-Version: 13');
    });

    it('refuses an upgrade without a valid key with 400 and closes the socket', async () => {
      await start();
      const response = await httpExchange(echo.port, UPGRADE_REQUEST.replace('dGhlIHNhbXBsZSBub25jZQ==', 'abc'));
      expect(response).to.match(/^HTTP\/1\.1 400 /);
    });

    it('refuses a POST upgrade with 405', async () => {
      await start();
      const response = await httpExchange(echo.port, UPGRADE_REQUEST.replace('GET', 'POST'));
      expect(response).to.match(/^HTTP\/1\.1 405 /);
    });

    it('answers malformed HTTP with 400 and keeps serving', async () => {
      await start();
      const response = await httpExchange(echo.port, 'GARBAGE\x00\x01 / HTTP/9\r\n\r\n');
      expect(response).to.match(/^HTTP\/1\.1 400 /);
      const client = new RawClient(echo.port);
      await client.upgrade();
    });
  });

  it('fails a connection that sends random bytes with a Close frame, and stays up', async () => {
    await start();
    for (let seed = 1; seed <= 20; seed++) {
      const client = new RawClient(echo.port);
      await client.upgrade();
      const garbage = Buffer.alloc(4096);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (seed * 7919 + i * 104729) % 251;
      client.socket.write(garbage);
      client.socket.end();
      await client.closed;
    }
    const client = new RawClient(echo.port);
    await client.upgrade();
    client.socket.write(clientFrame(0x1, 'still here'));
    await client.waitFor(() => client.received.includes('still here'));
    client.socket.destroy();
  });

  it('stops reading from a peer that sends but never reads, and catches up when it reads', async function () {
    this.timeout(30000);
    let messagesRead = 0;
    await start({
      writeHighWaterMark: 256 * 1024,
      onTransition: (_connection, transition) => {
        if (transition.eventType === 'FRAME_END') messagesRead++;
      },
    });
    const client = new RawClient(echo.port);
    await client.upgrade();
    client.socket.pause();
    const message = clientFrame(0x2, Buffer.alloc(64 * 1024, 1));
    const total = 2048; // 128 MiB
    let written = 0;
    const writeMore = () => {
      while (written < total) {
        written++;
        if (!client.socket.write(message)) return void client.socket.once('drain', writeMore);
      }
    };
    writeMore();
    // Wait until the server has stopped making progress: its output is stuck behind our closed window.
    let previous = -1;
    while (messagesRead !== previous) {
      previous = messagesRead;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(messagesRead, 'messages the server read while the peer did not read').to.be.lessThan(total / 2);
    expect(written).to.be.lessThan(total);
    // Now read everything: every message comes back.
    let echoedBytes = 0;
    client.socket.removeAllListeners('data');
    client.socket.on('data', (chunk: Buffer) => (echoedBytes += chunk.length));
    client.socket.resume();
    await client.waitFor(() => echoedBytes >= total * (64 * 1024 + 4), 25000);
    expect(messagesRead).to.equal(total);
  });

  it('drops TCP when the peer never closes its side after the closing handshake', async () => {
    const closingSteps: string[] = [];
    await start({
      closeTimeoutMs: 200,
      onTransition: (_connection, t) => {
        if (t.machineId === 'closingHandshake') closingSteps.push(`${t.eventType}->${t.target}`);
      },
    });
    const client = new RawClient(echo.port, { allowHalfOpen: true });
    await client.upgrade();
    client.socket.write(clientFrame(0x8, closeBody(1000)));
    await client.waitFor(() => echo.server.connections.size === 0);
    expect(client.received.toString('hex')).to.equal('880203e8');
    expect(client.serverEnded).to.equal(true);
    expect(closingSteps).to.deep.equal([
      'CONNECTION_OPENED->open',
      'CLOSE_FRAME->closeHandshakeComplete',
      'CLOSE_TIMEOUT->closed',
    ]);
    client.socket.destroy();
  });

  it('closes every connection with 1001 when the server shuts down', async () => {
    await start();
    const client = new RawClient(echo.port);
    await client.upgrade();
    const closing = echo.close();
    await client.waitFor(() => client.received.length >= 4);
    expectCloseFrame(client.received, 1001);
    client.socket.write(clientFrame(0x8, closeBody(1001)));
    await closing;
    await client.closed;
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  it(`CLI: prints the URL, and ${signal} (Ctrl-C, or a service manager) closes connections with 1001 and exits 0`, async () => {
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, 'serve', '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const deadline = Date.now() + 5000;
    while (!/ws:\/\/127\.0\.0\.1:(\d+)/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
    const client = new RawClient(port);
    await client.upgrade();
    child.kill(signal);
    await client.waitFor(() => client.received.length >= 4);
    expectCloseFrame(client.received, 1001);
    client.socket.write(clientFrame(0x8, closeBody(1001)));
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
  });
  }
});
