/**
 * The ws-compatible server API over real TCP: the three ways to run (`port`, `server`, `noServer`),
 * the application's hooks on the opening handshake (`path`, `verifyClient`, `handleProtocols`,
 * `headers`, `wsClientError`), subprotocols (RFC 6455 §4.2.2 item 5.4), `close(cb)`, and what a
 * connection promises: nothing pipelined after the handshake is lost, the Close reason is echoed,
 * nothing is sent after a Close, and a closing connection never throws on `send`.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { WebSocketServer, type ServerOptions } from '../src/server.js';
import { WebSocketConnection } from '../src/websocket-connection.js';
import { clientFrame, closeBody } from './client-frame.js';
import { RawClient, UPGRADE_REQUEST } from './raw-client.js';

/** The upgrade request with these header lines added (e.g. `Sec-WebSocket-Protocol: chat`). */
function upgradeWith(...lines: string[]): string {
  return UPGRADE_REQUEST.replace('\r\n\r\n', `\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}\r\n`);
}

/** The whole HTTP response to `request` (the server closes after a refusal). */
async function exchange(port: number, request: string): Promise<string> {
  const client = new RawClient(port);
  client.socket.write(request);
  await client.closed;
  return client.received.toString();
}

/** The response head of an accepted handshake. */
async function acceptedHead(port: number, request: string): Promise<{ client: RawClient; head: string }> {
  const client = new RawClient(port);
  client.socket.write(request);
  await client.waitFor(() => client.received.includes('\r\n\r\n'));
  const end = client.received.indexOf('\r\n\r\n');
  const head = client.received.subarray(0, end).toString();
  client.received = client.received.subarray(end + 4);
  return { client, head };
}

