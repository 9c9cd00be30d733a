/**
 * The connection machine in the client role, through the sans-I/O core: the server's response
 * to the opening handshake failing each check of RFC 6455 §4.1 (the connection is failed:
 * CLOSING until TCP is gone, then CLOSED with 1006), the response accepted with or without a
 * subprotocol and permessage-deflate (OPEN, reading frames), TCP closing before any response, and
 * the application's requests while the response is awaited. Expectations are the RFCs' (§1.3's
 * sample key and accept value, §7.1.5's 1006, the readyState), not read from the machine.
 */
import { expect } from 'chai';
import type { IncomingHttpHeaders } from 'node:http';
import { ConnectionProtocol } from '../src/connection-protocol.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import type { ClientPerMessageDeflateOptions } from '../src/client-deflate-offer.js';
import { readClientFrames, serverFrame } from './raw-server.js';
import { compressed, expectRequestRefused, Recorder, RFC_SAMPLE_ACCEPT } from './connection-machine-recorder.js';

/** §4.1: a response that passes every check when nothing else was offered. */
const VALID_FIELDS: IncomingHttpHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': RFC_SAMPLE_ACCEPT };

/** A client core whose opening handshake is sent (§4.1), permessage-deflate enabled with its defaults. */
function clientCore() {
  const output = new Recorder();
  const core = new ConnectionProtocol(output, {
    maxMessageSize: 1024,
    perMessageDeflate: {},
    createCompressor: (agreed, options) => new PerMessageDeflateCodec(agreed, options),
  });
  core.clientHandshakeSent();
  return { core, output };
}

interface Answer {
  status?: number;
  fields?: IncomingHttpHeaders;
  offeredSubprotocols?: string[];
  deflateOffer?: ClientPerMessageDeflateOptions | undefined;
}

/** The server's response to the §1.3 key, with what the client offered. */
function respond(core: ConnectionProtocol, { status = 101, fields = {}, offeredSubprotocols = [], deflateOffer }: Answer): void {
  core.receiveHandshakeResponse({ status, headers: { ...VALID_FIELDS, ...fields }, expectedAccept: RFC_SAMPLE_ACCEPT, offeredSubprotocols }, deflateOffer);
}

/**
 * §4.1: "the WebSocket Connection is established" and OPEN: it reads the server's frames (§5.5.2:
 * "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response") and sends the
 * application's messages (§6.1).
 */
function expectOpen(core: ConnectionProtocol, output: Recorder): void {
  expect(core.readyState).to.equal('open');
  const before = output.written.length;
  core.receiveData(serverFrame(0x9, 'there?'));
  core.send(Buffer.from('hi'), false);
  // §5.5.3: the Pong carries the Ping's application data; then the text "hi"; §5.3: a client masks every frame it sends.
  const frames = readClientFrames(Buffer.concat(output.written.slice(before)));
  expect(frames.map((frame) => [frame.opcode, frame.fin, frame.masked, frame.payload.toString()])).to.deep.equal([[0xa, true, true, 'there?'], [0x1, true, true, 'hi']]);
}

/** RFC 7692 §6: with the extension agreed, a data frame with RSV1 set is a compressed message, delivered inflated. */
function expectDeflateInUse(core: ConnectionProtocol, output: Recorder): void {
  expect(core.extensions).to.equal('permessage-deflate');
  core.receiveData(serverFrame(0x1, compressed('squeezed'), { rsv1: true }));
  expect(output.log.at(-1)).to.equal('text squeezed');
}

