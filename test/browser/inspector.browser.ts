/**
 * The live inspector in a real browser: the echo server with `inspect: true`, Debian's Chromium
 * driven by playwright-core, and a raw TCP client that sends a fragmented message with a Ping
 * between its fragments, then a Close. The page must show, in order, the states each machine went
 * through, highlight them in the diagrams, and reach nothing but the server.
 *
 * Then, at 1024×768, 1280×800 and 1920×1080: nothing on the page is cut off (page-layout.ts), every
 * badge is wholly visible, a connection the server failed is listed with the code and cause it sent,
 * and the diagrams zoom by button, key and Ctrl+wheel.
 *
 * Not part of `npm test` (mocha's spec is dist/test/**\/*.test.js): `npm run test:browser` runs it.
 * It needs `apt-get install -y chromium` (or CHROMIUM_PATH). With UPDATE_SCREENSHOTS=1 it rewrites
 * diagrams/inspector.png and writes /tmp/statesocket-inspector-<width>x<height>.png.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { startEchoServer, type EchoServer } from '../../src/echo-server.js';
import { clientFrame, closeBody } from '../client-frame.js';
import { launchChromium, updateScreenshots } from './chromium.js';
import { layoutProblems } from './page-layout.js';

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
    browser = await launchChromium();
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
    if (updateScreenshots) await page.screenshot({ path: screenshotPath });

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
      'closingHandshake: connecting → open',
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
      // The Close is echoed with its code and reason (RFC 6455 §5.5.1).
      'out 8 fin 1 5 B 1000',
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

/** Fail a connection as a peer would: RFC 6455 §5.4 (1002) or §8.1 (1007). */
async function failedConnection(port: number, frames: readonly Buffer[]): Promise<void> {
  const client = new RawClient(port);
  await client.upgrade();
  for (const frame of frames) client.socket.write(frame);
  await client.waitFor(() => client.serverEnded);
  client.socket.end();
}

describe('the inspector at 1024×768, 1280×800 and 1920×1080', () => {
  let echo: EchoServer;
  let browser: Browser;
  const live: RawClient[] = [];

  before(async () => {
    echo = await startEchoServer({ port: 0, inspect: true });
    browser = await launchChromium();
    // A clean close, a refused handshake, two failures, and a live connection in the middle of a
    // fragmented message: the longest state name of each machine is on screen.
    const clean = await openWs(`${echo.url}/clean`);
    clean.close(1000);
    await once(clean, 'close');
    const refused = new WebSocket(`${echo.url}/old`, { protocolVersion: 8 });
    await once(refused, 'error');
    await failedConnection(echo.port, [clientFrame(0x1, Buffer.from([0xce, 0xba, 0xff]))]);
    await failedConnection(echo.port, [clientFrame(0x1, 'Hel', { fin: false }), clientFrame(0x1, 'lo')]);
    const client = new RawClient(echo.port);
    await client.upgrade();
    client.socket.write(clientFrame(0x2, Buffer.from([1, 2, 3]), { fin: false }));
    live.push(client);
  });

  after(async () => {
    for (const client of live) client.socket.destroy();
    await browser?.close();
    await echo?.close();
  });

  for (const [width, height] of [[1024, 768], [1280, 800], [1920, 1080]] as const) {
    it(`at ${width}×${height} cuts nothing off, shows every badge whole, and names the failures`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${echo.port}/inspect`);
      await page.waitForFunction(() => document.querySelectorAll('#closed-list > li').length === 4);
      await waitForHighlight(page, 'message', 'state-binary.awaitingContinuation');

      const badges = await page.$$eval('#closed-list > li', (items) =>
        items.map((item) => `${item.querySelector('.item-path')?.textContent}: ${item.querySelector('.badge')?.textContent}`),
      );
      expect(badges).to.include('/chat?room=lobby: 1002 expected continuation');
      expect(badges).to.include('/chat?room=lobby: 1007 invalid UTF-8');
      expect(badges).to.include('/clean: 1000');
      expect(badges).to.include('/old: refused 426');
      expect(await page.$eval('#closed-list .badge.bad', (badge) => getComputedStyle(badge).color)).to.equal('rgb(185, 28, 28)');

      expect(await page.evaluate(layoutProblems)).to.deep.equal([]);
      // What each state means, asked for: still nothing cut off.
      for (const button of await page.$$('.diagram:not(.explained) .explain')) await button.click();
      expect(await page.evaluate(layoutProblems)).to.deep.equal([]);
      if (updateScreenshots) await page.screenshot({ path: `/tmp/statesocket-inspector-${width}x${height}.png` });
      expect(errors).to.deep.equal([]);
      await page.close();
    });
  }

  it('zooms a diagram by button, by key and by Ctrl+wheel, and fits it again', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${echo.port}/inspect`);
    await page.waitForSelector('#status[data-state="live"]');
    const figure = '#diagram-message';
    const svgWidth = () => page.$eval(`${figure} svg`, (svg) => svg.getBoundingClientRect().width);
    const natural = await page.$eval(`${figure} svg`, (svg) => ((svg as SVGSVGElement).viewBox.baseVal.width * 4) / 3);
    const fitted = await svgWidth();
    expect(fitted, 'fitted into a box narrower than the drawing').to.be.lessThan(natural);

    await page.click(`${figure} .zoom-actual`);
    expect(await svgWidth()).to.be.closeTo(natural, 1);
    expect(await page.textContent(`${figure} .zoom-level`)).to.equal('100%');
    const scroller = await page.$eval(`${figure} .svg`, (box) => box.scrollWidth > box.clientWidth);
    expect(scroller, 'at 100% the drawing scrolls within its box').to.equal(true);

    await page.click(`${figure} .zoom-in`);
    expect(await svgWidth()).to.be.closeTo(natural * 1.25, 1);
    await page.focus(`${figure} .svg`);
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    expect(await page.textContent(`${figure} .zoom-level`)).to.equal('80%');
    await page.keyboard.press('0');
    expect(await svgWidth()).to.be.closeTo(fitted, 1);

    const box = (await page.$(`${figure} .svg`))!;
    const rect = (await box.boundingBox())!;
    await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForFunction((fit) => document.querySelector('#diagram-message svg')!.getBoundingClientRect().width > fit + 1, fitted);
    expect(await page.evaluate(() => window.visualViewport?.scale ?? 1), 'the page itself did not zoom').to.equal(1);
    await page.close();
  });
});
