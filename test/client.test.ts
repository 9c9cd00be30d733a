/**
 * The client over TCP: against statesocket's own server, against ws 8's server, over TLS, with
 * permessage-deflate; and the client's side of RFC 6455 §5.1 (masking), §5.3 (fresh keys) and
 * §7.1.1 (the server closes TCP first; the client waits, within its close timeout).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer, startEchoServer, type ProtocolError, type RawData } from '../src/index.js';
import { rawServer, readClientFrames, serverFrame, switchingProtocols, type RawServer } from './raw-server.js';
import { testCertificate } from './tls-certificate.js';
import { InspectorFeed } from '../src/inspector/inspector-feed.js';

function closeOf(client: WebSocket): Promise<[number, Buffer]> {
  return new Promise((resolve) => client.once('close', (code, reason) => resolve([code, reason])));
}

function opened(client: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
  });
}

function nextMessage(client: WebSocket): Promise<[RawData, boolean]> {
  return new Promise((resolve) => client.once('message', (data, isBinary) => resolve([data, isBinary])));
}

/** Echoes text and binary, and closes the closing handshake as a server does. */
async function exchange(client: WebSocket): Promise<void> {
  await opened(client);
  client.send('hello');
  const [text, textIsBinary] = await nextMessage(client);
  expect(text.toString()).to.equal('hello');
  expect(textIsBinary).to.equal(false);
  const big = Buffer.alloc(200_000, 7);
  client.send(big);
  const [binary, isBinary] = await nextMessage(client);
  expect(Buffer.compare(binary as Buffer, big)).to.equal(0);
  expect(isBinary).to.equal(true);
  const pong = new Promise<Buffer>((resolve) => client.once('pong', resolve));
  client.ping('are you there');
  expect((await pong).toString()).to.equal('are you there');
  client.close(1000, 'done');
  expect(client.readyState).to.equal(WebSocket.CLOSING);
  const [code, reason] = await closeOf(client);
  expect([code, reason.toString()]).to.deep.equal([1000, 'done']);
  expect(client.readyState).to.equal(WebSocket.CLOSED);
}

