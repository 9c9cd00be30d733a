/**
 * The client's opening-handshake decisions without a socket (src/client-handshake.ts,
 * src/client-deflate-offer.ts): the request's header fields (RFC 6455 §4.1, request items 2–12),
 * the checks the server's response must pass (§4.1, response items 1–6), and the reading of a
 * permessage-deflate answer (RFC 7692 §7.1). Each expectation is written from the RFC's text,
 * including its worked example (§1.3 / §4.2.2), not taken from the functions under test.
 */
import { expect } from 'chai';
import {
  acceptsTheKey,
  chosenSubprotocol,
  expectedAccept,
  handshakeRequestHeaders,
  isSwitchingProtocols,
  newHandshakeKey,
  subprotocolWasOffered,
  upgradesToWebSocket,
  type HandshakeResponseFields,
} from '../src/client-handshake.js';
import { codecParametersForClient, perMessageDeflateOffer, readExtensionAnswer } from '../src/client-deflate-offer.js';

/** RFC 6455 §1.3: "dGhlIHNhbXBsZSBub25jZQ==" is answered with "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=". */
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function response(headers: HandshakeResponseFields['headers'], status = 101, offeredSubprotocols: string[] = []): HandshakeResponseFields {
  return { status, headers, expectedAccept: RFC_ACCEPT, offeredSubprotocols };
}

