/**
 * The live inspector's server side: what is recorded per connection, what is sent to a page and
 * when, what is dropped, and what is served over TCP. Connections are driven through the sans-I/O
 * core with hex-free client frames; pages are fakes that collect what they are sent.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { startEchoServer, type EchoServer } from '../src/echo-server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import { InspectorFeed, isInspectorOrigin, type InspectOptions } from '../src/inspector/inspector-feed.js';
import { ConnectionRecord } from '../src/inspector/connection-record.js';
import { eventDetail } from '../src/inspector/inspection-hooks.js';
import type { FeedUpdate, FrameEntry, TransitionEntry } from '../src/inspector/inspector-messages.js';
import { StatelyBridge, StatelyForwarder, stateValueOf, type StatelyInspector } from '../src/inspector/stately-forwarder.js';
import { clientFrame, closeBody } from './client-frame.js';
import { protocolEvent } from './protocol-event-samples.js';

const HANDSHAKE_HEADERS = {
  host: '127.0.0.1',
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
};

/** A connection as the feed sees it, driven through the real protocol core. */
function inspectedConnection(feed: InspectorFeed, url = '/chat', clientUrl = '') {
  const connection = Object.assign(new EventEmitter(), {
    requestUrl: url,
    remoteAddress: '127.0.0.1',
    url: clientUrl,
    role: clientUrl === '' ? 'server' : 'client',
  });
  const inspected = connection as unknown as WebSocketConnection;
  const output = new (class extends DiscardingOutput {
    override closed(code: number, reason: string): void {
      connection.emit('close', code, reason);
    }
  })();
  const protocol = new ConnectionProtocol(output, {
    maxMessageSize: 1 << 20,
    onTransition: (transition, event) => feed.onTransition(inspected, transition, event),
    onFrame: (direction, opcode, length, fin, rsv1) => feed.onFrame(inspected, direction, opcode, length, fin, rsv1),
  });
  protocol.receiveHandshake({ method: 'GET', httpVersion: '1.1', headers: HANDSHAKE_HEADERS });
  return { connection: inspected, protocol };
}

/** Close cleanly: the peer's Close, then TCP gone. */
function closeWith(protocol: ConnectionProtocol, code: number): void {
  protocol.receiveData(clientFrame(0x8, closeBody(code)));
  protocol.receiveTcpClosed();
}

/** A page that reads everything it is sent (or, with a large bufferedAmount, nothing). */
class FakePage extends EventEmitter {
  readonly readyState = 1;
  readonly OPEN = 1;
  bufferedAmount = 0;
  readonly updates: FeedUpdate[] = [];
  send(text: string): void {
    this.updates.push(JSON.parse(text) as FeedUpdate);
  }
  request(request: object): void {
    this.emit('message', Buffer.from(JSON.stringify(request)), false);
  }
}

function openPage(feed: InspectorFeed, headers: Record<string, string> = {}): FakePage {
  const attach = feed.pageUpgrade({ url: '/inspect/events', headers } as unknown as IncomingMessage, {} as Socket);
  if (typeof attach !== 'function') throw new Error('the feed did not take the page');
  const page = new FakePage();
  attach(page as unknown as WebSocketConnection);
  return page;
}

