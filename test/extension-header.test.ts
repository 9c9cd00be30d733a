/**
 * RFC 6455 §9.1: the |Sec-WebSocket-Extensions| grammar, as src/permessage-deflate/extension-header.ts
 * reads it — optional whitespace (RFC 7230 OWS: spaces and tabs) around every separator,
 * quoted-string values with their escapes, names that are case-insensitive, and any header that
 * breaks the grammar declined as a whole (undefined: the connection proceeds without extensions).
 */
import { expect } from 'chai';
import { parseExtensionOffers } from '../src/permessage-deflate/extension-header.js';

describe('Sec-WebSocket-Extensions grammar (RFC 6455 §9.1, extension-header.ts)', () => {
  it('allows spaces and tabs around every separator and at both ends', () => {
    expect(parseExtensionOffers(' \tpermessage-deflate \t; \tclient_max_window_bits \t= \t10 \t, \tx-foo\t ')).to.deep.equal([
      { name: 'permessage-deflate', params: [['client_max_window_bits', '10']] },
      { name: 'x-foo', params: [] },
    ]);
  });

  it('reads a quoted value followed by whitespace and another parameter', () => {
    expect(parseExtensionOffers('a; b="10"\t ; c')).to.deep.equal([{ name: 'a', params: [['b', '10'], ['c', true]] }]);
  });

  it('unescapes a quoted-string: a backslash takes the next character as it is (RFC 7230 §3.2.6)', () => {
    expect(parseExtensionOffers('a; b="1\\0"')).to.deep.equal([{ name: 'a', params: [['b', '10']] }]);
  });

  it('finds an escaped backslash malformed: the unescaped value holds a backslash, which is no tchar', () => {
    expect(parseExtensionOffers('a; b="1\\\\2"')).to.equal(undefined);
  });

  it('finds a quoted-string with no closing DQUOTE unterminated (RFC 7230 §3.2.6)', () => {
    expect(parseExtensionOffers('a; b="10')).to.equal(undefined);
    expect(parseExtensionOffers('a; b="')).to.equal(undefined);
  });

  it('finds a quoted-string ending in a lone backslash unterminated', () => {
    expect(parseExtensionOffers('a; b="10\\')).to.equal(undefined);
  });

  it('finds an escaped quote that leaves the value no token malformed ("after unescaping MUST conform to token")', () => {
    expect(parseExtensionOffers('a; b="\\""')).to.equal(undefined);
  });

  for (const notAToken of ['a; b=" 10"', 'a; b="10 "', 'a; b=""']) {
    it(`finds ${JSON.stringify(notAToken)} malformed: the unescaped value is not a token`, () => {
      expect(parseExtensionOffers(notAToken)).to.equal(undefined);
    });
  }

  it('finds text after a quoted value that is neither ";" nor "," malformed', () => {
    expect(parseExtensionOffers('a; b="10"c')).to.equal(undefined);
  });

  it('finds a parameter with no name malformed', () => {
    expect(parseExtensionOffers('a; ="10"')).to.equal(undefined);
  });

  it('reads every tchar of RFC 7230 §3.2.6 in names and values, and nothing else', () => {
    const tchars = "!#$%&'*+-.^_`|~09azAZ";
    expect(parseExtensionOffers(`${tchars}; ${tchars}=${tchars}`)).to.deep.equal([
      { name: tchars.toLowerCase(), params: [[tchars.toLowerCase(), tchars]] },
    ]);
    for (const separator of ['(', ')', '/', ':', '<', '>', '?', '@', '[', ']', '{', '}', '\\', '"']) {
      expect(parseExtensionOffers(`a${separator}b`), `a${separator}b`).to.equal(undefined);
    }
  });

  it('lowercases extension and parameter names, and keeps values as sent', () => {
    expect(parseExtensionOffers('PerMessage-Deflate; Client_Max_Window_Bits=Ten')).to.deep.equal([
      { name: 'permessage-deflate', params: [['client_max_window_bits', 'Ten']] },
    ]);
  });

  it('reads several header lines as one list, in order', () => {
    expect(parseExtensionOffers(['a; b', 'c', 'd; e=1'])).to.deep.equal([
      { name: 'a', params: [['b', true]] },
      { name: 'c', params: [] },
      { name: 'd', params: [['e', '1']] },
    ]);
  });
});
