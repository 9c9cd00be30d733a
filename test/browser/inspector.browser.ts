/**
 * The live inspector in a real browser: the echo server with `inspect: true`, Debian's Chromium
 * driven by playwright-core, and a raw TCP client that sends a fragmented message with a Ping
 * between its fragments, then a Close. The page must show, in order, the states each machine went
 * through, highlight them in the diagrams, and reach nothing but the server.
 *
 * Not part of `npm test` (mocha's spec is dist/test/**\/*.test.js): run it with
 *   npm run build && npx mocha --no-config --timeout 120000 dist/test/browser/inspector.browser.js
 * It needs `apt-get install -y chromium` (or CHROMIUM_PATH). It saves diagrams/inspector.png.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { startEchoServer, type EchoServer } from '../../src/echo-server.js';
import { clientFrame, closeBody } from '../client-frame.js';
import { CHROMIUM_ARGS } from './chromium-args.js';

/** This file runs as dist/test/browser/inspector.browser.js. */
const screenshotPath = fileURLToPath(new URL('../../../diagrams/inspector.png', import.meta.url));


const UPGRADE_REQUEST =
  'GET /chat?room=lobby HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A client that writes frames by hand (no permessage-deflate) and collects what comes back. */
class RawClient {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  serverEnded = false;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1' });
    this.socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    this.socket.on('end', () => (this.serverEnded = true));
    this.socket.on('error', () => {});
  }

  async upgrade(): Promise<void> {
    this.socket.write(UPGRADE_REQUEST);
    await this.waitFor(() => this.received.includes('\r\n\r\n'));
    expect(this.received.toString()).to.match(/^HTTP\/1\.1 101 /);
    this.received = this.received.subarray(this.received.indexOf('\r\n\r\n') + 4);
  }

  async waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** A log row's data attributes: kind, machine, source, target, event, direction, opcode, fin, length, code. */
type LogRow = Record<string, string | undefined>;

function readLog(page: Page): Promise<LogRow[]> {
  return page.$$eval('#log > li', (rows) => rows.map((row): LogRow => ({ ...(row as HTMLElement).dataset })));
}

/** The active state of each machine's diagram, by the element ids machineSvg gives states. */
function highlighted(page: Page): Promise<Record<string, string | undefined>> {
  return page.$$eval('.diagram', (figures) =>
    Object.fromEntries(
      figures.map((figure) => [(figure as HTMLElement).dataset['machine'], figure.querySelector('.state.active')?.id]),
    ),
  );
}

async function waitForHighlight(page: Page, machine: string, stateId: string): Promise<void> {
  await page.waitForFunction(
    ([machine, stateId]) => document.querySelector(`#diagram-${machine} .state.active`)?.id === stateId,
    [machine, stateId] as const,
  );
}

/** Does `sequence` occur in `list` in order, not necessarily next to each other? */
function isSubsequence(sequence: readonly string[], list: readonly string[]): boolean {
  let next = 0;
  for (const item of list) if (item === sequence[next]) next++;
  return next === sequence.length;
}

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}