describe('WebSocketServer: the ws 8 server API', () => {
  const servers: WebSocketServer[] = [];
  const httpServers: Server[] = [];
  const clients: RawClient[] = [];
  /** A server listening on 127.0.0.1 and a free port. */
  const listen = async (options: Omit<ServerOptions, 'port'> = {}) => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    servers.push(server);
    const { port } = await server.listen();
    return { server, port };
  };
  const raw = (port: number) => {
    const client = new RawClient(port);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await Promise.all(servers.splice(0).map((server) => server.shutdown(1001, '', 100)));
    for (const server of httpServers.splice(0)) server.closeAllConnections(), server.close();
  });

  describe('construction and listening', () => {
    it('with `port`, listens by itself: `listening`, the callback, address() and listen() agree', async () => {
      let called = false;
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => (called = true));
      servers.push(server);
      await once(server, 'listening');
      expect(called).to.equal(true);
      const { port } = server.address() as AddressInfo;
      expect(port).to.be.greaterThan(0);
      expect(await server.listen()).to.deep.equal({ host: '127.0.0.1', port, url: `ws://127.0.0.1:${port}` });
    });

    it('throws TypeError unless exactly one of port, server, noServer is given', () => {
      expect(() => new WebSocketServer({})).to.throw(TypeError, /One and only one/);
      expect(() => new WebSocketServer({ port: 0, noServer: true })).to.throw(TypeError);
    });

    it('rejects listen() with EADDRINUSE and emits no unhandled error', async () => {
      const { port } = await listen();
      const second = new WebSocketServer({ port, host: '127.0.0.1' });
      const error = await second.listen().then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(error?.code).to.equal('EADDRINUSE');
      await new Promise((resolve) => setTimeout(resolve, 20));
    });

    it('emits EADDRINUSE as `error` to a listener, as ws does, when listen() is not awaited', async () => {
      const { port } = await listen();
      const second = new WebSocketServer({ port, host: '127.0.0.1' });
      const [error] = (await once(second, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).to.equal('EADDRINUSE');
    });

    it('in noServer mode, address() and listen() refuse', async () => {
      const server = new WebSocketServer({ noServer: true });
      expect(() => server.address()).to.throw(/noServer/);
      const error = await server.listen().catch((e: Error) => e);
      expect(String(error)).to.match(/noServer/);
    });
  });

  describe('sharing an HTTP server', () => {
    it('with `server`, leaves plain requests to the application and upgrades the rest', async () => {
      const http = createServer((_request, response) => response.end('application page'));
      httpServers.push(http);
      const server = new WebSocketServer({ server: http });
      servers.push(server);
      let applicationErrors = 0;
      http.on('clientError', () => applicationErrors++);
      http.listen(0, '127.0.0.1');
      const { port } = await server.listen();
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.equal('application page');
      const { head } = await acceptedHead(port, UPGRADE_REQUEST);
      expect(head).to.match(/^HTTP\/1\.1 101 /);
      expect(applicationErrors).to.equal(0);
    });

    it('with noServer, handleUpgrade opens a connection for the application to emit', async () => {
      const http = createServer();
      httpServers.push(http);
      const server = new WebSocketServer({ noServer: true });
      const opened: WebSocketConnection[] = [];
      http.on('upgrade', (request: IncomingMessage, socket, head) =>
        server.handleUpgrade(request, socket, head, (connection) => opened.push(connection)),
      );
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      const { client, head } = await acceptedHead((http.address() as AddressInfo).port, UPGRADE_REQUEST);
      clients.push(client);
      expect(head).to.match(/^HTTP\/1\.1 101 /);
      expect(opened).to.have.length(1);
      expect(server.clients?.has(opened[0]!)).to.equal(true);
      opened[0]!.terminate();
    });

    it('refuses a request for another `path` with 400 and a body naming it', async () => {
      const { port } = await listen({ path: '/live' });
      const response = await exchange(port, UPGRADE_REQUEST);
      expect(response).to.match(/^HTTP\/1\.1 400 /);
      expect(response).to.include('no WebSocket endpoint at /chat');
      const { head } = await acceptedHead(port, UPGRADE_REQUEST.replace('GET /chat', 'GET /live?x=1'));
      expect(head).to.match(/^HTTP\/1\.1 101 /);
    });
  });

  describe('verifyClient', () => {
    it('a synchronous false refuses with 401', async () => {
      const { port } = await listen({ verifyClient: (info) => info.req.url === '/ok' });
      expect(await exchange(port, UPGRADE_REQUEST)).to.match(/^HTTP\/1\.1 401 /);
      expect((await acceptedHead(port, UPGRADE_REQUEST.replace('/chat', '/ok'))).head).to.match(/^HTTP\/1\.1 101 /);
    });

    it('an asynchronous refusal answers with its code, message and headers', async () => {
      const { port } = await listen({
        verifyClient: (_info, callback) => void setTimeout(() => callback(false, 403, 'token expired', { 'X-Reason': 'expired' }), 5),
      });
      const response = await exchange(port, UPGRADE_REQUEST);
      expect(response).to.match(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(response).to.include('X-Reason: expired');
      expect(response.endsWith('token expired\n')).to.equal(true);
    });

    it('is not asked about a request the protocol refuses anyway', async () => {
      let asked = 0;
      const { port } = await listen({ verifyClient: () => (asked++, true) });
      expect(await exchange(port, UPGRADE_REQUEST.replace('Version: 13', 'Version: 8'))).to.match(/^HTTP\/1\.1 426 /);
      expect(asked).to.equal(0);
    });
  });

  describe('subprotocols (RFC 6455 §4.2.2 item 5.4)', () => {
    it('chooses none without handleProtocols: no Sec-WebSocket-Protocol in the 101', async () => {
      const { port, server } = await listen();
      const connected = once(server, 'connection');
      const { head } = await acceptedHead(port, upgradeWith('Sec-WebSocket-Protocol: chat.v1'));
      expect(head).to.match(/^HTTP\/1\.1 101 /);
      expect(head.toLowerCase()).not.to.include('sec-websocket-protocol');
      const [connection] = (await connected) as [WebSocketConnection];
      expect(connection.protocol).to.equal('');
    });

    it('answers with the one handleProtocols chose, from the offered set in the client order', async () => {
      let offered: string[] = [];
      const { port, server } = await listen({
        handleProtocols: (protocols) => ((offered = [...protocols]), 'chat.v1'),
      });
      const connected = once(server, 'connection');
      const { head } = await acceptedHead(port, upgradeWith('Sec-WebSocket-Protocol: chat.v2, chat.v1', 'Sec-WebSocket-Protocol: mqtt'));
      expect(offered).to.deep.equal(['chat.v2', 'chat.v1', 'mqtt']);
      expect(head).to.include('\r\nSec-WebSocket-Protocol: chat.v1');
      const [connection] = (await connected) as [WebSocketConnection];
      expect(connection.protocol).to.equal('chat.v1');
      expect(connection.machineStates.connection).to.equal('open');
    });

    it('refuses with 500 when handleProtocols returns one the client did not offer (a server bug)', async () => {
      const { port } = await listen({ handleProtocols: () => 'graphql-ws' });
      const response = await exchange(port, upgradeWith('Sec-WebSocket-Protocol: chat.v1'));
      expect(response).to.match(/^HTTP\/1\.1 500 /);
      expect(response).to.include('handleProtocols chose "graphql-ws", which the client did not offer');
    });

    for (const value of ['chat.v1,,chat.v2', 'chat v1', 'chat.v1, chat.v1', '']) {
      it(`refuses a malformed list (${JSON.stringify(value)}) with 400 and a body naming the header`, async () => {
        const { port } = await listen({ handleProtocols: () => 'chat.v1' });
        const response = await exchange(port, upgradeWith(`Sec-WebSocket-Protocol: ${value}`));
        expect(response).to.match(/^HTTP\/1\.1 400 /);
        expect(response).to.include('Sec-WebSocket-Protocol is not a list of unique tokens');
      });
    }

    it('lets the ws client and a browser-style offer agree', async () => {
      const { port } = await listen({ handleProtocols: (protocols) => (protocols.has('b') ? 'b' : false) });
      const client = new WebSocket(`ws://127.0.0.1:${port}`, ['a', 'b']);
      await once(client, 'open');
      expect(client.protocol).to.equal('b');
      client.terminate();
    });
  });

  describe('handshake events', () => {
    it('`headers` may add to the 101 response', async () => {
      const { port, server } = await listen();
      server.on('headers', (headers, request) => headers.push(`X-Path: ${request.url}`));
      const { head } = await acceptedHead(port, UPGRADE_REQUEST);
      expect(head.split('\r\n').at(-1)).to.equal('X-Path: /chat');
    });

    it('`wsClientError` gets a refused handshake and its socket to answer', async () => {
      const { port, server } = await listen();
      server.on('wsClientError', (error, socket) => socket.end(`HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\n\r\n${error.message}`));
      const response = await exchange(port, UPGRADE_REQUEST.replace('Version: 13', 'Version: 8'));
      expect(response).to.match(/^HTTP\/1\.1 418 /);
      expect(response).to.include('Sec-WebSocket-Version: 8 is not supported; this server speaks 13');
    });

    it('names the reason of a refusal in the body (426 for a version it does not speak)', async () => {
      const { port } = await listen();
      const response = await exchange(port, UPGRADE_REQUEST.replace('Version: 13', 'Version: 8'));
      expect(response).to.match(/^HTTP\/1\.1 426 /);
      expect(response).to.include('Sec-WebSocket-Version: 13');
      expect(response.endsWith('Sec-WebSocket-Version: 8 is not supported; this server speaks 13\n')).to.equal(true);
    });
  });

  describe('close(cb)', () => {
    it('with `port`: stops accepting, emits `close` once the last connection ends, and a second close() errs', async () => {
      const { port, server } = await listen();
      const client = raw(port);
      await client.upgrade();
      let closed = false;
      server.close(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(closed, 'an open connection keeps the server from closing').to.equal(false);
      client.socket.destroy();
      await client.waitFor(() => closed);
      const error = await new Promise<Error | undefined>((resolve) => server.close(resolve));
      expect(error?.message).to.equal('The server is not running');
    });

    it('with noServer: refuses handshakes with 503 while closing, and emits `close` after the last client', async () => {
      const http = createServer();
      httpServers.push(http);
      const server = new WebSocketServer({ noServer: true });
      const opened: WebSocketConnection[] = [];
      http.on('upgrade', (request: IncomingMessage, socket, head) => server.handleUpgrade(request, socket, head, (c) => opened.push(c)));
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      const port = (http.address() as AddressInfo).port;
      clients.push((await acceptedHead(port, UPGRADE_REQUEST)).client);
      let closed = false;
      server.close(() => (closed = true));
      expect(await exchange(port, UPGRADE_REQUEST)).to.match(/^HTTP\/1\.1 503 /);
      expect(closed).to.equal(false);
      opened[0]!.terminate();
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(closed).to.equal(true);
    });

    it('without clientTracking, has no `clients`', async () => {
      const { server } = await listen({ clientTracking: false });
      expect(server.clients).to.equal(undefined);
    });
  });
});

