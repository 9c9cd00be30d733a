/**
 * The apps in examples/, written for `ws`, run unchanged against statesocket and — with only the
 * import rewritten to 'ws' — against `ws` 8, and behave the same: the proof that statesocket is a
 * drop-in for ws's server side on what they use (clients, noServer + handleUpgrade, server + path,
 * async verifyClient, handleProtocols).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** This file runs as dist/test/examples.test.js. */
const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const rewrittenDir = fileURLToPath(new URL('../examples-ws/', import.meta.url));

type Implementation = 'statesocket' | 'ws';

/** Starts an example with PORT=0 and resolves with its child process and port, once it listens. */
async function runExample(name: string, implementation: Implementation): Promise<{ child: ChildProcess; port: number }> {
  let file = `${examplesDir}${name}.mjs`;
  if (implementation === 'ws') {
    const source = await readFile(file, 'utf8');
    const rewritten = source.replace(/from 'statesocket';/g, "from 'ws';");
    expect(rewritten, 'the example imports statesocket').not.to.equal(source);
    await mkdir(rewrittenDir, { recursive: true });
    file = `${rewrittenDir}${name}.mjs`;
    await writeFile(file, rewritten);
  }
  const child = spawn(process.execPath, [file], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 10_000;
  while (!/listening on ws:\/\/127\.0\.0\.1:(\d+)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { child, port: Number(/listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]) };
}

/** A client that queues what it receives, so that no message is missed between awaits. */
class Client {
  readonly socket: WebSocket;
  private readonly received: string[] = [];
  private waiting: ((text: string) => void) | undefined;

  constructor(url: string, protocols?: string[]) {
    this.socket = new WebSocket(url, protocols);
    this.socket.on('message', (data) => {
      const text = String(data);
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(text);
      } else this.received.push(text);
    });
    this.socket.on('error', () => {});
  }

  async opened(): Promise<this> {
    if (this.socket.readyState !== WebSocket.OPEN) await once(this.socket, 'open');
    return this;
  }

  next(): Promise<string> {
    const queued = this.received.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 3 s')), 3000);
      this.waiting = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
    });
  }
}

/** The HTTP status of a refused handshake (ws's client reports it as 'unexpected-response'). */
function refusedStatus(url: string, protocols?: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => reject(new Error('the handshake was accepted')));
    socket.on('error', () => {});
  });
}

for (const implementation of ['statesocket', 'ws'] as const) {
  describe(`examples/ with ${implementation}`, () => {
    let child: ChildProcess | undefined;
    const clients: Client[] = [];
    const start = async (name: string) => {
      const started = await runExample(name, implementation);
      child = started.child;
      return `ws://127.0.0.1:${started.port}`;
    };
    const connect = async (url: string, protocols?: string[]) => {
      const client = new Client(url, protocols);
      clients.push(client);
      return client.opened();
    };
    afterEach(async () => {
      for (const client of clients.splice(0)) client.socket.terminate();
      if (child && child.exitCode === null) {
        child.kill();
        await once(child, 'exit');
      }
      child = undefined;
    });

    it('broadcast-chat: a message reaches every other client over `clients`, not the sender', async () => {
      const url = await start('broadcast-chat');
      const alice = await connect(url);
      expect(await alice.next()).to.equal('welcome; 1 here');
      const bob = await connect(url);
      expect(await bob.next()).to.equal('welcome; 2 here');
      const carol = await connect(url);
      expect(await carol.next()).to.equal('welcome; 3 here');
      alice.socket.send('hi all');
      expect(await bob.next()).to.equal('hi all');
      expect(await carol.next()).to.equal('hi all');
      carol.socket.send('hi alice');
      expect(await alice.next()).to.equal('hi alice');
    });

    it('path-routing: two noServer servers behind one HTTP server, by path; other paths are dropped', async () => {
      const url = await start('path-routing');
      const echo = await connect(`${url}/echo`);
      const shout = await connect(`${url}/shout`);
      echo.socket.send('quiet');
      shout.socket.send('loud');
      expect(await echo.next()).to.equal('quiet');
      expect(await shout.next()).to.equal('LOUD');
      const nowhere = new WebSocket(`${url}/nowhere`);
      const [error] = (await once(nowhere, 'error')) as [Error];
      expect(error.message).to.match(/socket hang up|ECONNRESET/);
    });

    it('shared-port: the application answers plain HTTP, the WebSocket server its path, 400 elsewhere', async () => {
      const url = await start('shared-port');
      const http = url.replace('ws:', 'http:');
      const home = await fetch(`${http}/`);
      expect(home.status).to.equal(200);
      expect(await home.text()).to.equal('hello from the HTTP application\n');
      const live = await connect(`${url}/live`);
      live.socket.send('one');
      expect(await live.next()).to.equal('got one');
      const stats = await (await fetch(`${http}/stats`)).json();
      expect(stats).to.deep.equal({ clients: 1, messages: 1 });
      expect(await refusedStatus(`${url}/elsewhere`)).to.equal(400);
    });

    it('verify-client: an unknown token gets 401 after the asynchronous check, a known one opens', async () => {
      const url = await start('verify-client');
      expect(await refusedStatus(`${url}/?token=wrong`)).to.equal(401);
      const alice = await connect(`${url}/?token=secret-token`);
      expect(await alice.next()).to.equal('hello alice');
    });

    it('subprotocols: handleProtocols picks chat.v2 over chat.v1, and none for others', async () => {
      const url = await start('subprotocols');
      const both = await connect(url, ['chat.v1', 'chat.v2']);
      expect(both.socket.protocol).to.equal('chat.v2');
      expect(await both.next()).to.equal('you speak chat.v2');
      const old = await connect(url, ['chat.v1']);
      expect(old.socket.protocol).to.equal('chat.v1');
      expect(await old.next()).to.equal('you speak chat.v1');
      const none = await connect(url);
      expect(none.socket.protocol).to.equal('');
      expect(await none.next()).to.equal('you speak no subprotocol');
    });
  });
}