describe('the live inspector in Chromium', () => {
  let echo: EchoServer;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const sockets: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    echo = await startEchoServer({ port: 0, inspect: true });
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`http://127.0.0.1:${echo.port}/inspect`);
    await page.waitForSelector('#status[data-state="live"]');
  });

  after(async () => {
    await browser?.close();
    await echo?.close();
  });

  it('shows a fragmented message, a Ping between its fragments and a Close, state by state', async () => {
    // Other connections, so that the list has a closed one, a refused one and a live one.
    const earlier = await openWs(`${echo.url}/feed`);
    earlier.send('hello');
    await once(earlier, 'message');
    earlier.close(1000, 'done');
    await once(earlier, 'close');
    const refused = new WebSocket(`${echo.url}/old`, { protocolVersion: 8 });
    await once(refused, 'error');
    const background = await openWs(`${echo.url}/background`);

    const client = new RawClient(echo.port);
    await client.upgrade();
    // RFC 6455 §5.4: a text message in two fragments, with a control frame injected between them.
    client.socket.write(clientFrame(0x1, 'Hello, ', { fin: false }));
    client.socket.write(clientFrame(0x9, 'are you there?'));
    await client.waitFor(() => client.received.length > 0);
    expect(client.received[0], 'a Pong').to.equal(0x8a);

    await waitForHighlight(page, 'message', 'state-text.awaitingContinuation');
    await page.waitForSelector('#log [data-kind="transition"][data-event="PING_FRAME"]');
    expect(await page.$eval('#diagram-message .state.active-parent', (node) => node.id)).to.equal('state-text');
    expect(await page.textContent('#summary-title')).to.equal('#4 /chat?room=lobby');
    await page.screenshot({ path: screenshotPath });

    client.received = Buffer.alloc(0);
    client.socket.write(clientFrame(0x0, 'inspector', { fin: true }));
    await client.waitFor(() => client.received.length >= 2 + 'Hello, inspector'.length);
    expect(client.received.subarray(2).toString(), 'the echo').to.equal('Hello, inspector');
    client.received = Buffer.alloc(0);
    client.socket.write(clientFrame(0x8, closeBody(1000, 'bye')));
    await client.waitFor(() => client.serverEnded);
    expect(client.received.readUInt16BE(2), 'the Close echoes 1000').to.equal(1000);
    client.socket.end();

    await waitForHighlight(page, 'connection', 'state-closed');
    await waitForHighlight(page, 'closingHandshake', 'state-closed');
    await page.waitForSelector('#log [data-kind="closed"][data-code="1000"]');

    const log = await readLog(page);
    const stateChanges = log
      .filter((row) => row.kind === 'transition' && row.source !== row.target)
      .map((row) => `${row.machine}: ${row.source} → ${row.target}`);
    expect(stateChanges).to.deep.equal([
      'connection: connecting → open',
      'message: awaitingMessage → text.fragment',
      'message: text.fragment → text.awaitingContinuation',
      'message: text.awaitingContinuation → text.finalFrame',
      'message: text.finalFrame → awaitingMessage',
      'connection: open → closing',
      'closingHandshake: open → closeHandshakeComplete',
      'connection: closing → closed',
      'closingHandshake: closeHandshakeComplete → closed',
    ]);
    const transitions = log.filter((row) => row.kind === 'transition').map((row) => `${row.machine} ${row.event}`);
    expect(isSubsequence(
      ['message FRAME_END', 'closingHandshake PING_FRAME', 'message CONTINUATION_FRAME', 'message FRAME_END', 'connection CLOSE_FRAME'],
      transitions,
    ), transitions.join('\n')).to.equal(true);
    // Frames in and out, summarised: direction, opcode, FIN, payload length, close code.
    const frames = log
      .filter((row) => row.kind === 'frame')
      .map((row) => `${row.direction} ${row.opcode} fin ${row.fin} ${row.length} B${row.code ? ` ${row.code}` : ''}`);
    expect(frames).to.deep.equal([
      'in 1 fin 0 7 B',
      'in 9 fin 1 14 B',
      'out 10 fin 1 14 B',
      'in 0 fin 1 9 B',
      'out 1 fin 1 16 B',
      'in 8 fin 1 5 B 1000',
      'out 8 fin 1 2 B 1000',
    ]);
    expect(await highlighted(page)).to.deep.equal({
      message: 'state-awaitingMessage',
      connection: 'state-closed',
      closingHandshake: 'state-closed',
    });

    // The list: the inspector's own WebSocket is not in it.
    background.close();
    await page.waitForFunction(() => document.getElementById('live-count')?.textContent === '0');
    const closedIds = await page.$$eval('#closed-list > li', (items) => items.map((item) => (item as HTMLElement).dataset['id']));
    expect(closedIds).to.deep.equal(['3', '4', '2', '1']);
    expect(await page.textContent('#closed-list > li[data-id="2"] .badge')).to.equal('refused 426');

    // Choosing another connection shows its own history.
    await page.click('#closed-list > li[data-id="1"]');
    await page.waitForFunction(() => document.getElementById('summary-title')?.textContent === '#1 /feed');
    expect(await page.isChecked('#follow')).to.equal(false);
    await page.waitForSelector('#log [data-kind="transition"][data-event="HANDSHAKE_REQUEST"]');
    expect((await readLog(page)).some((row) => row.kind === 'closed' && row.code === '1000')).to.equal(true);
  });

  it('reaches nothing but the server it came from', () => {
    const origin = `http://127.0.0.1:${echo.port}/`;
    expect(requests.filter((url) => !url.startsWith(origin))).to.deep.equal([]);
    expect(sockets).to.deep.equal([`ws://127.0.0.1:${echo.port}/inspect/events`]);
    expect(pageErrors).to.deep.equal([]);
  });
});