function newFeed(options: InspectOptions = {}): InspectorFeed {
  return new InspectorFeed({ flushIntervalMs: 2, ...options });
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const transitionsOf = (update: FeedUpdate | undefined) =>
  (update?.detail?.entries ?? []).filter((entry): entry is TransitionEntry => entry.kind === 'transition');

describe('inspector', () => {
  describe('ConnectionRecord', () => {
    it('records frames in and out, Close frames with their codes, and each transition with its event', () => {
      const feed = newFeed();
      const page = openPage(feed);
      const { protocol } = inspectedConnection(feed);
      protocol.receiveData(clientFrame(0x1, 'Hel', { fin: false }));
      protocol.receiveData(clientFrame(0x9, 'ping'));
      protocol.receiveData(clientFrame(0x0, 'lo', { fin: true }));
      closeWith(protocol, 1000);
      return waitFor(() => page.updates.some((update) => update.detail?.summary.closeCode === 1000)).then(() => {
        const entries = page.updates.flatMap((update) => update.detail?.entries ?? []);
        const frames = entries
          .filter((entry): entry is FrameEntry => entry.kind === 'frame')
          .map((frame) => `${frame.direction} ${frame.opcode} fin=${frame.fin} rsv1=${frame.rsv1} ${frame.length} B${frame.closeCode ? ` ${frame.closeCode}` : ''}`);
        expect(frames).to.deep.equal([
          'in 1 fin=false rsv1=false 3 B',
          'in 9 fin=true rsv1=false 4 B',
          'out 10 fin=true rsv1=false 4 B',
          'in 0 fin=true rsv1=false 2 B',
          'in 8 fin=true rsv1=false 2 B 1000',
          'out 8 fin=true rsv1=false 2 B 1000',
        ]);
        const textFrame = entries.find((entry): entry is TransitionEntry => entry.kind === 'transition' && entry.event === 'TEXT_FRAME');
        expect(textFrame?.detail).to.deep.equal({ fin: false, rsv1: false });
        expect(textFrame?.target).to.equal('text.fragment');
        const handshake = entries.find((entry): entry is TransitionEntry => entry.kind === 'transition' && entry.event === 'HANDSHAKE_REQUEST');
        expect(handshake?.detail, 'never the headers').to.deep.equal({ method: 'GET', httpVersion: '1.1', perMessageDeflateAgreed: false });
        expect(entries.filter((entry) => entry.kind === 'closed')).to.deep.equal([
          { kind: 'closed', seq: entries.find((entry) => entry.kind === 'closed')!.seq, time: entries.find((entry) => entry.kind === 'closed')!.time, code: 1000, reason: '' },
        ]);
      });
    });

    it('remembers the close code and cause the server failed a connection with, not the application\'s 1006', async () => {
      const feed = newFeed();
      const page = openPage(feed);
      // RFC 6455 §5.4: a new text message while a fragmented one is unfinished fails with 1002.
      const interleaved = inspectedConnection(feed, '/interleaved').protocol;
      interleaved.receiveData(clientFrame(0x1, 'Hel', { fin: false }));
      interleaved.receiveData(clientFrame(0x1, 'lo'));
      interleaved.receiveTcpClosed();
      // §8.1: a text message that is not UTF-8 fails with 1007.
      const notUtf8 = inspectedConnection(feed, '/not-utf8').protocol;
      notUtf8.receiveData(clientFrame(0x1, Buffer.from([0xce, 0xba, 0xff])));
      notUtf8.receiveTcpClosed();
      closeWith(inspectedConnection(feed, '/clean').protocol, 1000);
      await waitFor(() => page.updates.some((update) => update.list?.closed.length === 3));
      const closed = page.updates.filter((update) => update.list?.closed.length === 3).at(-1)!.list!.closed;
      const byPath = Object.fromEntries(closed.map((summary) => [summary.path, summary]));
      expect(byPath['/interleaved']).to.deep.include({
        closeCode: 1006,
        failure: { closeCode: 1002, error: 'WS_ERR_EXPECTED_CONTINUATION', cause: 'expected continuation' },
      });
      expect(byPath['/not-utf8']).to.deep.include({
        closeCode: 1006,
        failure: { closeCode: 1007, error: 'WS_ERR_INVALID_UTF8', cause: 'invalid UTF-8' },
      });
      expect(byPath['/clean']?.closeCode).to.equal(1000);
      expect(byPath['/clean']?.failure, 'a clean close is no failure').to.equal(undefined);
    });

    it('keeps only the last N events and says how many were not kept', () => {
      const record = new ConnectionRecord(1, '/', '', 0, 4);
      const [transition] = handshakeTransitions();
      for (let i = 0; i < 10; i++) record.recordTransition(transition!, { type: 'TCP_END' }, i);
      const { entries, dropped } = record.entriesSince(3);
      expect(entries.map((entry) => entry.seq)).to.deep.equal([7, 8, 9, 10]);
      expect(dropped).to.equal(3);
      expect(record.entriesSince(9)).to.deep.include({ dropped: 0 });
      expect(record.transitions, 'counters count everything').to.equal(10);
    });

    it('keeps of every event what eventDetail shows, without the handshake headers', () => {
      fc.assert(
        fc.property(protocolEvent, (event) => {
          const record = new ConnectionRecord(1, '/', '', 0, 2);
          const transition = { machineId: 'message', eventType: event.type, source: 'failed', target: 'failed', targetIndex: 0, index: 0, actions: [] };
          record.recordTransition(transition, event, 0);
          const [entry] = record.entriesSince(0).entries;
          expect(entry?.kind === 'transition' && entry.detail).to.deep.equal(eventDetail(event));
          if (event.type === 'HANDSHAKE_REQUEST') expect(entry).not.to.have.nested.property('detail.headers');
        }),
      );
    });

    it('gives a nested state as XState writes it in a snapshot', () => {
      expect(stateValueOf('open')).to.equal('open');
      expect(stateValueOf('compressedText.finalFrame')).to.deep.equal({ compressedText: 'finalFrame' });
    });
  });

  describe('InspectorFeed', () => {
    it('sends a page one batched update per flush, not one per transition', async () => {
      const feed = newFeed({ flushIntervalMs: 50 });
      const page = openPage(feed);
      const { protocol } = inspectedConnection(feed);
      for (let i = 0; i < 200; i++) protocol.receiveData(clientFrame(0x1, `message ${i}`));
      await waitFor(() => page.updates.length > 0);
      expect(page.updates).to.have.length(1);
      expect(page.updates[0]!.detail?.summary.messagesIn).to.equal(200);
      expect(page.updates[0]!.list?.liveTotal).to.equal(1);
    });

    it("records a server's connection as the server's, from the peer's address, and a client's as the client's, to the server's host", async () => {
      const feed = newFeed();
      const page = openPage(feed);
      inspectedConnection(feed, '/a');
      inspectedConnection(feed, '/b', 'ws://example.test:8080/b');
      await waitFor(() => page.updates.some((update) => update.list?.live.length === 2));
      const live = page.updates.filter((update) => update.list?.live.length === 2).at(-1)!.list!.live;
      expect(live.map((summary) => [summary.path, summary.role, summary.remoteAddress])).to.deep.equal([
        ['/b', 'client', 'example.test:8080'],
        ['/a', 'server', '127.0.0.1'],
      ]);
    });

    it('follows the newest connection until the page chooses one', async () => {
      const feed = newFeed();
      const page = openPage(feed);
      inspectedConnection(feed, '/first');
      await waitFor(() => page.updates.some((update) => update.detail?.id === 1));
      inspectedConnection(feed, '/second');
      await waitFor(() => page.updates.some((update) => update.detail?.id === 2));
      page.request({ type: 'select', id: 1 });
      inspectedConnection(feed, '/third');
      await waitFor(() => page.updates.at(-1)?.list?.live.length === 3);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(page.updates.at(-1)?.detail?.id ?? 1).to.equal(1);
      expect(page.updates.filter((update) => update.detail?.id === 3)).to.deep.equal([]);
      page.request({ type: 'follow' });
      await waitFor(() => page.updates.some((update) => update.detail?.id === 3 && update.detail.reset));
    });

    it('keeps a bounded history of closed connections, newest first', async () => {
      const feed = newFeed({ historySize: 2 });
      for (const code of [1000, 1001, 1002]) closeWith(inspectedConnection(feed).protocol, code === 1002 ? 1000 : code);
      const page = openPage(feed);
      await waitFor(() => page.updates.length > 0);
      expect(page.updates[0]!.list?.closed.map((summary) => summary.id)).to.deep.equal([3, 2]);
      expect(feed.connectionIds).to.deep.equal({ live: [], closed: [2, 3] });
    });

    it('skips a page that does not read, and tells it how many updates it missed', async () => {
      const feed = newFeed();
      const page = openPage(feed);
      page.bufferedAmount = 10 * 1024 * 1024;
      const { protocol } = inspectedConnection(feed);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(page.updates).to.deep.equal([]);
      page.bufferedAmount = 0;
      protocol.receiveData(clientFrame(0x1, 'late'));
      await waitFor(() => page.updates.length > 0);
      expect(page.updates[0]!.skippedUpdates).to.be.greaterThan(3);
      expect(transitionsOf(page.updates[0]).map((entry) => entry.event)).to.include('TEXT_FRAME');
    });

    it('lets a browser read the feed only from the inspector page itself', () => {
      const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
      expect(isInspectorOrigin(request({ host: '127.0.0.1:9001' })), 'no Origin: not a browser').to.equal(true);
      expect(isInspectorOrigin(request({ host: '127.0.0.1:9001', origin: 'http://127.0.0.1:9001' }))).to.equal(true);
      expect(isInspectorOrigin(request({ host: 'localhost:9001', origin: 'http://localhost:9001' }))).to.equal(true);
      expect(isInspectorOrigin(request({ host: '[::1]:9001', origin: 'http://[::1]:9001' }))).to.equal(true);
      expect(isInspectorOrigin(request({ host: '127.0.0.1:9001', origin: 'http://evil.example' }))).to.equal(false);
      expect(isInspectorOrigin(request({ host: 'rebound.example:9001', origin: 'http://rebound.example:9001' })), 'DNS rebinding').to.equal(false);
    });
  });

  describe('over TCP', () => {
    let echo: EchoServer;
    afterEach(async () => echo?.close());

    async function get(path: string): Promise<{ status: number; headers: Headers; body: string }> {
      const response = await fetch(`http://127.0.0.1:${echo.port}${path}`);
      return { status: response.status, headers: response.headers, body: await response.text() };
    }

    it('with inspect off, has no inspector and refuses /inspect like any request: 426', async () => {
      echo = await startEchoServer({ port: 0 });
      expect(echo.server.inspector).to.equal(undefined);
      expect((await get('/inspect')).status).to.equal(426);
    });

    it('serves a self-contained page at /inspect and keeps 426 for every other path', async () => {
      echo = await startEchoServer({ port: 0, inspect: true });
      const page = await get('/inspect');
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-security-policy')).to.include("default-src 'none'").and.include("connect-src 'self'");
      expect(page.body).to.include('id="state-text.finalFrame"').and.include('id="state-closeHandshakeComplete"');
      expect(page.body).not.to.match(/<script[^>]+src=|<link[^>]+stylesheet|@import|url\(/);
      expect((await get('/inspect/other')).status).to.equal(426);
      expect((await get('/')).status).to.equal(426);
      expect((await get('/inspect/stately')).status, 'Stately is off').to.equal(426);
    });

    it('feeds the page over its own WebSocket, which it never inspects', async () => {
      echo = await startEchoServer({ port: 0, inspect: true });
      let emitted = 0;
      echo.server.on('connection', () => emitted++);
      const feedSocket = new WebSocket(`${echo.url}/inspect/events`);
      const updates: FeedUpdate[] = [];
      feedSocket.on('message', (data) => updates.push(JSON.parse(String(data)) as FeedUpdate));
      await once(feedSocket, 'open');
      const client = new WebSocket(`${echo.url}/chat`);
      await once(client, 'open');
      client.send('hello');
      await once(client, 'message');
      await waitFor(() => updates.some((update) => update.detail?.summary.messagesIn === 1));
      const list = updates.filter((update) => update.list).at(-1)!.list!;
      expect(list.live.map((summary) => summary.path)).to.deep.equal(['/chat']);
      expect(emitted, 'the feed is not a connection of the application').to.equal(1);
      client.close();
      feedSocket.close();
      await once(feedSocket, 'close');
    });

    it('shows per connection whether permessage-deflate is agreed, with its parameters and the bytes saved (RFC 7692)', async () => {
      echo = await startEchoServer({ port: 0, inspect: true });
      const feedSocket = new WebSocket(`${echo.url}/inspect/events`);
      const updates: FeedUpdate[] = [];
      feedSocket.on('message', (data) => updates.push(JSON.parse(String(data)) as FeedUpdate));
      await once(feedSocket, 'open');
      const compressed = new WebSocket(`${echo.url}/compressed`, { perMessageDeflate: true });
      await once(compressed, 'open');
      const text = 'statesocket inspects compression. '.repeat(200);
      compressed.send(text);
      await once(compressed, 'message');
      await waitFor(() => updates.some((update) => update.detail?.summary.path === '/compressed' && update.detail.summary.messagesIn === 1));
      const summary = updates.filter((update) => update.detail?.summary.path === '/compressed').at(-1)!.detail!.summary;
      const compression = summary.compression!;
      expect(compression.parameters).to.equal('permessage-deflate');
      expect(compression.inflatedTo).to.equal(text.length);
      expect(compression.deflatedFrom).to.equal(text.length);
      expect(compression.bytesSaved).to.equal(2 * text.length - compression.inflatedFrom - compression.deflatedTo);
      expect(compression.bytesSaved).to.be.above(text.length);
      expect(compression.peerWindowBytes).to.equal(text.length);
      compressed.close();

      const plain = new WebSocket(`${echo.url}/plain`, { perMessageDeflate: false });
      await once(plain, 'open');
      plain.send('no compression');
      await once(plain, 'message');
      await waitFor(() => updates.some((update) => update.detail?.summary.path === '/plain' && update.detail.summary.messagesIn === 1));
      expect(updates.filter((update) => update.detail?.summary.path === '/plain').at(-1)!.detail!.summary.compression).to.equal(undefined);
      plain.close();
      feedSocket.close();
      await once(feedSocket, 'close');
    });

    it('refuses the feed to a page from another origin with 403', async () => {
      echo = await startEchoServer({ port: 0, inspect: true });
      const socket = new WebSocket(`${echo.url}/inspect/events`, { origin: 'http://evil.example' });
      socket.on('error', () => {});
      const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(response.statusCode).to.equal(403);
      socket.terminate();
    });

    it('with stately on, serves the bridge page and replays the forwarded actors to it', async () => {
      echo = await startEchoServer({ port: 0, inspect: { stately: true } });
      const bridgePage = await get('/inspect/stately');
      expect(bridgePage.status).to.equal(200);
      expect(bridgePage.body).to.include('https://stately.ai/inspect');
      const client = new WebSocket(`${echo.url}/chat`);
      await once(client, 'open');
      const bridge = new WebSocket(`${echo.url}/inspect/stately/events`);
      const events: { type: string; sessionId: string; snapshot?: { value: unknown }; event?: { type: string } }[] = [];
      bridge.on('message', (data) => events.push(JSON.parse(String(data))));
      await once(bridge, 'open');
      await waitFor(() => events.length >= 3);
      expect(events.slice(0, 3).map((event) => `${event.type} ${event.sessionId}`)).to.deep.equal([
        '@xstate.actor ws1.connection',
        '@xstate.actor ws1.message',
        '@xstate.actor ws1.closingHandshake',
      ]);
      const latest = events.filter((event) => event.sessionId === 'ws1.connection' && event.snapshot).at(-1);
      expect(latest?.snapshot?.value, 'replayed as it is now').to.equal('open');
      client.send('hello');
      await waitFor(() => events.some((event) => event.type === '@xstate.event' && event.event?.type === 'TEXT_FRAME'));
      client.close();
      bridge.close();
      await once(bridge, 'close');
    });
  });

  describe('StatelyForwarder', () => {
    it('forwards actors, events and snapshots of the most recently opened connections only', () => {
      const calls: string[] = [];
      const inspector: StatelyInspector = {
        actor: (actor, snapshot) => calls.push(`actor ${typeof actor === 'string' ? actor : actor.sessionId} ${JSON.stringify(snapshot?.value)}`),
        event: (actor, event) => calls.push(`event ${actor as string} ${JSON.stringify(event)}`),
        snapshot: (actor, snapshot) => calls.push(`snapshot ${actor as string} ${JSON.stringify(snapshot.value)} ${snapshot.status}`),
      };
      const feed = newFeed({ stately: { inspector, maxConnections: 1 } });
      const first = inspectedConnection(feed).protocol;
      expect(calls.slice(0, 5)).to.deep.equal([
        'actor ws1.connection "connecting"',
        'actor ws1.message "awaitingMessage"',
        'actor ws1.closingHandshake "connecting"',
        'event ws1.connection {"method":"GET","httpVersion":"1.1","perMessageDeflateAgreed":false,"type":"HANDSHAKE_REQUEST"}',
        'snapshot ws1.connection "open" active',
      ]);
      first.receiveData(clientFrame(0x1, 'a', { fin: false }));
      expect(calls).to.include('snapshot ws1.message {"text":"fragment"} active');
      calls.length = 0;
      inspectedConnection(feed);
      first.receiveData(clientFrame(0x0, 'b'));
      expect(calls.filter((call) => call.includes('ws1.')), 'the older connection is no longer forwarded').to.deep.equal([]);
      expect(calls.some((call) => call.startsWith('snapshot ws2.connection'))).to.equal(true);
    });

    it('replays each actor and its latest snapshot to a bridge page opened late', () => {
      const bridge = new StatelyBridge(2);
      const base = { rootId: 'root', createdAt: '0', id: 'x', _version: '0' };
      for (const sessionId of ['a', 'b', 'c']) {
        bridge.send({ ...base, type: '@xstate.actor', sessionId, name: sessionId, snapshot: {}, definition: undefined, parentId: undefined });
        bridge.send({ ...base, type: '@xstate.snapshot', sessionId, snapshot: { value: 1 } as never, event: { type: 'E' } });
        bridge.send({ ...base, type: '@xstate.snapshot', sessionId, snapshot: { value: 2 } as never, event: { type: 'E' } });
      }
      const page = new FakePage();
      const sent: string[] = [];
      page.send = (text: string) => void sent.push(text);
      bridge.addPage(page as unknown as WebSocketConnection);
      expect(sent.map((text) => JSON.parse(text) as { type: string; sessionId: string; snapshot: { value?: number } })
        .map((event) => `${event.type} ${event.sessionId} ${event.snapshot.value ?? ''}`)).to.deep.equal([
        '@xstate.actor b ',
        '@xstate.actor c ',
        '@xstate.snapshot b 2',
        '@xstate.snapshot c 2',
      ]);
    });

    it('is not created without the option', () => {
      expect(new StatelyForwarder({ inspector: { actor() {}, event() {}, snapshot() {} } }).bridge).to.equal(undefined);
    });
  });
});

/** Real compiled transitions: those of an opening handshake. */
function handshakeTransitions() {
  const taken: Parameters<InspectorFeed['onTransition']>[1][] = [];
  const protocol = new ConnectionProtocol(
    { write() {}, refuseHandshake() {}, closeTcp() {}, destroyTcp() {}, startCloseTimer() {}, startPongDeadline() {}, opened() {}, message() {}, ping() {}, pong() {}, protocolError() {}, closed() {} },
    { maxMessageSize: 1024, onTransition: (transition) => taken.push(transition) },
  );
  protocol.receiveHandshake({ method: 'GET', httpVersion: '1.1', headers: HANDSHAKE_HEADERS });
  return taken;
}
