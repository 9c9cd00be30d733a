import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import { parseExtensionOffers } from '../src/permessage-deflate/extension-header.js';
import { negotiatePerMessageDeflate, type PerMessageDeflateOptions } from '../src/permessage-deflate/negotiation.js';
import { PerMessageDeflateCodec, InflatedTooLarge, CorruptDeflateData } from '../src/permessage-deflate/zlib-codec.js';

function negotiate(header: string | string[], options: PerMessageDeflateOptions = {}) {
  const offers = parseExtensionOffers(header);
  return offers && negotiatePerMessageDeflate(offers, options)?.response;
}

describe('permessage-deflate (RFC 7692)', () => {
  describe('Sec-WebSocket-Extensions grammar (RFC 6455 §9.1)', () => {
    it('reads several offers, parameters with and without values, and quoted values', () => {
      expect(parseExtensionOffers('permessage-deflate; client_max_window_bits, x-foo; a="bc"')).to.deep.equal([
        { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
        { name: 'x-foo', params: [['a', 'bc']] },
      ]);
      expect(parseExtensionOffers(['permessage-deflate;server_max_window_bits="10"', 'foo'])).to.deep.equal([
        { name: 'permessage-deflate', params: [['server_max_window_bits', '10']] },
        { name: 'foo', params: [] },
      ]);
    });

    for (const malformed of ['', ';', 'permessage-deflate;', 'permessage-deflate; a=', 'a, , b', 'a; b="unterminated', 'a; b="not a token"', 'a b']) {
      it(`finds ${JSON.stringify(malformed)} malformed`, () => {
        expect(parseExtensionOffers(malformed)).to.equal(undefined);
      });
    }

    it('has no offers when the header is absent', () => {
      expect(parseExtensionOffers(undefined)).to.deep.equal([]);
    });
  });

  describe('negotiation (§7.1)', () => {
    it('accepts a plain offer with a plain response', () => {
      expect(negotiate('permessage-deflate')).to.equal('permessage-deflate');
    });

    it('declines window bits that are not a decimal 8–15 without leading zeros (RFC 7692 §7.1.2)', () => {
      for (const bits of ['150', '7', '16', '09', '1O']) {
        expect(negotiate(`permessage-deflate; client_max_window_bits=${bits}`), `client ${bits}`).to.equal(undefined);
        expect(negotiate(`permessage-deflate; server_max_window_bits=${bits}`), `server ${bits}`).to.equal(undefined);
      }
    });

    it('announces client_max_window_bits when the offer named a value, even 15', () => {
      expect(negotiate('permessage-deflate; client_max_window_bits=15')).to.equal('permessage-deflate; client_max_window_bits=15');
    });

    it('answers what Autobahn section 12 offers', () => {
      expect(negotiate('permessage-deflate; client_no_context_takeover; client_max_window_bits')).to.equal(
        'permessage-deflate; client_no_context_takeover',
      );
    });

    it('confirms server_no_context_takeover and a server window the client limits', () => {
      expect(negotiate('permessage-deflate; server_no_context_takeover; server_max_window_bits=9')).to.equal(
        'permessage-deflate; server_no_context_takeover; server_max_window_bits=9',
      );
    });

    it('declines a server window of 8 bits, which zlib cannot keep, and takes the next offer', () => {
      expect(negotiate('permessage-deflate; server_max_window_bits=8, permessage-deflate')).to.equal('permessage-deflate');
      expect(negotiate('permessage-deflate; server_max_window_bits=8')).to.equal(undefined);
    });

    it('limits the client window only when the offer allows it, never above the offered value', () => {
      expect(negotiate('permessage-deflate', { clientMaxWindowBits: 10 })).to.equal('permessage-deflate');
      expect(negotiate('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })).to.equal(
        'permessage-deflate; client_max_window_bits=10',
      );
      expect(negotiate('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 12 })).to.equal(
        'permessage-deflate; client_max_window_bits=9',
      );
    });

    it('never raises the server window above what the client offered', () => {
      expect(negotiate('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 })).to.equal(
        'permessage-deflate; server_max_window_bits=10',
      );
      expect(negotiate('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 })).to.equal(
        'permessage-deflate; server_max_window_bits=10',
      );
    });

    it('adds the no-context-takeover parameters the server is configured to require', () => {
      expect(negotiate('permessage-deflate', { serverNoContextTakeover: true, clientNoContextTakeover: true })).to.equal(
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      );
    });

    const declined = [
      'permessage-deflate; unknown_param',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; client_no_context_takeover=yes',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=010',
      'permessage-deflate; client_max_window_bits=7',
      'permessage-deflate; client_max_window_bits; client_max_window_bits',
      'x-webkit-deflate-frame',
      'permessage-deflate; server_max_window_bits=10; bad token',
    ];
    for (const offer of declined) {
      it(`declines ${offer}`, () => {
        expect(negotiate(offer)).to.equal(undefined);
      });
    }
  });

  describe('codec (§7.2)', () => {
    const agreed = (clientNoContextTakeover: boolean) => ({
      serverNoContextTakeover: false,
      clientNoContextTakeover,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
      response: 'permessage-deflate',
    });
    /** What a client sends: a sync-flushed raw deflate stream without its 00 00 ff ff tail. */
    const clientCompress = (text: string) => {
      const out = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
      return out.subarray(0, out.length - 4);
    };

    it('round-trips a message and strips the 00 00 ff ff tail (§7.2.1)', () => {
      const codec = new PerMessageDeflateCodec(agreed(true), {});
      const compressed = codec.deflate(Buffer.from('Hello, Hello, Hello'));
      expect(compressed.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).to.equal(false);
      expect(codec.inflate([compressed], 100).toString()).to.equal('Hello, Hello, Hello');
    });

    it('inflates the "Hello" example of §7.2.3.1 and the same message in two fragments', () => {
      const codec = new PerMessageDeflateCodec(agreed(true), {});
      const hello = Buffer.from('f248cdc9c90700', 'hex');
      expect(codec.inflate([hello], 100).toString()).to.equal('Hello');
      expect(codec.inflate([hello.subarray(0, 3), hello.subarray(3)], 100).toString()).to.equal('Hello');
    });

    it('honours the client context takeover: a message may refer back to the previous one (§7.2.3.2)', () => {
      const codec = new PerMessageDeflateCodec(agreed(false), {});
      // §7.2.3.2: "Hello" then "Hello" compressed with context takeover.
      expect(codec.inflate([Buffer.from('f248cdc9c90700', 'hex')], 100).toString()).to.equal('Hello');
      expect(codec.inflate([Buffer.from('f200110000', 'hex')], 100).toString()).to.equal('Hello');
    });

    it('stops inflating at the limit', () => {
      const codec = new PerMessageDeflateCodec(agreed(true), {});
      const bomb = clientCompress('a'.repeat(1_000_000));
      expect(() => codec.inflate([bomb], 1000)).to.throw(InflatedTooLarge);
      expect(codec.inflate([clientCompress('a'.repeat(1000))], 1000).length).to.equal(1000);
    });

    it('reports corrupt data', () => {
      const codec = new PerMessageDeflateCodec(agreed(true), {});
      expect(() => codec.inflate([Buffer.from('ffffffff', 'hex')], 1000)).to.throw(CorruptDeflateData);
    });

    it('inflates again after corrupt data and after the limit, in a context shared by connections', () => {
      const first = new PerMessageDeflateCodec(agreed(true), {});
      const second = new PerMessageDeflateCodec(agreed(true), {});
      expect(() => first.inflate([Buffer.from('ffffffff', 'hex')], 1000)).to.throw(CorruptDeflateData);
      expect(second.inflate([clientCompress('after corrupt data')], 1000).toString()).to.equal('after corrupt data');
      expect(() => first.inflate([clientCompress('b'.repeat(5000))], 1000)).to.throw(InflatedTooLarge);
      expect(second.inflate([clientCompress('after the limit')], 1000).toString()).to.equal('after the limit');
    });

    it('inflates a message ended by a block with BFINAL set, and the next message after it (§7.2.3.3)', () => {
      for (const clientNoContextTakeover of [false, true]) {
        const codec = new PerMessageDeflateCodec(agreed(clientNoContextTakeover), {});
        // §7.2.3.3: "Hello" in a final block, then one octet: a stored block's header and padding.
        expect(codec.inflate([Buffer.from('f348cdc9c9070000', 'hex')], 100).toString()).to.equal('Hello');
        expect(codec.inflate([Buffer.from('f248cdc9c90700', 'hex')], 100).toString()).to.equal('Hello');
      }
    });

    it('keeps each connection\'s client context apart (§7.2.3.2)', () => {
      const one = new PerMessageDeflateCodec(agreed(false), {});
      const two = new PerMessageDeflateCodec(agreed(false), {});
      const hello = Buffer.from('f248cdc9c90700', 'hex');
      const helloAgain = Buffer.from('f200110000', 'hex');
      expect(one.inflate([hello], 100).toString()).to.equal('Hello');
      expect(two.inflate([hello], 100).toString()).to.equal('Hello');
      expect(one.inflate([helloAgain], 100).toString()).to.equal('Hello');
      expect(two.inflate([helloAgain], 100).toString()).to.equal('Hello');
    });

    /** A peer's inflater with context takeover: each message appended to one raw inflate stream. */
    const peerInflater = () => {
      let received = Buffer.alloc(0);
      return (message: Buffer) => {
        received = Buffer.concat([received, message, Buffer.from([0, 0, 0xff, 0xff])]);
        return inflateRawSync(received, { finishFlush: constants.Z_SYNC_FLUSH });
      };
    };

    it('refers back to its earlier messages from its second message within the idle time, when the server keeps its context (§7.1.1.1)', () => {
      const codec = new PerMessageDeflateCodec(agreed(false), { level: 6 });
      const text = Buffer.from(randomBytes(1000).toString('hex'));
      const inflateAll = peerInflater();
      const first = codec.deflate(text);
      expect(codec.holdsDeflateContext).to.equal(false);
      const second = codec.deflate(text);
      expect(codec.holdsDeflateContext).to.equal(true);
      const third = codec.deflate(text);
      expect(second.length).to.equal(first.length);
      expect(third.length).to.be.below(second.length / 4);
      expect(inflateAll(first).toString()).to.equal(text.toString());
      expect(inflateAll(second).toString()).to.equal(text.toString().repeat(2));
      expect(inflateAll(third).toString()).to.equal(text.toString().repeat(3));
      codec.close();
    });

    it('compresses each message on its own with server_no_context_takeover (§7.1.1.1)', () => {
      const codec = new PerMessageDeflateCodec({ ...agreed(false), serverNoContextTakeover: true }, {});
      const text = Buffer.from('no context, '.repeat(200));
      const first = codec.deflate(text);
      const second = codec.deflate(text);
      expect(second.equals(first)).to.equal(true);
      expect(inflateRawSync(Buffer.concat([second, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }).toString()).to.equal(text.toString());
    });

    it('sends an empty message as the single octet 0x00 (§7.2.3.6)', () => {
      const codec = new PerMessageDeflateCodec(agreed(false), { threshold: 0 });
      expect([...codec.deflate(Buffer.alloc(0))]).to.deep.equal([0x00]);
      const inflateAll = peerInflater();
      expect(inflateAll(codec.deflate(Buffer.alloc(0))).length).to.equal(0);
    });

    it('releases its contexts on close, and starts fresh ones if used again', () => {
      const codec = new PerMessageDeflateCodec(agreed(false), {});
      codec.deflate(Buffer.from('x'.repeat(2000)));
      codec.inflate([clientCompress('y')], 10);
      codec.close();
      expect(codec.inflate([clientCompress('a fresh context')], 100).toString()).to.equal('a fresh context');
    });
  });
});
