/**
 * wss://: statesocket on an HTTPS server passed as `server`, and the CLI's --tls-cert/--tls-key,
 * with a certificate made at test time (test/tls-certificate.ts). Clients trust exactly that
 * certificate: a handshake that succeeds proves the TLS layer and the WebSocket layer both work.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebSocketServer } from '../src/server.js';
import { startEchoServer, type EchoServer } from '../src/echo-server.js';
import { testCertificate } from './tls-certificate.js';

/** Sends `messages` and resolves with what comes back, in order. */
async function echoed(url: string, ca: Buffer, messages: (string | Buffer)[], options: WebSocket.ClientOptions = {}) {
  const client = new WebSocket(url, { ca, ...options });
  await once(client, 'open');
  const back: [string, boolean][] = [];
  client.on('message', (data, isBinary) => back.push([isBinary ? (data as Buffer).toString('hex') : String(data), isBinary]));
  for (const message of messages) client.send(message);
  const deadline = Date.now() + 5000;
  while (back.length < messages.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const extensions = client.extensions;
  client.close(1000, 'bye');
  const [code, reason] = (await once(client, 'close')) as [number, Buffer];
  return { back, extensions, code, reason: reason.toString() };
}

describe('wss:// (TLS)', () => {
  let echo: EchoServer | undefined;
  afterEach(async () => echo?.close());

  it('serves wss:// through an https.Server passed as `server`', async () => {
    const { cert, key } = testCertificate();
    const https = createServer({ cert, key }, (_request, response) => response.end('https page'));
    const server = new WebSocketServer({ server: https });
    server.on('connection', (connection) => connection.on('message', (data, isBinary) => connection.send(data as Buffer, { binary: isBinary })));
    https.listen(0, '127.0.0.1');
    const { port, url } = await server.listen();
    expect(url).to.equal(`wss://localhost:${port}`);
    const result = await echoed(`wss://127.0.0.1:${port}/`, cert, ['over tls', Buffer.from([1, 2, 3])]);
    expect(result.back).to.deep.equal([['over tls', false], ['010203', true]]);
    expect(result.code).to.equal(1000);
    expect(result.reason).to.equal('bye');
    await server.shutdown(1001, '', 100);
    https.close();
  });

  it('the echo server over TLS agrees permessage-deflate and echoes 1 MiB', async () => {
    const { cert, key } = testCertificate();
    echo = await startEchoServer({ port: 0, host: '127.0.0.1', tls: { cert, key } });
    expect(echo.url).to.match(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const big = 'x'.repeat(1024 * 1024);
    const result = await echoed(echo.url, cert, [big], { perMessageDeflate: true });
    expect(result.extensions).to.include('permessage-deflate');
    expect(result.back[0]?.[0].length).to.equal(big.length);
  });

  it('refuses a client that does not trust the certificate at the TLS layer', async () => {
    const { cert, key } = testCertificate();
    echo = await startEchoServer({ port: 0, host: '127.0.0.1', tls: { cert, key } });
    const client = new WebSocket(echo.url);
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('CLI: --tls-cert and --tls-key serve wss://', async () => {
    const { cert, certPath, keyPath } = testCertificate();
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0', '--tls-cert', certPath, '--tls-key', keyPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      const deadline = Date.now() + 5000;
      while (!/wss:\/\/127\.0\.0\.1:(\d+)/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const url = /wss:\/\/127\.0\.0\.1:\d+/.exec(stdout)![0];
      const result = await echoed(url, cert, ['hello']);
      expect(result.back).to.deep.equal([['hello', false]]);
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });
});
