/**
 * Zip bombs (RFC 7692 §8.1 ... "a malicious peer could send a highly compressed message"): the
 * echo server, in this process, with a 16 MiB message limit and permessage-deflate on, against
 * compressed messages whose inflated size is at, just over, and far over the limit.
 *
 * The bomb is one frame of about 1 MB that inflates to 1 GiB of zeros: DEFLATE cannot do much
 * better (at most 258 octets per 2 bits, about 1:1032), so a frame that inflates to 1 GiB is at
 * least 1 MB. The server must fail the connection with 1009 as soon as the inflated size passes
 * the limit, without inflating the rest, so its memory grows by about the limit, not by 1 GiB.
 */
import { expect } from 'chai';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { startEchoServer, type EchoServer } from '../src/echo-server.js';
import { Opcode } from './conformance/case.js';
import { WireClient } from './conformance/wire-client.js';

const MiB = 1024 * 1024;
const MESSAGE_LIMIT = 16 * MiB;
/** The bomb inflates to this many MiB of zeros: 1 GiB. */
const BOMB_MEBIBYTES = 1024;
const OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';
/** §7.2.1: the end of every sync flush, which a sender removes and the receiver puts back. */
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Writes `input` to a zlib stream, sync-flushes, and resolves with what came out. */
function flushThrough(stream: ReturnType<typeof createDeflateRaw>, input: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => chunks.push(chunk);
  stream.on('data', onData);
  stream.write(input);
  return new Promise((resolve) =>
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      resolve(Buffer.concat(chunks));
    }),
  );
}

/**
 * A permessage-deflate payload that inflates to `mebibytes` MiB of zeros. One stream compresses
 * 1 MiB of zeros twice: the first piece starts the window, the second only refers back into
 * zeros, so every further copy of the second piece adds another MiB of zeros. The last sync
 * flush's 00 00 ff ff is removed, as §7.2.1 says.
 */
async function zeroBomb(mebibytes: number): Promise<Buffer> {
  const deflater = createDeflateRaw({ level: 9, memLevel: 9 });
  const zeros = Buffer.alloc(MiB);
  const first = await flushThrough(deflater, zeros);
  const repeated = await flushThrough(deflater, zeros);
  deflater.close();
  const bomb = Buffer.concat([first, ...Array<Buffer>(mebibytes - 1).fill(repeated)]);
  expect(bomb.subarray(-4)).to.deep.equal(SYNC_FLUSH_TAIL);
  return bomb.subarray(0, bomb.length - SYNC_FLUSH_TAIL.length);
}

/** How many octets `payload` inflates to, counted as they stream out (never held). */
function inflatedSize(payload: Buffer): Promise<number> {
  const inflater = createInflateRaw();
  let size = 0;
  inflater.on('data', (chunk: Buffer) => (size += chunk.length));
  inflater.write(payload);
  inflater.write(SYNC_FLUSH_TAIL);
  return new Promise((resolve) =>
    inflater.flush(constants.Z_SYNC_FLUSH, () => {
      inflater.close();
      resolve(size);
    }),
  );
}

/** A compressible payload of exactly `length` octets. */
function pattern(length: number): Buffer {
  return Buffer.alloc(length, 'statesocket zip bomb test; ');
}

function megabytes(octets: number): string {
  return `${(octets / MiB).toFixed(1)} MiB`;
}

