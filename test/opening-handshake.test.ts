/**
 * RFC 6455 §4.2: the opening handshake's predicates and the server's answers, as pure functions.
 */
import { expect } from 'chai';
import {
  asksForVersion13,
  asksForWebSocketUpgrade,
  handshakeRefusal,
  isGetRequest,
  isRequestRefusal,
  isWellFormedUpgradeRequest,
  refusalReason,
  refusalResponseText,
  secWebSocketAccept,
  switchingProtocolsHeaders,
} from '../src/opening-handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const request = (headers: Record<string, string | string[] | undefined>, httpVersion = '1.1', method = 'GET') => ({
  method,
  httpVersion,
  headers: { host: 'h', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': KEY, ...headers },
});

describe('opening handshake (RFC 6455 §4.2)', () => {
  it('answers with the Sec-WebSocket-Accept of §1.3 for the sample key, trimming whitespace', () => {
    expect(secWebSocketAccept(KEY)).to.equal('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(secWebSocketAccept(` ${KEY} `)).to.equal('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('writes the 101 response of §4.2.2 item 5 byte for byte, extension header included', () => {
    expect(switchingProtocolsHeaders(KEY, ['Sec-WebSocket-Extensions: permessage-deflate']).join('\r\n') + '\r\n\r\n').to.equal(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
    );
    expect(switchingProtocolsHeaders(KEY).join('\r\n') + '\r\n\r\n').to.equal(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });

  it('takes GET only (§4.2.1 item 1)', () => {
    expect(isGetRequest(request({}))).to.equal(true);
    expect(isGetRequest(request({}, '1.1', 'POST'))).to.equal(false);
    expect(isGetRequest(request({}, '1.1', 'get'))).to.equal(false);
  });

  it('finds "websocket" among the Upgrade tokens, in any case, spacing or header repetition (§4.2.1 item 3)', () => {
    expect(asksForWebSocketUpgrade(request({ upgrade: 'h2c, WebSocket ' }))).to.equal(true);
    expect(asksForWebSocketUpgrade(request({ upgrade: ['h2c', ' websocket'] }))).to.equal(true);
    expect(asksForWebSocketUpgrade(request({ upgrade: 'h2c' }))).to.equal(false);
    expect(asksForWebSocketUpgrade(request({ upgrade: 'websockets' }))).to.equal(false);
    expect(asksForWebSocketUpgrade(request({ upgrade: undefined }))).to.equal(false);
    // RFC 9110 §5.6.1: optional whitespace around a list element is not part of it, one element or several.
    expect(asksForWebSocketUpgrade(request({ upgrade: ' websocket\t' }))).to.equal(true);
    expect(isWellFormedUpgradeRequest(request({ connection: ' Upgrade ' }))).to.equal(true);
  });

  it('takes version 13 only (§4.2.1 item 6)', () => {
    expect(asksForVersion13(request({}))).to.equal(true);
    for (const version of ['8', '13 ', '', undefined]) expect(asksForVersion13(request({ 'sec-websocket-version': version }))).to.equal(false);
  });

  it('takes HTTP/1.1 or higher, a Host, Connection: Upgrade and a 16-byte key (§4.2.1)', () => {
    expect(isWellFormedUpgradeRequest(request({}))).to.equal(true);
    expect(isWellFormedUpgradeRequest(request({}, '2.0'))).to.equal(true);
    expect(isWellFormedUpgradeRequest(request({}, '1.2'))).to.equal(true);
    expect(isWellFormedUpgradeRequest(request({ connection: 'keep-alive, UPGRADE' }))).to.equal(true);
    expect(isWellFormedUpgradeRequest(request({ 'sec-websocket-key': ` ${KEY}` }))).to.equal(true);
    for (const version of ['1.0', '0.9', '0.1']) expect(isWellFormedUpgradeRequest(request({}, version)), version).to.equal(false);
    expect(isWellFormedUpgradeRequest(request({ host: '' }))).to.equal(false);
    expect(isWellFormedUpgradeRequest(request({ host: undefined }))).to.equal(false);
    expect(isWellFormedUpgradeRequest(request({ connection: 'keep-alive' }))).to.equal(false);
    expect(isWellFormedUpgradeRequest(request({ connection: undefined }))).to.equal(false);
    // 16 bytes: 22 base64 characters, the last of them A, Q, g or w, then "==".
    for (const key of ['c2hvcnQ=', `x${KEY}`, `${KEY}x`, 'dGhlIHNhbXBsZSBub25jZR==', 'dGhlIHNhbXBsZSBub25jZQ=', 'dGhlIHNhbXBsZSBub25jZQ']) {
      expect(isWellFormedUpgradeRequest(request({ 'sec-websocket-key': key })), key).to.equal(false);
    }
    expect(isWellFormedUpgradeRequest(request({ 'sec-websocket-key': ['a', 'b'] }))).to.equal(false);
  });

  it('takes a Sec-WebSocket-Protocol only as a list of unique tokens (§4.1 item 10, §4.2.1 item 8)', () => {
    // §4.1: "elements ... MUST be non-empty strings with characters in the range U+0021 to U+007E
    // not including separator characters as defined in [RFC2616] and MUST all be unique strings."
    expect(isWellFormedUpgradeRequest(request({ 'sec-websocket-protocol': 'chat, superchat' }))).to.equal(true);
    for (const value of ['chat, chat', 'chat superchat', 'chat, ', 'ch@t']) {
      expect(isWellFormedUpgradeRequest(request({ 'sec-websocket-protocol': value })), value).to.equal(false);
    }
  });

  it('refuses with 426, Upgrade and Sec-WebSocket-Version: 13 (§4.2.2), byte for byte', () => {
    const refusal = handshakeRefusal(426);
    expect(refusal).to.deep.equal({
      status: 426,
      statusText: 'Upgrade Required',
      headers: { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '17', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' },
      body: 'Upgrade Required\n',
    });
    expect(refusalResponseText(refusal)).to.equal(
      'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 17\r\n' +
        'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\nUpgrade Required\n',
    );
  });

  it('refuses with 405 and Allow: GET, and with 400 otherwise', () => {
    expect(handshakeRefusal(405)).to.deep.equal({
      status: 405,
      statusText: 'Method Not Allowed',
      headers: { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '19', Allow: 'GET' },
      body: 'Method Not Allowed\n',
    });
    expect(handshakeRefusal(400)).to.deep.equal({
      status: 400,
      statusText: 'Bad Request',
      headers: { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '12' },
      body: 'Bad Request\n',
    });
    expect(handshakeRefusal(418).statusText).to.equal('Bad Request');
  });

  // RFC 9110 §15 (and RFC 6585 §5 for 431): each status code's reason phrase, on the status line.
  const REASON_PHRASE_OF: [number, string][] = [
    [400, 'Bad Request'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [404, 'Not Found'],
    [405, 'Method Not Allowed'],
    [426, 'Upgrade Required'],
    [431, 'Request Header Fields Too Large'],
    [500, 'Internal Server Error'],
    [503, 'Service Unavailable'],
  ];
  for (const [status, phrase] of REASON_PHRASE_OF) {
    it(`answers ${status} with the reason phrase "${phrase}" (RFC 9110 §15, RFC 6585 §5)`, () => {
      const refusal = handshakeRefusal(status);
      expect(refusal.statusText).to.equal(phrase);
      expect(refusalResponseText(refusal).split('\r\n')[0]).to.equal(`HTTP/1.1 ${status} ${phrase}`);
      expect(refusal.body).to.equal(`${phrase}\n`);
    });
  }

  it('refuses with 503 and a Retry-After in delay-seconds (RFC 9110 §15.6.4, §10.2.3)', () => {
    const refusal = handshakeRefusal(503, 'full');
    expect(Object.keys(refusal.headers)).to.deep.equal(['Connection', 'Content-Type', 'Content-Length', 'Retry-After']);
    expect(refusal.headers['Retry-After']).to.match(/^[0-9]+$/);
    expect(refusal.body).to.equal('full\n');
    expect(refusal.headers['Content-Length']).to.equal('5');
    for (const status of [400, 403, 405, 426, 431]) expect(handshakeRefusal(status).headers, String(status)).not.to.have.property('Retry-After');
  });
});

/**
 * The refusal's body tells the client what to fix: the header field at fault, by the name RFC 6455
 * §4.2.1 gives it, and what the server expected (RFC 6455 §4.2.1: "the server MUST stop processing
 * the client's handshake and return an HTTP response with an appropriate error code").
 */
describe('the refusal body names what is wrong with the request (RFC 6455 §4.2.1, §4.2.2)', () => {
  it('§4.2.1 item 1: a method other than GET names the method and GET (405)', () => {
    const reason = refusalReason(405, request({}, '1.1', 'POST'));
    expect(reason).to.include('POST');
    expect(reason).to.include('GET');
  });

  it('§4.2.1 item 1: an HTTP version below 1.1 names the version and HTTP/1.1 (400)', () => {
    for (const version of ['1.0', '0.9']) {
      const reason = refusalReason(400, request({}, version));
      expect(reason, version).to.include(`HTTP/${version}`);
      expect(reason, version).to.include('HTTP/1.1');
    }
  });

  it('§4.2.1 item 2: a missing Host names Host (400)', () => {
    expect(refusalReason(400, request({ host: undefined }))).to.include('Host');
  });

  it('§4.2.1 item 4: a Connection without "Upgrade" names Connection and Upgrade (400)', () => {
    const reason = refusalReason(400, request({ connection: 'keep-alive' }));
    expect(reason).to.include('Connection');
    expect(reason).to.include('Upgrade');
  });

  it('§4.2.1 item 5: a key that is not 16 bytes names Sec-WebSocket-Key (400)', () => {
    expect(refusalReason(400, request({ 'sec-websocket-key': 'c2hvcnQ=' }))).to.include('Sec-WebSocket-Key');
  });

  it('§4.1 item 10: a Sec-WebSocket-Protocol that is not a list of unique tokens names Sec-WebSocket-Protocol (400)', () => {
    expect(refusalReason(400, request({ 'sec-websocket-protocol': 'chat, chat' }))).to.include('Sec-WebSocket-Protocol');
  });

  it('§4.2.1 item 3: no Upgrade: websocket names Upgrade and websocket (426)', () => {
    const reason = refusalReason(426, request({ upgrade: 'h2c' }));
    expect(reason).to.include('Upgrade');
    expect(reason).to.include('websocket');
    expect(reason).not.to.include('Sec-WebSocket-Version');
  });

  it('§4.2.2: a version the server does not speak names Sec-WebSocket-Version, the version sent and 13 (426)', () => {
    const reason = refusalReason(426, request({ 'sec-websocket-version': '8' }));
    expect(reason).to.include('Sec-WebSocket-Version');
    expect(reason).to.match(/\b8\b/);
    expect(reason).to.match(/\b13\b/);
    expect(reason).not.to.match(/missing/);
  });

  it('§4.2.2: a missing Sec-WebSocket-Version says it is missing and names 13 (426)', () => {
    const reason = refusalReason(426, request({ 'sec-websocket-version': undefined }));
    expect(reason).to.include('Sec-WebSocket-Version');
    expect(reason).to.match(/missing/);
    expect(reason).to.match(/\b13\b/);
    expect(reason).not.to.include('undefined');
  });

  it('§4.2.1 item 1 (/resource name/): a resource not served names it, "/" when the request gives none (§3)', () => {
    expect(refusalReason(400, { ...request({}), resourceNotServed: true, url: '/chat' })).to.match(/ \/chat$/);
    expect(refusalReason(400, { ...request({}), resourceNotServed: true })).to.match(/ \/$/);
  });

  it('RFC 6585 §5: 431 says the header fields are too large', () => {
    expect(refusalReason(431, request({}))).to.match(/header fields/);
  });

  it('RFC 6455 §10.2: 403 names the Origin refused', () => {
    expect(refusalReason(403, request({ origin: 'https://evil.example' }))).to.include('Origin https://evil.example');
  });

  it('503 says the server is at its connection limit, or did not decide in time (no request kept)', () => {
    expect(refusalReason(503, request({}))).to.match(/connection limit/);
    expect(refusalReason(503, undefined)).to.match(/in time/);
  });

  it('a 400 with nothing more specific to say is its reason phrase, "Bad Request" (RFC 9110 §15.5.1)', () => {
    expect(refusalReason(400, request({}))).to.equal('Bad Request');
  });
});

/**
 * `ws` hands a request that breaks RFC 6455 §4.2.1 (405, 426, a malformed 400) to a `wsClientError`
 * listener; the server's own refusals (its resources and limits: a 400 for a resource it does not
 * serve, 431, 403, 503) are not the request's fault, whatever else is wrong with the request.
 */
describe('which refusals are the request\'s fault by RFC 6455 §4.2.1 (isRequestRefusal)', () => {
  const wellFormed = request({});
  const malformed = request({ host: undefined });

  it('405 and 426 are', () => {
    expect(isRequestRefusal(handshakeRefusal(405), request({}, '1.1', 'POST'))).to.equal(true);
    expect(isRequestRefusal(handshakeRefusal(426), request({ upgrade: 'h2c' }))).to.equal(true);
  });

  it('a 400 for a malformed request is; a 400 for a resource not served is not', () => {
    expect(isRequestRefusal(handshakeRefusal(400), malformed)).to.equal(true);
    expect(isRequestRefusal(handshakeRefusal(400), { ...wellFormed, resourceNotServed: true, url: '/x' })).to.equal(false);
  });

  it('431, 403 and 503 are not, even for a malformed request', () => {
    for (const status of [431, 403, 503]) {
      expect(isRequestRefusal(handshakeRefusal(status), wellFormed), `${status}, well formed`).to.equal(false);
      expect(isRequestRefusal(handshakeRefusal(status), malformed), `${status}, malformed`).to.equal(false);
    }
  });
});
