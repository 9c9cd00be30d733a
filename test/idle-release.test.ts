/**
 * Idle release (src/permessage-deflate/idle-release.ts, peer-window.ts, zlib-codec.ts): a quiet
 * connection gives back its zlib contexts, and its next messages still inflate and deflate as
 * RFC 7692 requires.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startEchoServer } from '../src/echo-server.js';
import { WebSocketServer } from '../src/server.js';
import { constants, createDeflateRaw, inflateRawSync } from 'node:zlib';
import { PerMessageDeflateCodec, CorruptDeflateData } from '../src/permessage-deflate/zlib-codec.js';
import { PeerWindow } from '../src/permessage-deflate/peer-window.js';
import { IdleSweep, idleSweep } from '../src/permessage-deflate/idle-release.js';
import { SyncZlibStream } from '../src/permessage-deflate/sync-zlib-stream.js';
import type { NegotiatedPerMessageDeflate } from '../src/permessage-deflate/negotiation.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** An idle time no interval reaches during the tests: the sweeps below are run by hand. */
const IDLE_MS = 3_600_000;

function agreed(clientMaxWindowBits = 15, overrides: Partial<NegotiatedPerMessageDeflate> = {}): NegotiatedPerMessageDeflate {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits,
    response: 'permessage-deflate',
    ...overrides,
  };
}

/** Two sweeps with no use between them: what the interval does once the idle time has passed. */
function passIdleTime(): void {
  const sweep = idleSweep(IDLE_MS);
  sweep.sweep();
  sweep.sweep();
  sweep.sweep();
}

/**
 * A client compressor with context takeover (§7.2.1): one zlib stream, sync-flushed after each
 * message, tail removed. zlib makes a window of 8 bits 9, as real clients do.
 */
function clientCompressor(windowBits: number, level = 6): (message: Uint8Array) => Buffer {
  const stream = new SyncZlibStream(createDeflateRaw({ windowBits: Math.max(9, windowBits), level, memLevel: 9 }));
  return (message) => {
    stream.write(message, constants.Z_SYNC_FLUSH);
    const out = stream.take();
    // §7.2.3.6: an empty message after a flush gives zlib nothing to write; send one empty stored block.
    return out.length === 0 ? Buffer.from([0x00]) : out.subarray(0, out.length - 4);
  };
}

/** A client inflater with context takeover: every message appended to one raw inflate stream. */
function clientInflater(): (message: Buffer) => Buffer {
  let received = Buffer.alloc(0);
  let seen = 0;
  return (message) => {
    received = Buffer.concat([received, message, TAIL]);
    const all = inflateRawSync(received, { finishFlush: constants.Z_SYNC_FLUSH });
    const output = all.subarray(seen);
    seen = all.length;
    return output;
  };
}

/** Text whose repeats lie far apart: deflate refers back across the whole window. */
function textWithFarRepeats(length: number, seed: number): Buffer {
  const words = ['state', 'socket', 'frame', 'window', 'deflate', 'inflate', 'message', 'idle', 'release', 'context'];
  let x = seed || 1;
  let text = '';
  while (text.length < length) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    text += words[x % words.length] + String(x % 97) + ' ';
  }
  return Buffer.from(text.slice(0, length));
}

