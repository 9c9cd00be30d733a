/**
 * `statesocket connect`, run as a child process against statesocket's own server: stdin lines
 * out and messages in, the subprotocol and header options, and each exit code — 0 after a
 * normal close, 1 when it cannot connect, 2 on a usage error, 3 when the handshake is refused,
 * 4 when the connection fails — and `--inspect` serving the inspector for the client.
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebSocketServer } from '../src/index.js';
import { secWebSocketAccept } from '../src/opening-handshake.js';
import type { FeedUpdate } from '../src/inspector/inspector-messages.js';
import { ConnectUsageError, parseConnectArgs } from '../src/cli/connect-args.js';
import { printedMessage } from '../src/cli/connect.js';

const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function start(args: string[]): Run {
  const child = spawn(process.execPath, [main, 'connect', ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Runs the command with `input` on stdin to its end. */
async function run(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = start(args);
  running.child.stdin.end(input);
  const code = await running.exit;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('statesocket connect: arguments', () => {
  const mistakes: [string[], RegExp][] = [
    [[], /one ws:\/\/ or wss:\/\/ URL/],
    [['ws://a/', 'ws://b/'], /one ws:\/\/ or wss:\/\/ URL/],
    [['http://127.0.0.1:1/'], /must be ws:\/\/ or wss:\/\/, not http:/],
    [['not a url'], /invalid URL/],
    [['ws://h/', '--header', 'no colon'], /invalid --header/],
    [['ws://h/', '--header', ': value'], /invalid --header/],
    [['ws://h/', '--header', 'Bad Name: v'], /invalid --header/],
    [['ws://h/', '--subprotocol', 'a b'], /invalid --subprotocol/],
    [['ws://h/', '--subprotocol', 'a', '--subprotocol', 'a'], /given twice/],
    [['ws://h/', '--inspect=x'], /invalid --inspect=x/],
    [['ws://h/', '--inspect=70000'], /invalid --inspect=70000/],
    [['ws://h/', '--ca', '/nonexistent/ca.pem'], /cannot read --ca \/nonexistent\/ca.pem: ENOENT/],
    [['ws://h/', '--frobnicate'], /frobnicate/],
  ];
  for (const [args, problem] of mistakes) {
    it(`refuses \`${args.join(' ')}\` as a usage error`, () => {
      expect(() => parseConnectArgs(args)).to.throw(ConnectUsageError, problem);
    });
  }

  it('reads repeated options in order, headers trimmed, deflate on unless --no-deflate', () => {
    const args = parseConnectArgs([
      'wss://example.test:8443/chat?room=1',
      '--subprotocol', 'v2.chat',
      '--subprotocol', 'v1.chat',
      '--header', 'Authorization:  Bearer x:y ',
      '--header', 'X-A: 1',
      '--binary',
      '--insecure',
      '--origin', 'https://example.test',
    ]);
    expect(args).to.deep.equal({
      url: 'wss://example.test:8443/chat?room=1',
      subprotocols: ['v2.chat', 'v1.chat'],
      headers: { Authorization: 'Bearer x:y', 'X-A': '1' },
      deflate: true,
      binary: true,
      inspectPort: undefined,
      ca: undefined,
      insecure: true,
      origin: 'https://example.test',
    });
    expect(parseConnectArgs(['ws://h/', '--no-deflate']).deflate).to.equal(false);
    expect(parseConnectArgs(['ws://h/', '--inspect']).inspectPort).to.equal(0);
    expect(parseConnectArgs(['ws://h/', '--inspect=9229']).inspectPort).to.equal(9229);
  });

  it('prints text as it is and binary as its length and hex, the first 1,024 bytes', () => {
    expect(printedMessage(Buffer.from('héllo\nthere'), false)).to.equal('héllo\nthere');
    expect(printedMessage(Buffer.from('hi'), true)).to.equal('<binary 2 bytes> 6869');
    expect(printedMessage(Buffer.alloc(0), true)).to.equal('<binary 0 bytes>');
    const long = printedMessage(Buffer.alloc(1025, 0xab), true);
    expect(long).to.equal(`<binary 1025 bytes> ${'ab'.repeat(1024)}…`);
    expect(printedMessage(Buffer.alloc(1024, 0xab), true)).to.equal(`<binary 1024 bytes> ${'ab'.repeat(1024)}`);
  });
});

describe('statesocket connect', () => {
  let server: WebSocketServer | undefined;
  let rawServer: Server | undefined;
  let running: Run | undefined;
  afterEach(async () => {
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exit;
    }
    running = undefined;
    if (server !== undefined) {
      for (const connection of server.connections) connection.terminate();
      await server.close();
    }
    server = undefined;
    rawServer?.close();
    rawServer = undefined;
  });

  /** statesocket's server on a free port, set up by `onConnection`. */
  async function serve(options: ConstructorParameters<typeof WebSocketServer>[0] = { port: 0 }): Promise<string> {
    server = new WebSocketServer({ host: '127.0.0.1', ...options });
    const { url } = await server.listen();
    return url;
  }

  it('sends each stdin line as a text message, prints each echo, and exits 0 after closing with 1000', async () => {
    const url = await serve({ port: 0, perMessageDeflate: true });
    let closeCode: number | undefined;
    server!.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      ws.on('close', (code) => (closeCode = code));
    });
    const { code, stdout, stderr } = await run([`${url}/echo`], 'hello\nwörld\n');
    expect(stdout).to.equal('hello\nwörld\n');
    expect(stderr).to.include('extensions permessage-deflate');
    expect(code).to.equal(0);
    expect(closeCode).to.equal(1000);
  });

  it('--binary sends lines as binary messages; binary messages are printed as <binary N bytes> and hex', async () => {
    const url = await serve({ port: 0 });
    const received: boolean[] = [];
    server!.on('connection', (ws) =>
      ws.on('message', (data, isBinary) => {
        received.push(isBinary);
        ws.send(data as Buffer, { binary: isBinary });
      }),
    );
    const { code, stdout } = await run([url, '--binary', '--no-deflate'], 'hi\n');
    expect(received).to.deep.equal([true]);
    expect(stdout).to.equal('<binary 2 bytes> 6869\n');
    expect(code).to.equal(0);
  });

  it('--no-deflate offers no permessage-deflate', async () => {
    const url = await serve({ port: 0, perMessageDeflate: true });
    const offers: (string | undefined)[] = [];
    server!.on('connection', (_ws, request) => offers.push(request.headers['sec-websocket-extensions']));
    const { code } = await run([url, '--no-deflate']);
    expect(offers).to.deep.equal([undefined]);
    expect(code).to.equal(0);
  });

  it('--subprotocol offers each, in order, and prints the one agreed', async () => {
    const url = await serve({ port: 0, handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) });
    const offered: (string | undefined)[] = [];
    server!.on('connection', (ws, request) => {
      offered.push(request.headers['sec-websocket-protocol']);
      ws.send(`protocol ${ws.protocol}`);
    });
    const { code, stdout, stderr } = await run([url, '--subprotocol', 'chat.v1', '--subprotocol', 'chat.v2'], '');
    expect(offered.map((header) => header?.split(',').map((token) => token.trim()))).to.deep.equal([['chat.v1', 'chat.v2']]);
    expect(stderr).to.include('subprotocol chat.v2');
    expect(code).to.equal(0);
    // The message may or may not arrive before stdin's end closes: if it does, it names the protocol.
    if (stdout !== '') expect(stdout).to.equal('protocol chat.v2\n');
  });

  it('--header adds request headers', async () => {
    const url = await serve({ port: 0 });
    const seen: (string | string[] | undefined)[] = [];
    server!.on('connection', (_ws, request) => seen.push(request.headers['authorization'], request.headers['x-trace']));
    const { code } = await run([url, '--header', 'Authorization: Bearer abc', '--header', 'X-Trace:  42 ']);
    expect(seen).to.deep.equal(['Bearer abc', '42']);
    expect(code).to.equal(0);
  });

  it('exits 3 and prints the HTTP status when the server refuses the opening handshake', async () => {
    const url = await serve({ port: 0, verifyClient: (_info, callback) => callback(false, 403, 'no entry') });
    const { code, stdout, stderr } = await run([url]);
    expect(code).to.equal(3);
    expect(stdout).to.equal('');
    expect(stderr).to.match(/refused the opening handshake: HTTP 403\b/);
  });

  it('exits 1 with one line when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const { code, stderr } = await run([`ws://127.0.0.1:${port}/`]);
    expect(code).to.equal(1);
    expect(stderr.trim().split('\n')).to.have.length(1);
    expect(stderr).to.include('ECONNREFUSED');
  });

  it('exits 4 and prints the close code when the server closes with a code other than 1000 or 1001', async () => {
    const url = await serve({ port: 0 });
    server!.on('connection', (ws) => ws.close(4001, 'kicked'));
    running = start([url]);
    const code = await running.exit;
    expect(code).to.equal(4);
    expect(running.stderr()).to.include('4001 "kicked"');
  });

  it('exits 4 when the server breaks the protocol (a text message that is not UTF-8: the client fails with 1007)', async () => {
    // A server statesocket would never be: it answers the handshake, then sends invalid UTF-8 as text.
    const frames: Buffer[] = [];
    rawServer = createServer((socket: Socket) => {
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        if (head.includes('\r\n\r\n')) {
          frames.push(chunk);
          return;
        }
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)![1]!;
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${secWebSocketAccept(key)}\r\n\r\n`,
        );
        socket.write(Buffer.from([0x81, 0x02, 0xc3, 0x28]));
        setTimeout(() => socket.destroy(), 500);
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => rawServer!.listen(0, '127.0.0.1', resolve));
    const { port } = rawServer.address() as AddressInfo;
    running = start([`ws://127.0.0.1:${port}/`, '--no-deflate']);
    const code = await running.exit;
    expect(code).to.equal(4);
    expect(running.stderr()).to.match(/failed/);
    // The client's Close frame (masked) carries 1007.
    const sent = Buffer.concat(frames);
    expect(sent[0]).to.equal(0x88);
    const mask = sent.subarray(2, 6);
    expect(((sent[6]! ^ mask[0]!) << 8) | (sent[7]! ^ mask[1]!)).to.equal(1007);
  });

  it('exits 2 with the problem and the usage on a command-line mistake', async () => {
    const { code, stdout, stderr } = await run(['ws://127.0.0.1:1/', '--header', 'no colon']);
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr).to.include('invalid --header "no colon"');
    expect(stderr).to.include('usage: statesocket');
  });

  it('--inspect serves the live inspector, whose record of the connection says it is the client', async () => {
    const url = await serve({ port: 0 });
    server!.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
    running = start([url, '--inspect']);
    await waitFor(() => /connected to/.test(running!.stderr()), 'the connection');
    const inspectorUrl = /inspector: (http:\/\/127\.0\.0\.1:\d+\/inspect)/.exec(running.stderr())?.[1];
    expect(inspectorUrl, running.stderr()).to.be.a('string');
    const page = await fetch(inspectorUrl!);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<html');

    const feed = new WebSocket(inspectorUrl!.replace(/^http/, 'ws') + '/events');
    const updates: FeedUpdate[] = [];
    feed.on('message', (data) => updates.push(JSON.parse(String(data)) as FeedUpdate));
    await once(feed, 'open');
    running.child.stdin.write('ping me\n');
    await waitFor(() => running!.stdout() === 'ping me\n', 'the echo');
    await waitFor(() => updates.some((update) => (update.detail?.summary.messagesIn ?? 0) >= 1), 'the record of the echo');
    const summary = updates.filter((update) => update.detail !== undefined).at(-1)!.detail!.summary;
    expect(summary.role).to.equal('client');
    expect(summary.states[0]).to.match(/open/i);

    running.child.stdin.end();
    await waitFor(() => /stays up/.test(running!.stderr()), 'the close');
    await waitFor(() => updates.some((update) => update.detail?.summary.closeCode === 1000), 'the closed record');
    feed.terminate();
    running.child.kill('SIGINT');
    expect(await running.exit).to.equal(0);
  });
});
