/**
 * RFC 6455 §4.2: the opening handshake's predicates and the server's answers, as pure functions.
 */
import { expect } from 'chai';
import {
  asksForVersion13,
  asksForWebSocketUpgrade,
  handshakeRefusal,
  isGetRequest,
  isWellFormedUpgradeRequest,
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
});