describe('permessage-deflate against zip bombs (16 MiB message limit)', function () {
  this.timeout(60_000);
  let echo: EchoServer;
  let bomb: Buffer;
  /** The codes of the ProtocolErrors the server reported, in order. */
  const serverErrors: [string, number][] = [];

  before(async function () {
    bomb = await zeroBomb(BOMB_MEBIBYTES);
    echo = await startEchoServer({ host: '127.0.0.1', port: 0, maxMessageSize: MESSAGE_LIMIT });
    echo.server.on('connection', (connection) => connection.on('error', (error: { code: string; closeCode: number }) => serverErrors.push([error.code, error.closeCode])));
  });

  after(async function () {
    await echo?.close();
  });

  async function connect(name: string): Promise<WireClient> {
    const client = await WireClient.connect(echo.url, `/zip-bomb/${name}`, { extensionOffer: OFFER });
    expect(client.agreedDeflate, 'permessage-deflate agreed').to.not.equal(undefined);
    return client;
  }

  it('fails with 1009 at once, its memory growing by less than twice the limit, on one 1 MB frame that inflates to 1 GiB', async function () {
    const client = await connect('one-frame');
    serverErrors.length = 0;
    const before = process.memoryUsage();
    const started = performance.now();
    // RFC 7692 §6: RSV1 on a single final frame: one whole compressed message.
    await client.sendFrame({ opcode: Opcode.binary, rsv: 0b100, payload: bomb });
    await client.closed;
    const elapsedMs = performance.now() - started;
    const after = process.memoryUsage();
    const outcome = client.outcome();

    const rssGrowth = after.rss - before.rss;
    const externalGrowth = after.external - before.external;
    const arrayBuffersGrowth = after.arrayBuffers - before.arrayBuffers;
    console.log(
      `      zip bomb: a ${(bomb.length / 1e6).toFixed(2)} MB frame inflating to ${BOMB_MEBIBYTES / 1024} GiB; ` +
        `Close ${outcome.serverCloseCode} after ${Math.round(elapsedMs)} ms; ` +
        `process memory growth: rss ${megabytes(rssGrowth)}, external ${megabytes(externalGrowth)}, ` +
        `arrayBuffers ${megabytes(arrayBuffersGrowth)} (limit ${megabytes(MESSAGE_LIMIT)}; rss ${megabytes(after.rss)} in all)`,
    );

    // RFC 6455 §7.4.1: 1009, "a message that is too big for it to process".
    expect(outcome.closeStartedBy).to.equal('server');
    expect(outcome.serverCloseCode).to.equal(1009);
    expect(outcome.droppedByClient, outcome.droppedReason).to.equal(false);
    expect(serverErrors).to.deep.equal([['WS_ERR_MESSAGE_TOO_BIG', 1009]]);
    expect(elapsedMs).to.be.below(1000);
    expect(rssGrowth).to.be.below(2 * MESSAGE_LIMIT);
    expect(externalGrowth).to.be.below(2 * MESSAGE_LIMIT);
    expect(arrayBuffersGrowth).to.be.below(2 * MESSAGE_LIMIT);
  });

  it('echoes a compressed message that inflates to exactly the limit', async function () {
    const client = await connect('at-limit');
    const message = pattern(MESSAGE_LIMIT);
    const sent = await client.sendMessage(Opcode.binary, message);
    expect(sent.compressed).to.equal(true);
    await client.waitForMessages(1);
    await client.sendClose(1000);
    await client.closed;
    const [echoed] = client.received;
    expect(echoed?.[0]).to.equal('message');
    expect(Buffer.from(echoed![1] as Uint8Array).equals(message), 'the echo equals the message').to.equal(true);
    expect(client.outcome().wasClean).to.equal(true);
  });

  it('fails with 1009 on a fragmented compressed message that inflates to one octet over the limit', async function () {
    const client = await connect('fragmented-over-limit');
    serverErrors.length = 0;
    // The client compresses the whole message, then cuts the compressed octets into 4 KiB frames.
    const sent = await client.sendMessage(Opcode.text, pattern(MESSAGE_LIMIT + 1), { fragmentSize: 4096 });
    expect(sent.frames).to.be.above(1);
    await client.closed;
    expect(client.received).to.deep.equal([]);
    expect(client.outcome().serverCloseCode).to.equal(1009);
    expect(serverErrors).to.deep.equal([['WS_ERR_MESSAGE_TOO_BIG', 1009]]);
  });

  it('fails with 1009 on the 1 GiB bomb cut into 64 KiB frames', async function () {
    const client = await connect('fragmented-bomb');
    serverErrors.length = 0;
    const frameSize = 64 * 1024;
    for (let start = 0; start < bomb.length; start += frameSize) {
      await client.sendFrame({
        opcode: start === 0 ? Opcode.binary : Opcode.continuation,
        rsv: start === 0 ? 0b100 : 0,
        fin: start + frameSize >= bomb.length,
        payload: bomb.subarray(start, start + frameSize),
      });
    }
    await client.closed;
    expect(client.outcome().serverCloseCode).to.equal(1009);
    expect(serverErrors).to.deep.equal([['WS_ERR_MESSAGE_TOO_BIG', 1009]]);
  });

  // Last, so that the gigabyte it streams through zlib is not garbage during the memory test.
  it('uses a bomb that really inflates to 1 GiB', async function () {
    expect(bomb.length).to.be.below(1.1e6);
    expect(await inflatedSize(bomb)).to.equal(BOMB_MEBIBYTES * MiB);
  });
});