describe('the client over TCP', () => {
  describe("against statesocket's own server", () => {
    it('opens, echoes text and binary, pings, and closes with 1000', async () => {
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
      try {
        const client = new WebSocket(`ws://127.0.0.1:${echo.port}/echo`);
        await exchange(client);
        expect(client.extensions).to.equal('permessage-deflate');
      } finally {
        await echo.close();
      }
    });

    it('is the same class as the server side connection (one class, two roles)', async () => {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await once(server, 'listening');
      try {
        const serverSide = once(server, 'connection');
        const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`);
        const [connection] = await serverSide;
        expect(connection).to.be.instanceOf(WebSocket);
        expect(client).to.be.instanceOf(WebSocket);
        await opened(client);
        client.terminate();
        await closeOf(client);
      } finally {
        server.close();
      }
    });
  });

  describe('inspected (the inspector hooks onTransition and onFrame)', () => {
    it("records a client's connection with its role, its client-role states and its frames", async () => {
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
      const feed = new InspectorFeed({ flushIntervalMs: 10 });
      try {
        const client = new WebSocket(`ws://127.0.0.1:${echo.port}/inspected`, undefined, { onTransition: feed.onTransition, onFrame: feed.onFrame });
        await opened(client);
        client.send('hi');
        await nextMessage(client);
        const [id] = feed.connectionIds.live;
        const summary = feed.summaryOf(id!)!;
        expect(summary).to.deep.include({ role: 'client', path: '/inspected', remoteAddress: `127.0.0.1:${echo.port}` });
        expect(summary.states).to.deep.equal(['open', 'awaitingMessage', 'client.open']);
        expect([summary.framesIn, summary.framesOut, summary.messagesIn]).to.deep.equal([1, 1, 1]);
        client.close();
        await closeOf(client);
        expect(feed.summaryOf(id!)!.states).to.deep.equal(['closed', 'awaitingMessage', 'client.closed']);
      } finally {
        await echo.close();
      }
    });
  });

  describe("against ws 8's server", () => {
    let wss: WsServer;
    let port: number;
    before(async () => {
      wss = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 }, handleProtocols: (protocols) => [...protocols].at(-1) ?? false });
      wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
      await once(wss, 'listening');
      port = (wss.address() as { port: number }).port;
    });
    after(() => wss.close());

    it('opens with the subprotocol ws chose, echoes compressed messages, and closes with 1000', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, ['chat.v2', 'chat.v1']);
      const protocol = new Promise<string>((resolve) => client.once('open', () => resolve(client.protocol)));
      const extensions = new Promise<string>((resolve) => client.once('open', () => resolve(client.extensions)));
      await exchange(client);
      expect(await protocol).to.equal('chat.v1');
      expect(await extensions).to.equal('permessage-deflate');
    });

    for (const offer of [
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      { serverMaxWindowBits: 10, clientMaxWindowBits: 11 },
      { clientMaxWindowBits: false as const, level: 9, memLevel: 9, threshold: 0 },
    ]) {
      it(`agrees on permessage-deflate with ${JSON.stringify(offer)} and exchanges compressed messages`, async () => {
        const agreed = once(wss, 'connection');
        const client = new WebSocket(`ws://127.0.0.1:${port}/`, undefined, { perMessageDeflate: offer });
        const [, request] = await agreed;
        const header = (request as { headers: Record<string, string> }).headers['sec-websocket-extensions']!;
        if (offer.serverNoContextTakeover) expect(header).to.include('server_no_context_takeover');
        if (offer.serverMaxWindowBits) expect(header).to.include('server_max_window_bits=10');
        if (offer.clientMaxWindowBits === 11) expect(header).to.include('client_max_window_bits=11');
        if (offer.clientMaxWindowBits === false) expect(header).to.equal('permessage-deflate');
        await opened(client);
        for (let i = 0; i < 3; i++) {
          const text = `message ${i} `.repeat(200);
          client.send(text);
          const [echoed] = await nextMessage(client);
          expect(echoed.toString()).to.equal(text);
        }
        client.close();
        expect((await closeOf(client))[0]).to.equal(1000);
      });
    }
  });

  describe('over TLS (wss://)', () => {
    it('connects with the test certificate as ca, and echoes', async () => {
      const { cert, key } = testCertificate();
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0, tls: { cert, key } });
      try {
        const client = new WebSocket(`wss://localhost:${echo.port}/`, undefined, { ca: cert });
        await exchange(client);
      } finally {
        await echo.close();
      }
    });

    it('fails with WS_ERR_CONNECTION_FAILED and 1006 when the certificate is not trusted', async () => {
      const { cert, key } = testCertificate();
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0, tls: { cert, key } });
      try {
        const client = new WebSocket(`wss://localhost:${echo.port}/`);
        const errors: ProtocolError[] = [];
        client.on('error', (error) => errors.push(error));
        expect((await closeOf(client))[0]).to.equal(1006);
        expect(errors.map((error) => error.code)).to.deep.equal(['WS_ERR_CONNECTION_FAILED']);
      } finally {
        await echo.close();
      }
    });
  });

  describe('masking (RFC 6455 §5.1, §5.3)', () => {
    let server: RawServer;
    beforeEach(async () => (server = await rawServer((request) => switchingProtocols(request.key))));
    afterEach(() => server.close());

    it('masks every frame it sends, each with a fresh key, and leaves the caller\'s bytes unchanged', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false });
      const peer = await server.nextPeer();
      await opened(client);
      const data = Buffer.from('unchanged');
      for (let i = 0; i < 50; i++) client.send(data);
      client.send(Buffer.alloc(70_000, 1));
      client.ping('p');
      client.pong('q');
      client.close(1000);
      const bytes = await peer.receivedAtLeast(50 * (6 + 9) + 70_000 + 14 + 6 + 1 + 6 + 1 + 6 + 2);
      const frames = readClientFrames(bytes);
      expect(frames.map((frame) => frame.opcode)).to.deep.equal([...Array(50).fill(0x2), 0x2, 0x9, 0xa, 0x8]);
      expect(frames.every((frame) => frame.masked)).to.equal(true);
      expect(new Set(frames.map((frame) => frame.maskKey.toString('hex'))).size).to.equal(frames.length);
      expect(frames[0]!.payload.toString()).to.equal('unchanged');
      expect(frames[50]!.payload.equals(Buffer.alloc(70_000, 1))).to.equal(true);
      expect(frames[53]!.payload.readUInt16BE(0)).to.equal(1000);
      expect(data.toString()).to.equal('unchanged');
      peer.socket.destroy();
      await closeOf(client);
    });

    it('fails with 1002 (WS_ERR_UNEXPECTED_MASK) on a masked frame from the server', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false });
      const errors: ProtocolError[] = [];
      client.on('error', (error) => errors.push(error));
      const peer = await server.nextPeer();
      await opened(client);
      peer.socket.write(serverFrame(0x1, 'masked', { mask: Buffer.from([1, 2, 3, 4]) }));
      const bytes = await peer.receivedAtLeast(8);
      const [close] = readClientFrames(bytes);
      expect(close!.opcode).to.equal(0x8);
      expect(close!.payload.readUInt16BE(0)).to.equal(1002);
      expect(errors.map((error) => [error.code, error.closeCode])).to.deep.equal([['WS_ERR_UNEXPECTED_MASK', 1002]]);
      // §7.1.1: having failed, the client still waits for the server to close TCP.
      expect(client.machineStates.closingHandshake).to.equal('client.failed');
      peer.socket.end();
      expect((await closeOf(client))[0]).to.equal(1006);
    });

    it('fails with 1009 (WS_ERR_MESSAGE_TOO_BIG) on a message over maxPayload', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false, maxPayload: 100 });
      const errors: ProtocolError[] = [];
      client.on('error', (error) => errors.push(error));
      const peer = await server.nextPeer();
      await opened(client);
      peer.socket.write(serverFrame(0x2, Buffer.alloc(101)));
      const [close] = readClientFrames(await peer.receivedAtLeast(8));
      expect(close!.payload.readUInt16BE(0)).to.equal(1009);
      expect(errors.map((error) => error.code)).to.deep.equal(['WS_ERR_MESSAGE_TOO_BIG']);
      peer.socket.end();
      expect((await closeOf(client))[0]).to.equal(1006);
    });

    it('reads unmasked frames in any chunking, one byte at a time included', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false });
      const peer = await server.nextPeer();
      await opened(client);
      const messages: string[] = [];
      client.on('message', (data) => messages.push(data.toString()));
      const bytes = Buffer.concat([serverFrame(0x1, 'one'), serverFrame(0x1, 'tw', { fin: false }), serverFrame(0x9, ''), serverFrame(0x0, 'o'), serverFrame(0x2, Buffer.alloc(300, 65))]);
      for (const byte of bytes) {
        peer.socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(messages).to.deep.equal(['one', 'two', 'A'.repeat(300)]);
      client.terminate();
    });
  });

  describe('closing (RFC 6455 §7.1.1: the server closes TCP first)', () => {
    let server: RawServer;
    beforeEach(async () => (server = await rawServer((request) => switchingProtocols(request.key))));
    afterEach(() => server.close());

    it('answers the server\'s Close and waits for the server to close TCP, without ending it first', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false });
      const peer = await server.nextPeer();
      await opened(client);
      let clientEnded = false;
      void peer.ended.then(() => (clientEnded = true));
      peer.socket.write(serverFrame(0x8, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65])));
      const [echo] = readClientFrames(await peer.receivedAtLeast(6 + 5));
      expect(echo!.payload.readUInt16BE(0)).to.equal(1000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(clientEnded, 'the client must not end TCP before the server').to.equal(false);
      expect(client.machineStates.closingHandshake).to.equal('client.awaitingServerClose');
      peer.socket.end();
      const [code, reason] = await closeOf(client);
      expect([code, reason.toString()]).to.deep.equal([1000, 'bye']);
      // The client answers the server's FIN with its own (a test timeout if it never does).
      await peer.ended;
    });

    it('drops TCP itself once closeTimeoutMs passes without the server closing it, still reporting the Close received', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false, closeTimeoutMs: 150 });
      const peer = await server.nextPeer();
      await opened(client);
      const started = performance.now();
      client.close(4000, 'bye');
      await peer.receivedAtLeast(6 + 5);
      peer.socket.write(serverFrame(0x8, Buffer.from([0x0f, 0xa0])));
      const [code] = await closeOf(client);
      expect(code).to.equal(4000);
      expect(performance.now() - started).to.be.within(140, 2000);
      await peer.closed;
    });

    it('drops TCP once closeTimeoutMs passes without the server\'s Close: 1006', async () => {
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false, closeTimeoutMs: 150 });
      const peer = await server.nextPeer();
      await opened(client);
      client.close();
      expect((await closeOf(client))[0]).to.equal(1006);
      await peer.closed;
    });
  });
});
