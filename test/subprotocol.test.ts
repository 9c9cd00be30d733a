/**
 * RFC 6455 §4.1 (request item 10) and §11.3.4: the |Sec-WebSocket-Protocol| list a client sends,
 * as the server reads it (src/subprotocol.ts). The expectations are written from the RFC's
 * grammar, not taken from the parser: each element a token (RFC 2616 §2.2: "1*<any CHAR except
 * CTLs or separators>"), "non-empty strings ... and MUST all be unique strings", in the client's
 * order of preference; the field may appear more than once (one list).
 */
import { expect } from 'chai';
import { hasWellFormedSubprotocols, parseSubprotocols } from '../src/subprotocol.js';
import { malformedHandshakeReason } from '../src/opening-handshake.js';

/** RFC 2616 §2.2: separators = "(" | ")" | "<" | ">" | "@" | "," | ";" | ":" | "\" | <"> | "/" | "[" | "]" | "?" | "=" | "{" | "}" | SP | HT */
const SEPARATORS_INSIDE_A_TOKEN = ['(', ')', '<', '>', '@', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}'];

/** Every CHAR (0–127) that is neither a CTL (0–31, 127) nor a separator: the token characters. */
const TOKEN_CHARACTERS = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).filter(
  (char) => char.charCodeAt(0) > 31 && char.charCodeAt(0) !== 127 && !'()<>@,;:\\"/[]?={} \t'.includes(char),
);

describe('the Sec-WebSocket-Protocol list (RFC 6455 §4.1, §11.3.4)', () => {
  it('an absent header field is an empty list, and well-formed (the field is optional, §4.1 item 10)', () => {
    expect(parseSubprotocols(undefined)).to.deep.equal([]);
    expect(hasWellFormedSubprotocols(undefined)).to.equal(true);
  });

  it('keeps the client\'s order of preference, with the whitespace around each element removed', () => {
    expect(parseSubprotocols('chat')).to.deep.equal(['chat']);
    expect(parseSubprotocols('superchat, chat')).to.deep.equal(['superchat', 'chat']);
    expect(parseSubprotocols(' v2.bookings.example , \tv1.bookings.example\t')).to.deep.equal(['v2.bookings.example', 'v1.bookings.example']);
  });

  it('reads a field that appears several times as one list, in order (§11.3.4: "MAY appear multiple times")', () => {
    expect(parseSubprotocols(['superchat', 'chat, mqtt'])).to.deep.equal(['superchat', 'chat', 'mqtt']);
    expect(hasWellFormedSubprotocols(['superchat', 'chat'])).to.equal(true);
  });

  it('accepts every token character (RFC 2616 §2.2), in one subprotocol', () => {
    const everyTokenCharacter = TOKEN_CHARACTERS.join('');
    expect(TOKEN_CHARACTERS).to.have.length(77); // the 94 visible characters (U+0021–U+007E) less the 17 separators other than SP and HT
    expect(parseSubprotocols(everyTokenCharacter)).to.deep.equal([everyTokenCharacter]);
    for (const char of TOKEN_CHARACTERS) expect(parseSubprotocols(`a${char}b`), JSON.stringify(char)).to.deep.equal([`a${char}b`]);
  });

  it('refuses a separator inside an element (RFC 2616 §2.2)', () => {
    for (const separator of [...SEPARATORS_INSIDE_A_TOKEN, ' ', '\t']) {
      expect(parseSubprotocols(`chat${separator}v2`), JSON.stringify(separator)).to.equal(undefined);
      expect(hasWellFormedSubprotocols(`chat${separator}v2`), JSON.stringify(separator)).to.equal(false);
    }
  });

  it('refuses control characters and characters outside U+0021–U+007E', () => {
    for (const char of ['\u0000', '\u0001', '\u001f', '\u007f', '\u0080', 'é', '\u{1F600}']) {
      expect(parseSubprotocols(`chat${char}`), JSON.stringify(char)).to.equal(undefined);
    }
  });

  it('refuses an empty element ("MUST be non-empty strings"), wherever it is', () => {
    for (const value of ['', ' ', ',', 'chat,', ',chat', 'chat,,superchat', 'chat, ,superchat', ['chat', '']]) {
      expect(parseSubprotocols(value), JSON.stringify(value)).to.equal(undefined);
      expect(hasWellFormedSubprotocols(value), JSON.stringify(value)).to.equal(false);
    }
  });

  it('refuses a repeated element ("MUST all be unique strings"), also across repeated fields', () => {
    for (const value of ['chat, chat', 'chat,superchat,chat', ['chat', 'chat'], ['chat, mqtt', 'mqtt']]) {
      expect(parseSubprotocols(value), JSON.stringify(value)).to.equal(undefined);
      expect(hasWellFormedSubprotocols(value), JSON.stringify(value)).to.equal(false);
    }
  });

  it('makes the server refuse an upgrade request whose list is malformed, and only then', () => {
    const request = (protocol: string | undefined) => ({
      method: 'GET',
      httpVersion: '1.1',
      headers: {
        host: 'example.com',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        ...(protocol === undefined ? {} : { 'sec-websocket-protocol': protocol }),
      },
    });
    expect(malformedHandshakeReason(request(undefined))).to.equal(undefined);
    expect(malformedHandshakeReason(request('chat, superchat'))).to.equal(undefined);
    expect(malformedHandshakeReason(request('chat, chat'))).to.equal('Sec-WebSocket-Protocol is not a list of unique tokens');
    expect(malformedHandshakeReason(request('chat;v=2'))).to.equal('Sec-WebSocket-Protocol is not a list of unique tokens');
  });
});
