/**
 * The opening handshake's limits and its decision timeout (issue 14, points 1 and 3): the
 * connection machine refuses a request over a limit — 431 for header fields, 403 for an origin
 * not allowed (RFC 6455 §10.2), 503 with Retry-After over `maxConnections` — and refuses with 503
 * on HANDSHAKE_TIMEOUT while an asynchronous `verifyClient` keeps it waiting. Each in process
 * through the protocol core, then over TCP.
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import type { HandshakeRefusal } from '../src/opening-handshake.js';
import { WebSocketServer } from '../src/server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import { allowedOriginSet, isOriginAllowed, serializeOrigin } from '../src/handshake-limits.js';
import type { FeedUpdate } from '../src/inspector/inspector-messages.js';
import type { InspectorFeed } from '../src/inspector/inspector-feed.js';
import { HANDSHAKE_REQUEST } from './client-frame.js';
import { RawTcpClient, UPGRADE_REQUEST } from './raw-tcp-client.js';

/** A core that took `request` (with the given limit flags), and the refusal it made, if any. */
function handshakeWith(flags: Record<string, boolean>) {
  let refusal: HandshakeRefusal | undefined;
  const output = new (class extends DiscardingOutput {
    override refuseHandshake(decided: HandshakeRefusal): void {
      refusal = decided;
    }
  })();
  const core = new ConnectionProtocol(output, { maxMessageSize: 1024 });
  core.receiveHandshake({ ...HANDSHAKE_REQUEST, ...flags });
  return { core, refusal: () => refusal };
}

