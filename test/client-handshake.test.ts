/**
 * RFC 6455 §4.1, the client's opening handshake: what the client sends, and each way the
 * server's response can fail it. A response that fails a check of §4.1 "_Fail[s] the WebSocket
 * Connection_": no Close frame (the connection never opened), TCP dropped, `error` with the named
 * code and `close` 1006.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { WebSocket, type ClientOptions, type ProtocolError } from '../src/index.js';
import { rawServer, switchingProtocols, type RawServer } from './raw-server.js';
import { secWebSocketAccept } from '../src/opening-handshake.js';

/** The `close` event's arguments (events.once would reject on the `error` that comes first). */
function closeOf(client: WebSocket): Promise<[number, Buffer]> {
  return new Promise((resolve) => client.once('close', (code, reason) => resolve([code, reason])));
}

interface Outcome {
  errors: ProtocolError[];
  code: number;
  opened: boolean;
  connectionState: string;
}

/** Connects, and resolves when the client closed. */
async function outcomeOf(server: RawServer, protocols?: string | string[], options: ClientOptions = {}): Promise<Outcome> {
  const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, protocols, options);
  const errors: ProtocolError[] = [];
  let opened = false;
  client.on('error', (error) => errors.push(error));
  client.on('open', () => (opened = true));
  const [code] = await closeOf(client);
  return { errors, code, opened, connectionState: client.machineStates.connection };
}

function respondWith(build: (key: string) => string): Promise<RawServer> {
  return rawServer((request) => build(request.key));
}