describe('permessage-deflate idle release (RFC 7692 §7.1.1, §7.2.2)', () => {
  describe('the peer window kept as plaintext', () => {
    for (let bits = 8; bits <= 15; bits++) {
      const limit = 2 ** Math.max(bits, 9);
      it(`keeps at most ${limit} octets for client_max_window_bits=${bits}, the last ones`, () => {
        const window = new PeerWindow(bits);
        const data = textWithFarRepeats(3 * limit + 17, bits);
        for (let at = 0; at < data.length; at += 700) window.append(data.subarray(at, at + 700));
        expect(window.length).to.equal(limit);
        expect(window.octets.equals(data.subarray(data.length - limit))).to.equal(true);
        window.compact();
        expect(window.capacity).to.equal(limit);
      });
    }

    it('holds only what the peer sent when that is less than the window, exactly after compacting', () => {
      const window = new PeerWindow(15);
      window.append(Buffer.alloc(3000, 1));
      window.append(Buffer.alloc(5000, 2));
      expect(window.length).to.equal(8000);
      window.compact();
      expect(window.capacity).to.equal(8000);
    });

    it('is a valid stored block (RFC 1951 §3.2.4) that inflates to the window', () => {
      const window = new PeerWindow(12);
      const data = textWithFarRepeats(6000, 3);
      window.append(data);
      expect(window.storedBlocks()).to.have.length(2);
      const inflated = inflateRawSync(Buffer.concat([...window.storedBlocks(), TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
      expect(inflated.equals(data.subarray(6000 - 4096))).to.equal(true);
    });

    it('wraps as a ring: two stored blocks, oldest octets first, that inflate to the window', () => {
      const window = new PeerWindow(12);
      const data = textWithFarRepeats(4096 + 1000, 3);
      window.append(data.subarray(0, 4096));
      window.append(data.subarray(4096));
      expect(window.capacity).to.equal(4096);
      const blocks = window.storedBlocks();
      expect(blocks.map((part) => part.length)).to.deep.equal([5, 3096, 5, 1000]);
      const inflated = inflateRawSync(Buffer.concat([...blocks, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
      expect(inflated.equals(data.subarray(1000))).to.equal(true);
      expect(window.octets.equals(data.subarray(1000))).to.equal(true);
    });

    it('keeps the last octets through every way appends can wrap the ring (fast-check)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 8, max: 15 }), fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 12 }), (bits, sizes) => {
          const window = new PeerWindow(bits);
          let all = Buffer.alloc(0);
          for (const [index, size] of sizes.entries()) {
            const piece = Buffer.alloc(size, (index % 250) + 1);
            for (let i = 0; i < size; i += 97) piece[i] = i & 0xff;
            window.append(piece);
            all = Buffer.concat([all, piece]).subarray(-window.limit);
            if (index % 3 === 2) window.compact();
          }
          expect(window.length).to.equal(all.length);
          expect(window.octets.equals(all)).to.equal(true);
          if (all.length > 0) {
            const inflated = inflateRawSync(Buffer.concat([...window.storedBlocks(), TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
            expect(inflated.equals(all)).to.equal(true);
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('inflating after the release', () => {
    for (let bits = 8; bits <= 15; bits++) {
      it(`inflates a message that refers back into the restored window, client_max_window_bits=${bits}`, () => {
        const compress = clientCompressor(bits);
        const codec = new PerMessageDeflateCodec(agreed(bits), { releaseAfterIdleMs: IDLE_MS });
        const other = new PerMessageDeflateCodec(agreed(15), { releaseAfterIdleMs: IDLE_MS });
        const first = textWithFarRepeats(2 ** Math.max(bits, 9) * 2 + 100, bits);
        expect(codec.inflate([compress(first)], 1 << 20).equals(first)).to.equal(true);
        passIdleTime();
        // Another connection uses the shared inflater meanwhile: the window must come back from the copy.
        const otherMessage = textWithFarRepeats(5000, 99);
        expect(other.inflate([clientCompressor(15)(otherMessage)], 1 << 20).equals(otherMessage)).to.equal(true);
        // The end of the same text again: the client refers back into its window, so the message
        // cannot be read without it.
        const again = first.subarray(first.length - 2 ** Math.max(bits, 9));
        const compressed = compress(again);
        const withoutWindow = (): Buffer => inflateRawSync(Buffer.concat([compressed, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
        expect(withoutWindow).to.throw(/invalid distance too far back/);
        expect(codec.inflate([compressed], 1 << 20).equals(again)).to.equal(true);
        codec.close();
        other.close();
      });
    }

    it('fails with corrupt data when the client refers back beyond the window it agreed to (§7.1.2.2)', () => {
      const compress = clientCompressor(15);
      const codec = new PerMessageDeflateCodec(agreed(9), { releaseAfterIdleMs: IDLE_MS });
      const other = new PerMessageDeflateCodec(agreed(15), { releaseAfterIdleMs: IDLE_MS });
      const message = textWithFarRepeats(4000, 5);
      codec.inflate([compress(message)], 1 << 20);
      other.inflate([clientCompressor(15)(Buffer.from('in between'))], 1 << 20);
      expect(() => codec.inflate([compress(message)], 1 << 20)).to.throw(CorruptDeflateData);
      codec.close();
      other.close();
    });

    it('starts afresh after a message ended by a block with BFINAL set (§7.2.3.3), released or not', () => {
      for (const release of [false, true]) {
        const codec = new PerMessageDeflateCodec(agreed(15), { releaseAfterIdleMs: IDLE_MS });
        // §7.2.3.3: "Hello" in a final block, then one octet of a stored block's header and padding.
        expect(codec.inflate([Buffer.from('f348cdc9c9070000', 'hex')], 100).toString()).to.equal('Hello');
        expect(codec.peerWindow!.length).to.equal(0);
        if (release) passIdleTime();
        expect(codec.inflate([Buffer.from('f248cdc9c90700', 'hex')], 100).toString()).to.equal('Hello');
        // §7.2.3.2: "Hello" again, referring back to the message before.
        if (release) passIdleTime();
        expect(codec.inflate([Buffer.from('f200110000', 'hex')], 100).toString()).to.equal('Hello');
        codec.close();
      }
    });

    it('keeps no window with client_no_context_takeover (§7.1.1.2)', () => {
      const codec = new PerMessageDeflateCodec(agreed(15, { clientNoContextTakeover: true }), { releaseAfterIdleMs: IDLE_MS });
      expect(codec.peerWindow).to.equal(undefined);
      const hello = Buffer.from('f248cdc9c90700', 'hex');
      expect(codec.inflate([hello], 100).toString()).to.equal('Hello');
      expect(codec.inflate([hello], 100).toString()).to.equal('Hello');
      // A reference back must fail: the context is not kept.
      expect(() => codec.inflate([Buffer.from('f200110000', 'hex')], 100)).to.throw(CorruptDeflateData);
      codec.close();
    });
  });

  describe('deflating after the release', () => {
    it('gives back its own deflate context and compresses the next message without history (§7.1.1.1)', () => {
      const codec = new PerMessageDeflateCodec(agreed(), { releaseAfterIdleMs: IDLE_MS });
      const peer = clientInflater();
      const text = textWithFarRepeats(3000, 7);
      const first = codec.deflate(text);
      const second = codec.deflate(text);
      expect(codec.holdsDeflateContext).to.equal(true);
      const third = codec.deflate(text);
      expect(third.length).to.be.below(first.length / 4);
      passIdleTime();
      expect(codec.holdsDeflateContext).to.equal(false);
      const afterRelease = codec.deflate(text);
      expect(afterRelease.equals(first)).to.equal(true);
      for (const message of [first, second, third, afterRelease]) expect(peer(message).equals(text)).to.equal(true);
      codec.close();
    });

    it('never keeps a deflate context of its own with releaseAfterIdleMs 0 or server_no_context_takeover', () => {
      for (const [negotiated, releaseAfterIdleMs] of [[agreed(), 0], [agreed(15, { serverNoContextTakeover: true }), IDLE_MS]] as const) {
        const codec = new PerMessageDeflateCodec(negotiated, { releaseAfterIdleMs });
        const peer = clientInflater();
        const text = textWithFarRepeats(2000, 11);
        for (let i = 0; i < 3; i++) expect(peer(codec.deflate(text)).equals(text)).to.equal(true);
        expect(codec.holdsDeflateContext).to.equal(false);
        codec.close();
      }
    });
  });

  describe('the sweep', () => {
    it('releases a compressor between one and one and a half idle times after its last use', () => {
      const sweep = new IdleSweep(100);
      let released = 0;
      const member = { idleTick: 0, swept: false, releaseIdle: () => released++ };
      sweep.touch(member);
      sweep.sweep(); // 50 ms
      sweep.touch(member);
      sweep.sweep(); // 100 ms
      sweep.sweep(); // 150 ms: 100 ms at least since the last use, not yet 2 ticks
      expect(released).to.equal(0);
      sweep.sweep(); // 200 ms
      expect(released).to.equal(1);
      expect(sweep.size).to.equal(0);
    });

    it('runs one unref\'d interval for all connections, and none once they are all released or closed', async () => {
      const codecs = Array.from({ length: 50 }, () => new PerMessageDeflateCodec(agreed(), { releaseAfterIdleMs: 20 }));
      for (const codec of codecs) {
        codec.deflate(Buffer.alloc(2000, 0x61));
        codec.deflate(Buffer.alloc(2000, 0x61));
      }
      expect(codecs.every((codec) => codec.holdsDeflateContext)).to.equal(true);
      expect(idleSweep(20).size).to.equal(50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(codecs.some((codec) => codec.holdsDeflateContext)).to.equal(false);
      expect(idleSweep(20).size).to.equal(0);
      codecs[0]!.deflate(Buffer.alloc(10, 0x61));
      expect(idleSweep(20).size).to.equal(1);
      codecs[0]!.close();
      expect(idleSweep(20).size).to.equal(0);
    });
  });

  describe('over TCP', () => {
    it('echoes messages that refer back across the idle release, with another connection in between (§7.2.2)', async () => {
      const echo = await startEchoServer({ port: 0, perMessageDeflate: { releaseAfterIdleMs: 20 } });
      try {
        const open = async (): Promise<WebSocket> => {
          const client = new WebSocket(echo.url, { perMessageDeflate: { threshold: 0 } });
          await once(client, 'open');
          expect(client.extensions).to.match(/^permessage-deflate/);
          return client;
        };
        const roundTrip = async (client: WebSocket, text: string): Promise<string> => {
          const reply = new Promise<string>((resolve, reject) => {
            client.once('message', (data) => resolve(String(data)));
            client.once('close', (code) => reject(new Error(`closed with ${code}`)));
          });
          client.send(text);
          const answer = await reply;
          client.removeAllListeners('close');
          return answer;
        };
        const [one, two] = [await open(), await open()];
        const text = textWithFarRepeats(20_000, 42).toString();
        for (let round = 0; round < 3; round++) {
          expect(await roundTrip(one, text)).to.equal(text);
          expect(await roundTrip(one, text)).to.equal(text);
          expect(await roundTrip(two, `in between ${round}`)).to.equal(`in between ${round}`);
          // Past the idle time: the server released its contexts; ws's client kept its own and refers back.
          await new Promise((resolve) => setTimeout(resolve, 80));
          expect(idleSweep(20).size).to.equal(0);
        }
        one.close();
        two.close();
      } finally {
        await echo.close();
      }
    });

    it('refuses a releaseAfterIdleMs that is not a whole number of milliseconds from 0 to 2^31 − 1', () => {
      for (const releaseAfterIdleMs of [-1, 1.5, 2 ** 31]) {
        expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: { releaseAfterIdleMs } })).to.throw(RangeError, /releaseAfterIdleMs/);
      }
      expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: { releaseAfterIdleMs: 0 } })).not.to.throw();
    });
  });

  describe('property: random messages, random idle points, several connections', () => {
    it('every message inflates to what the client sent, and every reply to what the server sent', () => {
      const message = fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.tuple(fc.integer({ min: 1, max: 40_000 }), fc.integer({ min: 1, max: 1000 })).map(([length, seed]) => textWithFarRepeats(length, seed)),
      );
      const step = fc.record({ connection: fc.integer({ min: 0, max: 2 }), message, idleAfter: fc.boolean(), reply: fc.boolean() });
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 8, max: 15 }), { minLength: 3, maxLength: 3 }), fc.array(step, { maxLength: 25 }), (bits, steps) => {
          const connections = bits.map((windowBits) => ({
            codec: new PerMessageDeflateCodec(agreed(windowBits), { releaseAfterIdleMs: IDLE_MS, level: 1 }),
            compress: clientCompressor(windowBits),
            inflate: clientInflater(),
          }));
          try {
            for (const { connection, message, idleAfter, reply } of steps) {
              const { codec, compress, inflate } = connections[connection]!;
              const inflated = codec.inflate([compress(message)], 1 << 20);
              expect(inflated.equals(Buffer.from(message))).to.equal(true);
              if (reply) expect(inflate(codec.deflate(message)).equals(Buffer.from(message))).to.equal(true);
              expect(codec.peerWindow!.length).to.be.at.most(2 ** Math.max(bits[connection]!, 9));
              if (idleAfter) passIdleTime();
            }
          } finally {
            for (const { codec } of connections) codec.close();
          }
        }),
        { numRuns: 60 },
      );
    });
  });
});