describe('WebSocketConnection: the ws 8 WebSocket API on the server side', () => {
  let server: WebSocketServer;
  let port: number;
  let client: RawClient;
  /** A server whose `connection` handler is `onConnection`, and an upgraded raw client. */
  const open = async (onConnection: (connection: WebSocketConnection) => void, options: Omit<ServerOptions, 'port'> = {}) => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    server.on('connection', onConnection);
    port = (await server.listen()).port;
    client = new RawClient(port, { allowHalfOpen: true });
  };
  afterEach(async () => {
    client?.socket.destroy();
    await server?.shutdown(1001, '', 100);
  });

  it('delivers frames sent in the same TCP packet as the handshake once `connection` listeners are attached', async () => {
    const messages: string[] = [];
    await open((connection) => connection.on('message', (data) => messages.push(String(data))));
    client.socket.write(Buffer.concat([Buffer.from(UPGRADE_REQUEST), clientFrame(0x1, 'first'), clientFrame(0x1, 'second')]));
    await client.waitFor(() => messages.length === 2);
    expect(messages).to.deep.equal(['first', 'second']);
  });

  it('echoes the Close code and reason (RFC 6455 §5.5.1) and reports them with the reason as a Buffer', async () => {
    let closed: [number, Buffer] | undefined;
    await open((connection) => connection.on('close', (code, reason) => (closed = [code, reason])));
    await client.upgrade();
    client.socket.write(clientFrame(0x8, closeBody(4000, 'bye')));
    await client.waitFor(() => client.received.length >= 7);
    expect(client.received.subarray(0, 7).toString('hex')).to.equal('88050fa0627965');
    client.socket.end();
    await client.waitFor(() => closed !== undefined);
    expect(closed![0]).to.equal(4000);
    expect(Buffer.isBuffer(closed![1])).to.equal(true);
    expect(closed![1].toString()).to.equal('bye');
  });

  it('has a numeric readyState, with the constants on the class and the instance', async () => {
    const states: number[] = [];
    await open((connection) => {
      states.push(connection.readyState);
      expect(connection.readyStateName).to.equal('open');
      connection.on('close', () => states.push(connection.readyState));
    });
    await client.upgrade();
    client.socket.destroy();
    await client.waitFor(() => states.length === 2);
    expect(states).to.deep.equal([WebSocketConnection.OPEN, WebSocketConnection.CLOSED]);
    expect([WebSocketConnection.CONNECTING, WebSocketConnection.OPEN, WebSocketConnection.CLOSING, WebSocketConnection.CLOSED]).to.deep.equal([0, 1, 2, 3]);
  });

  it('after close() from a timer: CLOSING at once, and send() calls back with an error instead of throwing or sending', async () => {
    const outcome: { state?: number; error?: Error | null; threw?: unknown } = {};
    await open((connection) =>
      setTimeout(() => {
        connection.close(1000, 'done');
        outcome.state = connection.readyState;
        try {
          connection.send('too late', (error) => (outcome.error = error));
        } catch (error) {
          outcome.threw = error;
        }
      }, 5),
    );
    await client.upgrade();
    await client.waitFor(() => outcome.error !== undefined);
    expect(outcome.threw).to.equal(undefined);
    expect(outcome.state).to.equal(WebSocketConnection.CLOSING);
    expect(outcome.error?.message).to.equal('WebSocket is not open: readyState 2 (CLOSING)');
    expect(client.received.toString('hex')).to.equal('880603e8646f6e65');
  });

  it('after close() inside a message handler: CLOSING at once, and no data frame follows the Close (§5.5.1)', async () => {
    const outcome: { state?: number; error?: Error | null } = {};
    await open((connection) =>
      connection.on('message', () => {
        connection.close(4001, 'enough');
        outcome.state = connection.readyState;
        connection.send('after the close', (error) => (outcome.error = error));
      }),
    );
    await client.upgrade();
    client.socket.write(clientFrame(0x1, 'hi'));
    await client.waitFor(() => outcome.error !== undefined && client.received.length >= 10);
    expect(outcome.state).to.equal(WebSocketConnection.CLOSING);
    expect(outcome.error).to.be.instanceOf(Error);
    // Only the Close frame: 4001 "enough".
    expect(client.received.toString('hex')).to.equal('88080fa1656e6f756768');
  });

  it('calls a send callback once the message is written', async () => {
    let written: Error | null | undefined;
    await open((connection) => connection.send('hello', { binary: false }, (error) => (written = error ?? null)));
    await client.upgrade();
    await client.waitFor(() => written !== undefined);
    expect(written).to.equal(null);
    await client.waitFor(() => client.received.length >= 7);
    expect(client.received.subarray(0, 7).toString('hex')).to.equal('810568656c6c6f');
  });

  it('delivers messages as binaryType asks: ArrayBuffer or an array of Buffers', async () => {
    const seen: unknown[] = [];
    await open((connection) => {
      connection.binaryType = 'arraybuffer';
      connection.on('message', (data) => {
        seen.push(data);
        connection.binaryType = 'fragments';
      });
    });
    await client.upgrade();
    client.socket.write(Buffer.concat([clientFrame(0x2, Buffer.from([1, 2, 3])), clientFrame(0x2, Buffer.from([4]))]));
    await client.waitFor(() => seen.length === 2);
    expect(seen[0]).to.be.instanceOf(ArrayBuffer);
    expect([...new Uint8Array(seen[0] as ArrayBuffer)]).to.deep.equal([1, 2, 3]);
    expect(Array.isArray(seen[1])).to.equal(true);
    expect([...(seen[1] as Buffer[])[0]!]).to.deep.equal([4]);
  });

  it('pause() holds messages back until resume()', async () => {
    const messages: string[] = [];
    let connection: WebSocketConnection | undefined;
    await open((opened) => {
      connection = opened;
      opened.pause();
      opened.on('message', (data) => messages.push(String(data)));
    });
    await client.upgrade();
    client.socket.write(clientFrame(0x1, 'held'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connection!.isPaused).to.equal(true);
    expect(messages).to.deep.equal([]);
    connection!.resume();
    await client.waitFor(() => messages.length === 1);
    expect(connection!.isPaused).to.equal(false);
  });

  it('sends a Ping and an unsolicited Pong, calling back when written', async () => {
    let callbacks = 0;
    await open((connection) => {
      connection.ping('p', false, () => callbacks++);
      connection.pong(Buffer.from('q'), undefined, () => callbacks++);
    });
    await client.upgrade();
    await client.waitFor(() => client.received.length >= 6 && callbacks === 2);
    expect(client.received.toString('hex')).to.equal('8901708a0171');
  });

  it('reports the agreed extension and the machine state', async () => {
    let extensions: string | undefined;
    await open((connection) => (extensions = connection.extensions), { perMessageDeflate: true });
    client.socket.write(upgradeWith('Sec-WebSocket-Extensions: permessage-deflate'));
    await client.waitFor(() => extensions !== undefined);
    expect(extensions).to.equal('permessage-deflate');
  });
});