describe('the client opening handshake (RFC 6455 §4.1)', () => {
  let server: RawServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('the request', () => {
    it('sends GET with Upgrade, Connection, a 16-byte key, version 13, the path and query, and the offers', async () => {
      server = await rawServer(() => undefined);
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/chat?room=1`, ['chat.v2', 'chat.v1'], {
        headers: { 'X-Token': 'abc' },
        origin: 'https://example.test',
      });
      client.on('error', () => {});
      const peer = await server.nextPeer();
      const { head, headers, key } = peer.request;
      expect(head.split('\r\n')[0]).to.equal('GET /chat?room=1 HTTP/1.1');
      expect(headers['upgrade']).to.equal('websocket');
      expect(headers['connection']).to.equal('Upgrade');
      expect(Buffer.from(key, 'base64')).to.have.length(16);
      expect(headers['sec-websocket-version']).to.equal('13');
      expect(headers['sec-websocket-protocol']).to.equal('chat.v2,chat.v1');
      expect(headers['sec-websocket-extensions']).to.equal('permessage-deflate; client_max_window_bits');
      expect(headers['origin']).to.equal('https://example.test');
      expect(headers['x-token']).to.equal('abc');
      expect(headers['host']).to.equal(`127.0.0.1:${server.port}`);
      client.terminate();
    });

    it('picks a fresh key for every connection (§4.1: "The nonce MUST be selected randomly for each connection")', async () => {
      server = await rawServer(() => undefined);
      const keys = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, undefined, { perMessageDeflate: false });
        client.on('error', () => {});
        const peer = await server.nextPeer();
        keys.add(peer.request.key);
        expect(peer.request.headers['sec-websocket-extensions']).to.equal(undefined);
        client.terminate();
      }
      expect(keys.size).to.equal(5);
    });

    it('takes the options as the second argument when no subprotocols are given, as ws', async () => {
      server = await rawServer(() => undefined);
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false, headers: { 'X-Token': 'abc' } });
      client.on('error', () => {});
      const { headers } = (await server.nextPeer()).request;
      expect(headers['x-token']).to.equal('abc');
      expect(headers['sec-websocket-extensions']).to.equal(undefined);
      expect(headers['sec-websocket-protocol']).to.equal(undefined);
      client.terminate();
    });

    it('has no remoteAddress (undefined, as ws) and a bufferedAmount of 0 before its socket exists', async () => {
      server = await rawServer((request) => switchingProtocols(request.key));
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      expect(client.remoteAddress).to.equal(undefined);
      expect(client.bufferedAmount).to.equal(0);
      await once(client, 'open');
      expect(client.remoteAddress).to.equal('127.0.0.1');
      client.terminate();
    });

    it('throws SyntaxError for an invalid URL, a scheme other than ws/wss/http/https, a fragment or a repeated subprotocol', () => {
      expect(() => new WebSocket('not a url')).to.throw(SyntaxError);
      expect(() => new WebSocket('ftp://127.0.0.1/')).to.throw(SyntaxError);
      expect(() => new WebSocket('ws://127.0.0.1/#frag')).to.throw(SyntaxError);
      expect(() => new WebSocket('ws://127.0.0.1/', ['a', 'a'])).to.throw(SyntaxError);
      expect(() => new WebSocket('ws://127.0.0.1/', 'a b')).to.throw(SyntaxError);
    });

    it('is CONNECTING until the response arrives, and send() then throws as in ws', async () => {
      server = await rawServer(() => undefined);
      const client = new WebSocket(`http://127.0.0.1:${server.port}/`);
      client.on('error', () => {});
      expect(client.readyState).to.equal(WebSocket.CONNECTING);
      expect(client.machineStates).to.deep.equal({ connection: 'requestSent', message: 'awaitingMessage', closingHandshake: 'client.connecting' });
      expect(client.url).to.equal(`ws://127.0.0.1:${server.port}/`);
      expect(() => client.send('too early')).to.throw(/not open/);
      client.terminate();
    });
  });

  describe('the response', () => {
    it('opens on a valid 101, with the subprotocol and permessage-deflate the server chose', async () => {
      server = await respondWith((key) => switchingProtocols(key, ['Sec-WebSocket-Protocol: chat.v1', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10']));
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`, ['chat.v2', 'chat.v1']);
      let upgradeStatus = 0;
      client.on('upgrade', (response) => (upgradeStatus = response.statusCode!));
      await once(client, 'open');
      expect(upgradeStatus).to.equal(101);
      expect(client.readyState).to.equal(WebSocket.OPEN);
      expect(client.protocol).to.equal('chat.v1');
      expect(client.extensions).to.equal('permessage-deflate');
      expect(client.machineStates.closingHandshake).to.equal('client.open');
      client.terminate();
    });

    it('without unexpected-response listener: a 404 fails with WS_ERR_HANDSHAKE_UNEXPECTED_STATUS and close 1006', async () => {
      server = await respondWith(() => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      const outcome = await outcomeOf(server);
      expect(outcome.errors.map((error) => error.code)).to.deep.equal(['WS_ERR_HANDSHAKE_UNEXPECTED_STATUS']);
      expect(outcome.errors[0]!.message).to.equal('Unexpected server response: 404');
      expect(outcome).to.include({ code: 1006, opened: false, connectionState: 'closed' });
    });

    it('with an unexpected-response listener: hands it the request and response, and no error', async () => {
      server = await respondWith(() => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      const errors: Error[] = [];
      client.on('error', (error) => errors.push(error));
      const [request, response] = await once(client, 'unexpected-response');
      expect(response.statusCode).to.equal(401);
      request.destroy();
      const [code] = await closeOf(client);
      expect(code).to.equal(1006);
      expect(errors).to.deep.equal([]);
    });

    const failures: [string, (key: string) => string, string][] = [
      ['no Upgrade header (§4.1 item 2)', (key) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${secWebSocketAccept(key)}\r\n\r\n`, 'WS_ERR_HANDSHAKE_INVALID_UPGRADE'],
      ['Upgrade: h2c (§4.1 item 2)', (key) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${secWebSocketAccept(key)}\r\n\r\n`, 'WS_ERR_HANDSHAKE_INVALID_UPGRADE'],
      ['Connection without Upgrade (§4.1 item 3)', (key) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: ${secWebSocketAccept(key)}\r\n\r\n`, 'WS_ERR_HANDSHAKE_INVALID_UPGRADE'],
      ['no Sec-WebSocket-Accept (§4.1 item 4)', () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'WS_ERR_HANDSHAKE_INVALID_ACCEPT'],
      ['a Sec-WebSocket-Accept for another key (§4.1 item 4)', () => switchingProtocols('dGhlIHNhbXBsZSBub25jZQ=='), 'WS_ERR_HANDSHAKE_INVALID_ACCEPT'],
      ['an extension not offered (§4.1 item 5)', (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']), 'WS_ERR_HANDSHAKE_INVALID_EXTENSION'],
      ['permessage-deflate with an unknown parameter (RFC 7692 §7.1)', (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate; x=1']), 'WS_ERR_HANDSHAKE_INVALID_EXTENSION'],
      ['permessage-deflate with a repeated parameter (RFC 7692 §7.1)', (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_no_context_takeover']), 'WS_ERR_HANDSHAKE_INVALID_EXTENSION'],
      ['server_max_window_bits=7 (RFC 7692 §7.1.2.1)', (key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7']), 'WS_ERR_HANDSHAKE_INVALID_EXTENSION'],
      ['a subprotocol not offered (§4.1 item 6)', (key) => switchingProtocols(key, ['Sec-WebSocket-Protocol: chat.v3']), 'WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL'],
    ];
    for (const [what, build, code] of failures) {
      it(`fails with ${code} and close 1006, sending no Close frame, on ${what}`, async () => {
        server = await respondWith(build);
        const outcomePromise = outcomeOf(server, ['chat.v1', 'chat.v2']);
        const peer = await server.nextPeer();
        const outcome = await outcomePromise;
        expect(outcome.errors.map((error) => error.code)).to.deep.equal([code]);
        expect(outcome.errors[0]!.closeCode).to.equal(1006);
        expect(outcome).to.include({ code: 1006, opened: false, connectionState: 'closed' });
        await peer.closed;
        expect(peer.received(), 'no Close frame (nor anything else) after the request').to.have.length(0);
      });
    }

    it('fails with WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL on a subprotocol when none was offered (§4.1 item 6)', async () => {
      server = await respondWith((key) => switchingProtocols(key, ['Sec-WebSocket-Protocol: chat.v1']));
      const outcome = await outcomeOf(server);
      expect(outcome.errors.map((error) => error.code)).to.deep.equal(['WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL']);
      expect(outcome.code).to.equal(1006);
    });

    it('fails with WS_ERR_HANDSHAKE_INVALID_EXTENSION on client_max_window_bits when the offer did not have it (RFC 7692 §7.1.2.2)', async () => {
      server = await respondWith((key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10']));
      const outcome = await outcomeOf(server, undefined, { perMessageDeflate: { clientMaxWindowBits: false } });
      expect(outcome.errors.map((error) => error.code)).to.deep.equal(['WS_ERR_HANDSHAKE_INVALID_EXTENSION']);
    });

    it('fails with WS_ERR_HANDSHAKE_INVALID_EXTENSION on permessage-deflate when none was offered (§4.1 item 5)', async () => {
      server = await respondWith((key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate']));
      const outcome = await outcomeOf(server, undefined, { perMessageDeflate: false });
      expect(outcome.errors.map((error) => error.code)).to.deep.equal(['WS_ERR_HANDSHAKE_INVALID_EXTENSION']);
    });

    it('fails with WS_ERR_HANDSHAKE_INVALID_EXTENSION when server_no_context_takeover was asked for and not granted (RFC 7692 §7.1.1.1)', async () => {
      server = await respondWith((key) => switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate']));
      const outcome = await outcomeOf(server, undefined, { perMessageDeflate: { serverNoContextTakeover: true } });
      expect(outcome.errors.map((error) => error.code)).to.deep.equal(['WS_ERR_HANDSHAKE_INVALID_EXTENSION']);
    });

    it('fails with WS_ERR_HANDSHAKE_TIMEOUT and close 1006 when no response comes within handshakeTimeout', async () => {
      server = await rawServer(() => undefined);
      const started = performance.now();
      const outcome = await outcomeOf(server, undefined, { handshakeTimeout: 100 });
      expect(performance.now() - started).to.be.within(90, 2000);
      expect(outcome.errors.map((error) => error.code)).to.deep.equal(['WS_ERR_HANDSHAKE_TIMEOUT']);
      expect(outcome).to.include({ code: 1006, opened: false });
    });

    it('reports a connection that cannot be made as WS_ERR_CONNECTION_FAILED (cause: ECONNREFUSED) and close 1006', async () => {
      server = await rawServer(() => undefined);
      const port = server.port;
      await server.close();
      server = undefined;
      const client = new WebSocket(`ws://127.0.0.1:${port}/`);
      const errors: ProtocolError[] = [];
      client.on('error', (error) => errors.push(error));
      const [code] = await closeOf(client);
      expect(code).to.equal(1006);
      expect(errors.map((error) => [error.code, (error.cause as { code?: string }).code])).to.deep.equal([['WS_ERR_CONNECTION_FAILED', 'ECONNREFUSED']]);
    });

    it('close() while CONNECTING abandons the handshake: close 1006', async () => {
      server = await rawServer(() => undefined);
      const client = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      client.on('error', () => {});
      await server.nextPeer();
      client.close();
      const [code] = await closeOf(client);
      expect(code).to.equal(1006);
      expect(client.readyState).to.equal(WebSocket.CLOSED);
    });
  });
});
