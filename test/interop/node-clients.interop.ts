/**
 * Interop: the `ws` 8 client and undici's WebSocket (the WHATWG API Node's own fetch stack uses)
 * against the echo server plain, with permessage-deflate and over TLS: text, 1 MiB, binary, the
 * close code and reason echoed with wasClean, the subprotocol, permessage-deflate agreed, and (ws
 * only: the WHATWG API has neither) ping and a fragmented message.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, WebSocket as UndiciWebSocket } from 'undici';
import WebSocket from 'ws';
import type { EchoServer } from '../../src/echo-server.js';
import { testCertificate } from '../tls-certificate.js';
import { OFFERED_SUBPROTOCOLS, VARIANTS, check, startInteropServer, type ClientObservation } from './interop-servers.js';
import { whatwgScenario } from './whatwg-scenario.js';

const require = createRequire(import.meta.url);
const versionOf = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

/** What one client saw, feature by feature. */
type Observed = ClientObservation;

/** The WHATWG API: undici's WebSocket as the global one, for the same scenario Chromium runs. */
async function undiciScenario(url: string, ca: Buffer | undefined): Promise<Observed> {
  const dispatcher = new Agent({ connect: { ca } });
  const previous = getGlobalDispatcher();
  const globals = globalThis as { WebSocket?: unknown };
  const previousWebSocket = globals.WebSocket;
  setGlobalDispatcher(dispatcher);
  globals.WebSocket = UndiciWebSocket;
  try {
    return { ...(await whatwgScenario({ url, protocols: [...OFFERED_SUBPROTOCOLS] })), ping: '—', fragmented: '—' };
  } finally {
    globals.WebSocket = previousWebSocket;
    setGlobalDispatcher(previous);
    await dispatcher.close();
  }
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
      check(`undici ${versionOf('undici')}`, variant, await undiciScenario(`${echo.url}/undici`, ca()));
    });
  }
});
