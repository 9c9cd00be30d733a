/**
 * Interop: the `ws` 8 client and undici's WebSocket (the WHATWG API Node's own fetch stack uses)
 * against the echo server plain, with permessage-deflate and over TLS: text, 1 MiB, binary, the
 * close code and reason echoed with wasClean, the subprotocol, permessage-deflate agreed, and (ws
 * only: the WHATWG API has neither) ping and a fragmented message.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Agent, WebSocket as UndiciWebSocket } from 'undici';
import WebSocket from 'ws';
import type { EchoServer } from '../../src/echo-server.js';
import { testCertificate } from '../tls-certificate.js';
import { OFFERED_SUBPROTOCOLS, VARIANTS, deflateExpected, record, startInteropServer, type Variant } from './interop-servers.js';

const require = createRequire(import.meta.url);
const versionOf = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

/** What one client saw, feature by feature. */
interface Observed {
  text: boolean;
  mib: boolean;
  binary: boolean;
  close: { code: number; reason: string; wasClean: boolean };
  protocol: string;
  extensions: string;
  ping: boolean | '—';
  fragmented: boolean | '—';
}

/** The WHATWG API (undici): event listeners, ArrayBuffer binaries, close(code, reason). */
async function whatwgScenario(socket: InstanceType<typeof UndiciWebSocket>): Promise<Observed> {
  socket.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error('did not open')), { once: true });
  });
  const next = () => new Promise<unknown>((resolve) => socket.addEventListener('message', (event) => resolve(event.data), { once: true }));
  socket.send('hello');
  const text = (await next()) === 'hello';
  const big = 'x'.repeat(1 << 20);
  socket.send(big);
  const mib = (await next()) === big;
  socket.send(new Uint8Array([0, 1, 2, 255]));
  const back = await next();
  const binary = back instanceof ArrayBuffer && Buffer.from(back).equals(Buffer.from([0, 1, 2, 255]));
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }), { once: true }),
  );
  socket.close(4000, 'bye');
  return { text, mib, binary, close: await closed, protocol: socket.protocol, extensions: socket.extensions, ping: '—', fragmented: '—' };
}

/** The ws client: Node events, Buffers, ping with a pong back. */
async function wsScenario(socket: WebSocket): Promise<Observed> {
  await once(socket, 'open');
  const next = async () => ((await once(socket, 'message')) as [Buffer, boolean])[0];
  socket.send('hello');
  const text = String(await next()) === 'hello';
  const big = 'x'.repeat(1 << 20);
  socket.send(big);
  const mib = String(await next()) === big;
  socket.send(Buffer.from([0, 1, 2, 255]));
  const binary = (await next()).equals(Buffer.from([0, 1, 2, 255]));
  socket.ping('are you there');
  const [pong] = (await once(socket, 'pong')) as [Buffer];
  const ping = String(pong) === 'are you there';
  // RFC 6455 §5.4: one message in three frames.
  socket.send('frag', { fin: false });
  socket.send('ment', { fin: false });
  socket.send('ed', { fin: true });
  const fragmented = String(await next()) === 'fragmented';
  const protocol = socket.protocol;
  const extensions = socket.extensions;
  socket.close(4000, 'bye');
  const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
  // ws has no wasClean; a close code received from the server is a clean close (§7.1.5).
  return { text, mib, binary, close: { code, reason: String(reason), wasClean: code !== 1006 }, protocol, extensions, ping, fragmented };
}

function check(client: string, variant: Variant, observed: Observed): void {
  const deflate = /permessage-deflate/.test(observed.extensions) === deflateExpected(variant);
  record(client, variant, 'text', observed.text);
  record(client, variant, '1 MiB', observed.mib);
  record(client, variant, 'binary', observed.binary);
  record(client, variant, 'close code+reason', observed.close.code === 4000 && observed.close.reason === 'bye' && observed.close.wasClean);
  record(client, variant, 'subprotocol', observed.protocol === OFFERED_SUBPROTOCOLS[0]);
  record(client, variant, 'permessage-deflate', deflate);
  record(client, variant, 'ping', observed.ping);
  record(client, variant, 'fragmented', observed.fragmented);
  expect(observed).to.deep.include({ text: true, mib: true, binary: true, protocol: 'chat.v2' });
  expect(observed.fragmented).to.not.equal(false);
  expect(observed.close).to.deep.equal({ code: 4000, reason: 'bye', wasClean: true });
  expect(observed.ping).to.not.equal(false);
  expect(deflate, `extensions: ${observed.extensions || 'none'}`).to.equal(true);
}

describe('interop: Node clients', () => {
  let echo: EchoServer | undefined;
  afterEach(async () => echo?.close());

  for (const variant of VARIANTS) {
    const ca = () => (variant === 'wss+deflate' ? testCertificate().cert : undefined);

    it(`ws ${versionOf('ws')} against the echo server (${variant})`, async () => {
      echo = await startInteropServer(variant);
      const socket = new WebSocket(`${echo.url}/ws-client`, [...OFFERED_SUBPROTOCOLS], { perMessageDeflate: true, ca: ca() });
      check(`ws ${versionOf('ws')}`, variant, await wsScenario(socket));
    });

    it(`undici ${versionOf('undici')} against the echo server (${variant})`, async () => {
      echo = await startInteropServer(variant);
      const dispatcher = new Agent({ connect: { ca: ca() } });
      const socket = new UndiciWebSocket(`${echo.url}/undici`, { protocols: [...OFFERED_SUBPROTOCOLS], dispatcher });
      try {
        check(`undici ${versionOf('undici')}`, variant, await whatwgScenario(socket));
      } finally {
        await dispatcher.close();
      }
    });
  }
});
