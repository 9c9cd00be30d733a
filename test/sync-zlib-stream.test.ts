import { expect } from 'chai';
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { SyncZlibStream, syncZlibStreamsWork, ZlibOutputTooLarge, ZlibStreamError } from '../src/permessage-deflate/sync-zlib-stream.js';

/** Bytes that deflate badly, so the compressed output is large too. */
function noise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = 0x12345678;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

describe('SyncZlibStream (a zlib context kept across messages, driven synchronously)', () => {
  it('works on this Node (the server declines permessage-deflate where it does not)', () => {
    expect(syncZlibStreamsWork).to.equal(true);
  });

  it('round-trips output larger than its 64 KiB scratch buffer, in one piece', () => {
    const input = noise(200_000);
    const deflater = new SyncZlibStream(createDeflateRaw({ level: 1 }));
    deflater.write(input, constants.Z_SYNC_FLUSH);
    const compressed = deflater.take();
    expect(compressed.length).to.be.above(64 * 1024);
    expect(inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH }).equals(input)).to.equal(true);
    const inflater = new SyncZlibStream(createInflateRaw());
    inflater.write(compressed, constants.Z_SYNC_FLUSH);
    expect(inflater.take().equals(input)).to.equal(true);
    deflater.close();
    inflater.close();
  });

  it('keeps the window between messages until reset', () => {
    const deflater = new SyncZlibStream(createDeflateRaw());
    const text = Buffer.from(noise(1000).toString('hex'));
    deflater.write(text, constants.Z_SYNC_FLUSH);
    const first = deflater.take();
    deflater.write(text, constants.Z_SYNC_FLUSH);
    const second = deflater.take();
    expect(second.length).to.be.below(first.length / 4);
    deflater.reset();
    deflater.write(text, constants.Z_SYNC_FLUSH);
    expect(deflater.take().equals(first)).to.equal(true);
    deflater.close();
  });

  it('drops the output of a write that does not keep it, uncounted by the limit, and keeps the window it left', () => {
    const inflater = new SyncZlibStream(createInflateRaw());
    const window = Buffer.from('a window of plaintext the next message refers back to. '.repeat(100));
    // RFC 1951 §3.2.4: one non-final stored block holding the window.
    const stored = Buffer.concat([Buffer.from([0x00, window.length & 0xff, window.length >> 8, ~window.length & 0xff, (~window.length >> 8) & 0xff]), window]);
    inflater.write(stored, constants.Z_SYNC_FLUSH, 10, false);
    expect(inflater.take().length).to.equal(0);
    const deflater = new SyncZlibStream(createDeflateRaw());
    deflater.write(window, constants.Z_SYNC_FLUSH);
    deflater.take();
    deflater.write(window, constants.Z_SYNC_FLUSH);
    const referringBack = deflater.take();
    inflater.write(referringBack, constants.Z_SYNC_FLUSH, window.length);
    expect(inflater.take().equals(window)).to.equal(true);
    inflater.close();
    deflater.close();
  });

  it('stops once the output passes the limit', () => {
    const bomb = deflateRawSync(Buffer.alloc(10_000_000), { finishFlush: constants.Z_SYNC_FLUSH });
    const inflater = new SyncZlibStream(createInflateRaw());
    expect(() => inflater.write(bomb, constants.Z_SYNC_FLUSH, 100_000)).to.throw(ZlibOutputTooLarge);
    inflater.close();
  });

  it('reports corrupt input, and refuses to go on once zlib closed the stream', () => {
    const inflater = new SyncZlibStream(createInflateRaw());
    expect(() => inflater.write(Buffer.from('ffffffff', 'hex'), constants.Z_SYNC_FLUSH)).to.throw(ZlibStreamError);
    expect(() => inflater.write(Buffer.from('f248cdc9c90700', 'hex'), constants.Z_SYNC_FLUSH)).to.throw(ZlibStreamError);
  });
});