describe('the client opening handshake without a socket (RFC 6455 §4.1)', () => {
  describe('the request', () => {
    it('§4.1 item 7: a key is 16 random bytes in base64, new for each connection', () => {
      const keys = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const key = newHandshakeKey();
        expect(key).to.match(/^[A-Za-z0-9+/]{22}==$/);
        expect(Buffer.from(key, 'base64')).to.have.length(16);
        keys.add(key);
      }
      expect(keys.size).to.equal(50);
    });

    it('§1.3: the accept value expected for the RFC\'s sample key is the RFC\'s', () => {
      expect(expectedAccept(RFC_KEY)).to.equal(RFC_ACCEPT);
    });

    it('§4.1 items 5, 6, 7, 9: exactly Upgrade, Connection, Sec-WebSocket-Key and Sec-WebSocket-Version 13 when nothing else is asked for', () => {
      expect(handshakeRequestHeaders(RFC_KEY, [], undefined, undefined, undefined)).to.deep.equal({
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': RFC_KEY,
        'Sec-WebSocket-Version': '13',
      });
    });

    it('§4.1 items 8, 10, 11: Origin, the subprotocols in order and the extension offer when given; the application\'s fields kept', () => {
      expect(handshakeRequestHeaders(RFC_KEY, ['chat', 'superchat'], 'permessage-deflate', 'http://example.com', { 'X-Trace': '1' })).to.deep.equal({
        'X-Trace': '1',
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': RFC_KEY,
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'chat,superchat',
        'Sec-WebSocket-Extensions': 'permessage-deflate',
        Origin: 'http://example.com',
      });
    });

    it('the application\'s fields cannot replace the handshake\'s own', () => {
      const headers = handshakeRequestHeaders(RFC_KEY, [], undefined, undefined, {
        Upgrade: 'h2c',
        Connection: 'keep-alive',
        'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAA==',
        'Sec-WebSocket-Version': '8',
      });
      expect(headers).to.deep.equal({ Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': RFC_KEY, 'Sec-WebSocket-Version': '13' });
    });
  });

  describe('the response', () => {
    it('item 1: only status 101 switches protocols', () => {
      expect(isSwitchingProtocols(response({}, 101))).to.equal(true);
      for (const status of [100, 102, 200, 301, 400, 426]) expect(isSwitchingProtocols(response({}, status)), String(status)).to.equal(false);
    });

    it('items 2 and 3: Upgrade "websocket" and Connection with the token "Upgrade", both ASCII case-insensitive', () => {
      expect(upgradesToWebSocket(response({ upgrade: 'websocket', connection: 'Upgrade' }))).to.equal(true);
      expect(upgradesToWebSocket(response({ upgrade: ' WebSocket ', connection: 'upgrade' }))).to.equal(true);
      expect(upgradesToWebSocket(response({ upgrade: 'websocket', connection: 'keep-alive, UPGRADE' }))).to.equal(true);
      expect(upgradesToWebSocket(response({ upgrade: 'websocket', connection: ['keep-alive', 'Upgrade'] as unknown as string }))).to.equal(true);
    });

    it('items 2 and 3: a missing or different Upgrade or Connection fails', () => {
      expect(upgradesToWebSocket(response({ connection: 'Upgrade' })), 'no Upgrade').to.equal(false);
      expect(upgradesToWebSocket(response({ upgrade: 'websocket' })), 'no Connection').to.equal(false);
      expect(upgradesToWebSocket(response({ upgrade: 'h2c', connection: 'Upgrade' })), 'Upgrade: h2c').to.equal(false);
      expect(upgradesToWebSocket(response({ upgrade: 'websocket2', connection: 'Upgrade' })), 'Upgrade: websocket2').to.equal(false);
      expect(upgradesToWebSocket(response({ upgrade: 'websocket', connection: 'keep-alive' })), 'Connection: keep-alive').to.equal(false);
      expect(upgradesToWebSocket(response({ upgrade: 'websocket', connection: 'Upgraded' })), 'Connection: Upgraded').to.equal(false);
    });

    it('item 4: Sec-WebSocket-Accept must be the expected value (surrounding whitespace aside), and present', () => {
      expect(acceptsTheKey(response({ 'sec-websocket-accept': RFC_ACCEPT }))).to.equal(true);
      expect(acceptsTheKey(response({ 'sec-websocket-accept': ` ${RFC_ACCEPT} ` }))).to.equal(true);
      expect(acceptsTheKey(response({}))).to.equal(false);
      expect(acceptsTheKey(response({ 'sec-websocket-accept': RFC_ACCEPT.toLowerCase() }))).to.equal(false);
      expect(acceptsTheKey(response({ 'sec-websocket-accept': '' }))).to.equal(false);
    });

    it('item 6: no Sec-WebSocket-Protocol, or one of those offered; anything else fails', () => {
      expect(subprotocolWasOffered(response({}, 101, []))).to.equal(true);
      expect(subprotocolWasOffered(response({}, 101, ['chat']))).to.equal(true);
      expect(subprotocolWasOffered(response({ 'sec-websocket-protocol': 'chat' }, 101, ['superchat', 'chat']))).to.equal(true);
      expect(subprotocolWasOffered(response({ 'sec-websocket-protocol': ' chat ' }, 101, ['chat']))).to.equal(true);
      expect(subprotocolWasOffered(response({ 'sec-websocket-protocol': 'chat' }, 101, []))).to.equal(false);
      expect(subprotocolWasOffered(response({ 'sec-websocket-protocol': 'mqtt' }, 101, ['chat']))).to.equal(false);
      expect(subprotocolWasOffered(response({ 'sec-websocket-protocol': 'chat, superchat' }, 101, ['chat', 'superchat']))).to.equal(false);
    });

    it('the subprotocol chosen is the answer\'s, trimmed, or none', () => {
      expect(chosenSubprotocol({ 'sec-websocket-protocol': ' chat ' })).to.equal('chat');
      expect(chosenSubprotocol({})).to.equal('');
    });
  });
});

describe('the client\'s permessage-deflate offer and the reading of the answer (RFC 7692 §7.1)', () => {
  describe('the offer', () => {
    it('§7.1.2: window bits 8 and 15 are offered, 7, 16 and fractions are refused with the option\'s name', () => {
      expect(perMessageDeflateOffer({ serverMaxWindowBits: 8, clientMaxWindowBits: 15 })).to.equal(
        'permessage-deflate; server_max_window_bits=8; client_max_window_bits=15',
      );
      expect(perMessageDeflateOffer({ serverMaxWindowBits: 15, clientMaxWindowBits: 8 })).to.equal(
        'permessage-deflate; server_max_window_bits=15; client_max_window_bits=8',
      );
      expect(() => perMessageDeflateOffer({ serverMaxWindowBits: 16 })).to.throw(RangeError, /serverMaxWindowBits/);
      expect(() => perMessageDeflateOffer({ serverMaxWindowBits: 9.5 })).to.throw(RangeError, /serverMaxWindowBits/);
      expect(() => perMessageDeflateOffer({ clientMaxWindowBits: 7 })).to.throw(RangeError, /clientMaxWindowBits/);
      expect(() => perMessageDeflateOffer({ clientMaxWindowBits: 9.5 })).to.throw(RangeError, /clientMaxWindowBits/);
    });

    it('§7.1.1: each no_context_takeover parameter alone', () => {
      expect(perMessageDeflateOffer({ serverNoContextTakeover: true, clientMaxWindowBits: false })).to.equal('permessage-deflate; server_no_context_takeover');
      expect(perMessageDeflateOffer({ clientNoContextTakeover: true, clientMaxWindowBits: false })).to.equal('permessage-deflate; client_no_context_takeover');
      expect(perMessageDeflateOffer({ clientMaxWindowBits: true })).to.equal('permessage-deflate; client_max_window_bits');
    });
  });

  describe('the answer', () => {
    const DEFAULTS = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

    it('§7.1: an accepted offer without parameters agrees to the defaults (no takeover limits, 15-bit windows)', () => {
      expect(readExtensionAnswer('permessage-deflate', {})).to.deep.equal({ verdict: 'agreed', agreed: DEFAULTS });
    });

    it('§7.1.1.2: client_no_context_takeover is always allowed in a response, without a value', () => {
      expect(readExtensionAnswer('permessage-deflate; client_no_context_takeover', {})).to.deep.equal({
        verdict: 'agreed',
        agreed: { ...DEFAULTS, clientNoContextTakeover: true },
      });
      expect(readExtensionAnswer('permessage-deflate; client_no_context_takeover=1', {}).verdict).to.equal('invalidParameters');
    });

    it('§7.1.1.1: server_no_context_takeover asked for and granted', () => {
      expect(readExtensionAnswer('permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: true })).to.deep.equal({
        verdict: 'agreed',
        agreed: { ...DEFAULTS, serverNoContextTakeover: true },
      });
      expect(readExtensionAnswer('permessage-deflate', { serverNoContextTakeover: true }).verdict).to.equal('invalidParameters');
    });

    it('§7.1.2.1: server_max_window_bits needs a value 8–15, not above the value offered, any when none was offered', () => {
      expect(readExtensionAnswer('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 10 })).to.deep.equal({
        verdict: 'agreed',
        agreed: { ...DEFAULTS, serverMaxWindowBits: 10 },
      });
      expect(readExtensionAnswer('permessage-deflate; server_max_window_bits=8', {}).agreed).to.deep.equal({ ...DEFAULTS, serverMaxWindowBits: 8 });
      expect(readExtensionAnswer('permessage-deflate; server_max_window_bits=15', {}).agreed).to.deep.equal(DEFAULTS);
      expect(readExtensionAnswer('permessage-deflate; server_max_window_bits=11', { serverMaxWindowBits: 10 }).verdict).to.equal('invalidParameters');
      for (const value of ['', '=7', '=16', '=1', '=015', '=88', '=150', '="10"x']) {
        expect(readExtensionAnswer(`permessage-deflate; server_max_window_bits${value}`, {}).verdict, value).to.equal('invalidParameters');
      }
    });

    it('§7.1.2.2: client_max_window_bits only if offered, with a value 8–15 not above the one offered', () => {
      expect(readExtensionAnswer('permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: 10 }).agreed).to.deep.equal({
        ...DEFAULTS,
        clientMaxWindowBits: 10,
      });
      expect(readExtensionAnswer('permessage-deflate; client_max_window_bits=8', { clientMaxWindowBits: true }).agreed).to.deep.equal({
        ...DEFAULTS,
        clientMaxWindowBits: 8,
      });
      expect(readExtensionAnswer('permessage-deflate; client_max_window_bits=11', { clientMaxWindowBits: 10 }).verdict).to.equal('invalidParameters');
      expect(readExtensionAnswer('permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: false }).verdict).to.equal('invalidParameters');
      expect(readExtensionAnswer('permessage-deflate; client_max_window_bits=16', {}).verdict).to.equal('invalidParameters');
    });

    it('§7.1: a parameter twice, or one not defined for a response, is invalid', () => {
      expect(readExtensionAnswer('permessage-deflate; client_no_context_takeover; client_no_context_takeover', {}).verdict).to.equal('invalidParameters');
      expect(readExtensionAnswer('permessage-deflate; server_max_window_bits=10; server_max_window_bits=10', {}).verdict).to.equal('invalidParameters');
      expect(readExtensionAnswer('permessage-deflate; x_unknown', {}).verdict).to.equal('invalidParameters');
    });

    it('§4.1: an extension other than the one offered is not offered', () => {
      expect(readExtensionAnswer('x-webkit-deflate-frame', {}).verdict).to.equal('notOffered');
      expect(readExtensionAnswer('x-webkit-deflate-frame', undefined).verdict).to.equal('notOffered');
      expect(readExtensionAnswer(undefined, undefined)).to.deep.equal({ verdict: 'none' });
    });

    it('the agreement in the codec\'s terms: the client compresses with the client window, at least 9 bits (zlib)', () => {
      expect(
        codecParametersForClient({ serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 10, clientMaxWindowBits: 12 }),
      ).to.deep.equal({ serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 10, response: '' });
      expect(codecParametersForClient({ ...DEFAULTS, clientMaxWindowBits: 8 }).serverMaxWindowBits).to.equal(9);
      expect(codecParametersForClient({ ...DEFAULTS, clientMaxWindowBits: 9 }).serverMaxWindowBits).to.equal(9);
    });
  });
});