describe('the connection machine, client role (RFC 6455 §4.1), through the sans-I/O core', () => {
  describe('a response that fails a check of §4.1: "the client MUST _Fail the WebSocket Connection_"', () => {
    // §7.1.7 _Fail the WebSocket Connection_ closes it (§7.1.1), which starts closing (§7.1.3: CLOSING); no Close
    // frame can be sent before the connection is open, so the code is §7.4.1's 1006, "without sending or receiving a Close control frame".
    const failures: [string, Answer, string][] = [
      ['item 2: an Upgrade that is not "websocket"', { fields: { upgrade: 'h2c' } }, 'WS_ERR_HANDSHAKE_INVALID_UPGRADE'],
      ['item 3: a Connection without "Upgrade"', { fields: { connection: 'keep-alive' } }, 'WS_ERR_HANDSHAKE_INVALID_UPGRADE'],
      ['item 4: a Sec-WebSocket-Accept that is not the one for the key sent', { fields: { 'sec-websocket-accept': 'dGhlIHNhbXBsZSBub25jZQ==' } }, 'WS_ERR_HANDSHAKE_INVALID_ACCEPT'],
      ['item 5: an extension the client did not offer', { fields: { 'sec-websocket-extensions': 'permessage-deflate' } }, 'WS_ERR_HANDSHAKE_INVALID_EXTENSION'],
      // RFC 7692 §7.1.2.2: "client_max_window_bits" in a response needs a value.
      ['RFC 7692 §5: permessage-deflate with a parameter the offer did not allow', { fields: { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }, deflateOffer: {} }, 'WS_ERR_HANDSHAKE_INVALID_EXTENSION'],
      ['item 6: a subprotocol the client did not offer', { fields: { 'sec-websocket-protocol': 'mqtt' }, offeredSubprotocols: ['chat'] }, 'WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL'],
    ];
    for (const [what, answer, code] of failures) {
      it(`${what}: ${code} with 1006, the TCP connection dropped, CLOSING until it is gone, then CLOSED with 1006`, () => {
        const { core, output } = clientCore();
        respond(core, answer);
        expect(output.log).to.deep.equal([`error ${code} 1006`, 'destroyTcp']);
        expect(output.written, 'nothing sent: the connection never opened').to.deep.equal([]);
        expect(core.readyState).to.equal('closing');
        core.receiveTcpClosed();
        expect(output.log.slice(2)).to.deep.equal(['closed 1006 ']);
        expect(core.readyState).to.equal('closed');
      });
    }

    it('item 1: a status other than 101 is handled per HTTP (the unexpected response), CLOSING until TCP is gone, then CLOSED with 1006', () => {
      const { core, output } = clientCore();
      respond(core, { status: 401, fields: { upgrade: undefined, connection: 'close', 'sec-websocket-accept': undefined } });
      expect(output.log).to.deep.equal(['unexpectedResponse']);
      expect([core.failure?.code, core.failure?.closeCode]).to.deep.equal(['WS_ERR_HANDSHAKE_UNEXPECTED_STATUS', 1006]);
      expect(core.readyState).to.equal('closing');
      core.receiveTcpClosed();
      expect(output.log).to.deep.equal(['unexpectedResponse', 'closed 1006 ']);
      expect(core.readyState).to.equal('closed');
    });
  });

  describe('a response that passes every check: OPEN', () => {
    it('without a subprotocol or an extension: OPEN, reads frames, none of either in use', () => {
      const { core, output } = clientCore();
      respond(core, {});
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
      expect(core.subprotocol).to.equal('');
      expect(core.extensions).to.equal('');
      expectOpen(core, output);
    });

    it('§4.1: the subprotocol the server chose among those offered is the one in use, and it reads frames', () => {
      const { core, output } = clientCore();
      respond(core, { fields: { 'sec-websocket-protocol': 'chat' }, offeredSubprotocols: ['superchat', 'chat'] });
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
      expect(core.subprotocol).to.equal('chat');
      expect(core.extensions).to.equal('');
      expectOpen(core, output);
    });

    it('RFC 7692 §5: permessage-deflate accepted is in use (compressed messages are inflated), and it reads frames', () => {
      const { core, output } = clientCore();
      respond(core, { fields: { 'sec-websocket-extensions': 'permessage-deflate' }, deflateOffer: {} });
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
      expect(core.subprotocol).to.equal('');
      expectOpen(core, output);
      expectDeflateInUse(core, output);
    });

    it('both a subprotocol and permessage-deflate accepted: both in use', () => {
      const { core, output } = clientCore();
      respond(core, { fields: { 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' }, offeredSubprotocols: ['chat'], deflateOffer: {} });
      expect(output.log).to.deep.equal(['opened']);
      expect(core.subprotocol).to.equal('chat');
      expectOpen(core, output);
      expectDeflateInUse(core, output);
    });
  });

  describe('while the response is awaited (§4.1 CONNECTING)', () => {
    it('TCP closing before any response (refused, reset) makes the connection CLOSED with 1006 (§7.1.5)', () => {
      const { core, output } = clientCore();
      core.receiveTcpClosed();
      expect(output.log).to.deep.equal(['closed 1006 ']);
      expect(core.readyState).to.equal('closed');
    });

    it('refuses send, ping and pong: "the client MUST NOT send any further data" before the handshake completes', () => {
      const { core, output } = clientCore();
      expectRequestRefused(core, output, 'send', 'requestSent');
      expectRequestRefused(core, output, 'ping', 'requestSent');
      expectRequestRefused(core, output, 'pong', 'requestSent');
      expect(output.log).to.deep.equal([]);
      expect(core.readyState).to.equal('connecting');
    });

    it('terminate() drops TCP: CLOSING until it is gone, then CLOSED with 1006', () => {
      const { core, output } = clientCore();
      core.terminate();
      expect(output.log).to.deep.equal(['destroyTcp']);
      expect(core.readyState).to.equal('closing');
      core.receiveTcpClosed();
      expect(output.log).to.deep.equal(['destroyTcp', 'closed 1006 ']);
      expect(core.readyState).to.equal('closed');
    });
  });
});