/** The status line's code of an HTTP response, or undefined before one arrived. */
function statusOf(client: RawTcpClient): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(client.received.toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

async function respond(port: number, request: string): Promise<RawTcpClient> {
  const client = new RawTcpClient(port);
  client.socket.write(request);
  await client.waitFor(() => statusOf(client) !== undefined || client.isClosed);
  return client;
}

const upgradeWith = (extraHeaders: string) => `${UPGRADE_REQUEST}${extraHeaders}\r\n`;

describe('The opening handshake refused for the server\'s limits (connection machine)', () => {
  it('refuses with 431 a request whose header fields are over the limits (RFC 6585 §5)', () => {
    const { core, refusal } = handshakeWith({ headerFieldsTooLarge: true });
    expect(refusal()?.status).to.equal(431);
    expect(core.readyState).to.equal('closed');
  });

  it('refuses with 403 a request from an origin not allowed (RFC 6455 §4.2.2 item 4, §10.2)', () => {
    const { core, refusal } = handshakeWith({ originNotAllowed: true });
    expect(refusal()?.status).to.equal(403);
    expect(core.readyState).to.equal('closed');
  });

  it('refuses with 503 and Retry-After a request over maxConnections', () => {
    const { core, refusal } = handshakeWith({ connectionLimitReached: true });
    expect(refusal()?.status).to.equal(503);
    expect(refusal()?.headers['Retry-After']).to.equal('1');
    expect(core.readyState).to.equal('closed');
  });

  it('opens when every limit flag is clear', () => {
    const { core, refusal } = handshakeWith({ headerFieldsTooLarge: false, originNotAllowed: false, connectionLimitReached: false });
    expect(refusal()).to.equal(undefined);
    expect(core.readyState).to.equal('open');
  });

  it('refuses with 503 on HANDSHAKE_TIMEOUT while CONNECTING, and ignores it once open', () => {
    let refusal: HandshakeRefusal | undefined;
    const output = new (class extends DiscardingOutput {
      override refuseHandshake(decided: HandshakeRefusal): void {
        refusal = decided;
      }
    })();
    const waiting = new ConnectionProtocol(output, { maxMessageSize: 1024 });
    waiting.handshakeTimeout();
    expect(refusal?.status).to.equal(503);
    expect(waiting.readyState).to.equal('closed');

    const { core, refusal: opened } = handshakeWith({});
    core.handshakeTimeout();
    expect(opened()).to.equal(undefined);
    expect(core.readyState).to.equal('open');
  });
});

describe('Origin allow-list (RFC 6454 §6.2 serialization)', () => {
  it('compares scheme and host case-insensitively and drops a default port', () => {
    expect(serializeOrigin('HTTPS://Example.COM:443')).to.equal('https://example.com');
    expect(serializeOrigin('http://example.com:8080')).to.equal('http://example.com:8080');
    const allowed = allowedOriginSet(['https://example.com']);
    expect(isOriginAllowed('https://EXAMPLE.com', allowed)).to.equal(true);
    expect(isOriginAllowed('https://example.com:8443', allowed)).to.equal(false);
    expect(isOriginAllowed('http://example.com', allowed)).to.equal(false);
    expect(isOriginAllowed('null', allowed)).to.equal(false);
    expect(isOriginAllowed(undefined, allowed), 'no Origin: not a browser').to.equal(true);
    expect(isOriginAllowed('https://evil.example', undefined), 'no list').to.equal(true);
  });

  it('refuses an allow-list that is not an array of strings', () => {
    expect(() => allowedOriginSet('https://example.com' as unknown as string[])).to.throw(TypeError);
  });
});

describe('The handshake limits over TCP', function () {
  this.timeout(20_000);
  const servers: WebSocketServer[] = [];
  const clients: RawTcpClient[] = [];

  async function serve(options: ConstructorParameters<typeof WebSocketServer>[0]): Promise<{ server: WebSocketServer; port: number }> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    servers.push(server);
    const { port } = await server.listen();
    return { server, port };
  }

  async function request(port: number, text: string): Promise<RawTcpClient> {
    const client = await respond(port, text);
    clients.push(client);
    return client;
  }

  const sharedServers: Server[] = [];

  /** An application's HTTP server, for the `server` option. */
  async function sharedServer(options: Parameters<typeof createServer>[0] = {}): Promise<Server> {
    const shared = createServer(options);
    sharedServers.push(shared);
    await new Promise<void>((resolve) => shared.listen(0, '127.0.0.1', resolve));
    return shared;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await Promise.all(servers.splice(0).map((server) => server.shutdown(1001, '', 500)));
    for (const shared of sharedServers.splice(0)) {
      shared.closeAllConnections();
      shared.close();
    }
  });

  it('allowedOrigins: 403 for another origin, 101 for an allowed one (any case, default port) and for none', async () => {
    const { port } = await serve({ allowedOrigins: ['https://app.example'] });
    const refused = await request(port, upgradeWith('Origin: https://evil.example\r\n'));
    expect(statusOf(refused)).to.equal(403);
    await refused.waitFor(() => refused.serverEnded);
    expect(statusOf(await request(port, upgradeWith('Origin: HTTPS://App.Example:443\r\n')))).to.equal(101);
    expect(statusOf(await request(port, upgradeWith('')))).to.equal(101);
  });

  it('allowedOrigins: the refusal is visible in the inspector with its status', async () => {
    const { server, port } = await serve({ allowedOrigins: ['https://app.example'], inspect: { flushIntervalMs: 2 } });
    const feed = server.inspector as InspectorFeed;
    const updates: FeedUpdate[] = [];
    const page = Object.assign(new EventEmitter(), {
      readyState: 1,
      OPEN: 1,
      bufferedAmount: 0,
      send: (text: string) => updates.push(JSON.parse(text) as FeedUpdate),
    });
    const attach = feed.pageUpgrade({ url: '/inspect/events', headers: {} } as never, {} as never);
    if (typeof attach !== 'function') throw new Error('the feed did not take the page');
    attach(page as unknown as WebSocketConnection);
    await request(port, upgradeWith('Origin: https://evil.example\r\n'));
    const refusedStatuses = () =>
      updates.flatMap((update) => [...(update.list?.live ?? []), ...(update.list?.closed ?? [])]).map((summary) => summary.refusedStatus);
    const deadline = Date.now() + 3000;
    while (!refusedStatuses().includes(403) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(refusedStatuses()).to.include(403);
    // The refusal's reason, in the handshake's transition: the origin was not allowed.
    updates.length = 0;
    const refused = [...(feed.connectionIds.closed ?? []), ...feed.connectionIds.live].at(-1)!;
    page.emit('message', Buffer.from(JSON.stringify({ type: 'select', id: refused })), false);
    const handshakeDetail = () =>
      updates.flatMap((update) => update.detail?.entries ?? []).find((entry) => entry.kind === 'transition' && entry.event === 'HANDSHAKE_REQUEST');
    const detailDeadline = Date.now() + 3000;
    while (handshakeDetail() === undefined && Date.now() < detailDeadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((handshakeDetail() as { detail?: Record<string, unknown> } | undefined)?.detail).to.include({ originNotAllowed: true });
  });

  it('maxConnections: 503 with Retry-After over the limit, and 101 again once a connection closed', async () => {
    const { server, port } = await serve({ maxConnections: 2 });
    const held = [await request(port, upgradeWith('')), await request(port, upgradeWith(''))];
    expect(held.map(statusOf)).to.deep.equal([101, 101]);
    const refused = await request(port, upgradeWith(''));
    expect(statusOf(refused)).to.equal(503);
    expect(refused.received.toString('latin1')).to.match(/\r\nRetry-After: \d+\r\n/);
    await refused.waitFor(() => refused.serverEnded);
    expect(server.connections.size).to.equal(2);
    held[0]!.socket.destroy();
    const deadline = Date.now() + 3000;
    while (server.connections.size > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(statusOf(await request(port, upgradeWith('')))).to.equal(101);
  });

  it('maxHeaderCount: 431 for one header field over the limit, 101 at the limit', async () => {
    const { port } = await serve({ maxHeaderCount: 10 });
    // UPGRADE_REQUEST has 5 header fields.
    const fields = (count: number) => Array.from({ length: count }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
    expect(statusOf(await request(port, upgradeWith(fields(5))))).to.equal(101);
    const refused = await request(port, upgradeWith(fields(6)));
    expect(statusOf(refused)).to.equal(431);
    await refused.waitFor(() => refused.serverEnded);
  });

  it('maxHeaderCount: counts every field, also those Node drops past its maxHeadersCount (2000)', async () => {
    // Bytes are no limit here (1 MiB, for Node and statesocket alike): only the count is.
    const shared = await sharedServer({ maxHeaderSize: 1024 * 1024 });
    shared.maxHeadersCount = 2000;
    const server = new WebSocketServer({ server: shared, maxHeaderCount: 2000, maxHeaderBytes: 1024 * 1024 });
    servers.push(server);
    const port = (shared.address() as AddressInfo).port;
    const many = Array.from({ length: 2001 }, (_, i) => `X-${i}: a\r\n`).join('');
    const refused = await request(port, upgradeWith(many));
    expect(statusOf(refused)).to.equal(431);
  });

  it('maxHeaderBytes: Node answers 431 itself for a request head over it (statesocket\'s own HTTP server)', async () => {
    const { port } = await serve({ maxHeaderBytes: 4096 });
    const refused = await request(port, upgradeWith(`X-Big: ${'a'.repeat(5000)}\r\n`));
    expect(statusOf(refused)).to.equal(431);
    await refused.waitFor(() => refused.serverEnded);
  });

  it('maxHeaderBytes: 431 from the connection machine on a shared server that lets the head through', async () => {
    const shared = await sharedServer({ maxHeaderSize: 64 * 1024 });
    const server = new WebSocketServer({ server: shared, maxHeaderBytes: 4096 });
    servers.push(server);
    const port = (shared.address() as AddressInfo).port;
    const refused = await request(port, upgradeWith(`X-Big: ${'a'.repeat(5000)}\r\n`));
    expect(statusOf(refused)).to.equal(431);
    expect(statusOf(await request(port, upgradeWith(`X-Small: ${'a'.repeat(1000)}\r\n`)))).to.equal(101);
  });

  it('answers quickly to many and long header fields (CVE-2024-37890, CVE-2021-32640)', async () => {
    const shared = await sharedServer({ maxHeaderSize: 1024 * 1024 });
    const server = new WebSocketServer({ server: shared, maxHeaderCount: 100_000, maxHeaderBytes: 1024 * 1024 });
    servers.push(server);
    const port = (shared.address() as AddressInfo).port;
    // ws 8.17.0 crashed on more header fields than Node keeps; ws 7.4.6 took seconds to match a
    // Sec-WebSocket-Protocol of many spaces. Each must be answered (a status, no crash) at once.
    const started = Date.now();
    const many = await request(port, upgradeWith(Array.from({ length: 5000 }, (_, i) => `X-${i}: a\r\n`).join('')));
    const spaces = await request(port, upgradeWith(`Sec-WebSocket-Protocol: a${' '.repeat(60_000)}b\r\n`));
    const extensions = await request(port, upgradeWith(`Sec-WebSocket-Extensions: permessage-deflate;${' ;'.repeat(30_000)}\r\n`));
    expect(Date.now() - started).to.be.below(2000);
    expect(statusOf(many)).to.equal(101);
    expect(statusOf(spaces)).to.equal(400);
    expect(statusOf(extensions)).to.equal(101);
  });

  it('HANDSHAKE_TIMEOUT: an asynchronous verifyClient that never answers gets 503 and the socket closed', async () => {
    const { port } = await serve({ handshakeTimeoutMs: 200, verifyClient: (_info, _callback) => {} });
    const started = Date.now();
    const client = await request(port, upgradeWith(''));
    expect(statusOf(client)).to.equal(503);
    await client.waitFor(() => client.serverEnded);
    expect(Date.now() - started).to.be.within(150, 2000);
  });

  it('HANDSHAKE_TIMEOUT: an answer after the timeout changes nothing; one in time opens', async () => {
    const answers: Array<(result: boolean) => void> = [];
    const { server, port } = await serve({ handshakeTimeoutMs: 200, verifyClient: (_info, callback) => void answers.push(callback) });
    const late = await request(port, upgradeWith(''));
    expect(statusOf(late)).to.equal(503);
    answers.shift()!(true);
    await late.waitFor(() => late.serverEnded);
    expect(server.connections.size).to.equal(0);
    const client = new RawTcpClient(port);
    clients.push(client);
    client.socket.write(upgradeWith(''));
    while (answers.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    answers.shift()!(true);
    await client.waitFor(() => statusOf(client) !== undefined);
    expect(statusOf(client)).to.equal(101);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.isClosed, 'no HANDSHAKE_TIMEOUT once decided').to.equal(false);
    expect(server.connections.size).to.equal(1);
  });
});
