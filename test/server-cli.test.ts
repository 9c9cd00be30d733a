/**
 * The command line: `--help`, serving with bare options, `--no-deflate`, and the answers to
 * mistakes — a bad argument exits 2 with the usage, a port or host it cannot listen on exits 1
 * with one line.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Runs the CLI to its end; resolves with its exit code and output. */
async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Starts the CLI and resolves once it printed its URL. */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string; stdout: () => string }> {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const deadline = Date.now() + 5000;
  while (!/ws:\/\/127\.0\.0\.1:\d+/.test(stdout)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the CLI did not start: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, url: /ws:\/\/127\.0\.0\.1:\d+/.exec(stdout)![0], stdout: () => stdout };
}

describe('CLI', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
    child = undefined;
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^usage: statesocket/);
    expect(stdout).to.include('--no-deflate');
    expect(stderr).to.equal('');
  });

  it('serves with options and no command (`statesocket --port N`), permessage-deflate on', async () => {
    const started = await serve(['--port', '0']);
    child = started.child;
    const client = new WebSocket(started.url, { perMessageDeflate: true });
    await once(client, 'open');
    expect(client.extensions).to.include('permessage-deflate');
    client.terminate();
  });

  it('--no-deflate declines permessage-deflate', async () => {
    const started = await serve(['--port', '0', '--no-deflate']);
    child = started.child;
    const client = new WebSocket(started.url, { perMessageDeflate: true });
    await once(client, 'open');
    expect(client.extensions).to.equal('');
    client.send('plain');
    const [data] = (await once(client, 'message')) as [Buffer];
    expect(String(data)).to.equal('plain');
    client.terminate();
  });

  for (const args of [['--port='], ['--port', 'x'], ['--port', '70000'], ['--tls-cert', 'a.pem'], ['frobnicate']]) {
    it(`rejects ${args.join(' ')} with the usage on stderr and exit code 2`, async () => {
      const { code, stdout, stderr } = await run(args);
      expect(code).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr).to.match(/^statesocket: .+\nusage: statesocket/);
    });
  }

  it('a port in use: one line on stderr, exit code 1', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, stderr } = await run(['--port', String(port)]);
      expect(code).to.equal(1);
      expect(stderr).to.equal(`statesocket: cannot listen on 127.0.0.1:${port}: EADDRINUSE (the port is in use)\n`);
    } finally {
      taken.close();
    }
  });

  it('a host it cannot listen on: one line on stderr, exit code 1', async () => {
    const { code, stderr } = await run(['--port', '0', '--host', '999.1.1.1']);
    expect(code).to.equal(1);
    expect(stderr.split('\n')).to.have.length(2);
    expect(stderr).to.match(/^statesocket: cannot listen on 999\.1\.1\.1:0: E[A-Z]+/);
  });
});
