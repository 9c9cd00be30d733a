/**
 * The input that crashes ws 8.23 with permessage-deflate (issue 14, point 6): a compressed message
 * that takes a while to inflate, then a Close whose reason is invalid UTF-8, then any frame, each
 * in its own TCP write. statesocket answers with the RFC's close code and stays up. And the family
 * around it: every control-frame failure arriving while a compressed message is in progress, in
 * several chunkings.
 */
import { expect } from 'chai';
import { constants, deflateRawSync } from 'node:zlib';
import { startEchoServer, type EchoServer } from '../src/echo-server.js';
import { CloseCode } from '../src/close-code.js';
import { clientFrame, closeBody } from './client-frame.js';
import { closeCodeIn, DEFLATE_OFFER, RawTcpClient, serverFrames } from './raw-tcp-client.js';

/** RFC 7692 §7.2.1: compress, then drop the 4 octets 0x00 0x00 0xff 0xff of the final flush. */
function compress(data: Buffer): Buffer {
  const deflated = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return deflated.subarray(0, deflated.length - 4);
}

/** 4 MiB of zeros: a few KiB on the wire, a while to inflate. */
const SLOW_TO_INFLATE = compress(Buffer.alloc(4 * 1024 * 1024));
const INVALID_UTF8_REASON = Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64]);

/** Control-frame failures (RFC 6455 §5.5, §5.5.1, §7.4, §8.1; RFC 7692 §6) and the code each fails with. */
const CONTROL_FAILURES: [string, Buffer, number][] = [
  ['a Close whose reason is invalid UTF-8', clientFrame(0x8, closeBody(1000, INVALID_UTF8_REASON)), CloseCode.invalidPayloadData],
  ['a Close with a 1-byte body', clientFrame(0x8, Buffer.from([0x03])), CloseCode.protocolError],
  ['a Close with code 1005', clientFrame(0x8, closeBody(1005)), CloseCode.protocolError],
  ['a Ping with FIN clear', clientFrame(0x9, 'x', { fin: false }), CloseCode.protocolError],
  ['a Ping of 126 bytes', clientFrame(0x9, Buffer.alloc(126)), CloseCode.protocolError],
  ['a Ping with RSV1 set', clientFrame(0x9, 'x', { rsv: 4 }), CloseCode.protocolError],
  ['a frame with the reserved control opcode 0xB', clientFrame(0xb, 'x'), CloseCode.protocolError],
];

/** How the frames are cut into TCP writes. */
const CHUNKINGS: [string, (frames: Buffer[]) => Buffer[]][] = [
  ['each frame its own TCP write', (frames) => frames],
  ['all in one TCP write', (frames) => [Buffer.concat(frames)]],
  ['in 1,000-byte writes', (frames) => {
    const all = Buffer.concat(frames);
    const writes: Buffer[] = [];
    for (let i = 0; i < all.length; i += 1000) writes.push(all.subarray(i, i + 1000));
    return writes;
  }],
];

async function sendInWrites(client: RawTcpClient, writes: Buffer[]): Promise<void> {
  for (const bytes of writes) {
    client.socket.write(bytes);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('Control-frame failures while a compressed message is inflating (the input that crashes ws 8.23)', () => {
  let echo: EchoServer;
  before(async () => {
    echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await echo.close();
  });

  async function openDeflateClient(): Promise<RawTcpClient> {
    const client = new RawTcpClient(echo.port);
    const head = await client.upgrade(DEFLATE_OFFER);
    expect(head).to.match(/Sec-WebSocket-Extensions: permessage-deflate/i);
    return client;
  }

  async function expectServerStaysUp(): Promise<void> {
    const client = await openDeflateClient();
    client.socket.write(clientFrame(0x1, 'still up'));
    await client.waitFor(() => serverFrames(client.received).length === 1);
    client.socket.destroy();
  }

  it('answers a slow-to-inflate message, a Close with an invalid UTF-8 reason, then a frame — each its own TCP write — with 1007 and stays up', async () => {
    const client = await openDeflateClient();
    client.socket.write(clientFrame(0x2, SLOW_TO_INFLATE, { rsv: 4 }));
    client.socket.write(clientFrame(0x8, closeBody(1000, INVALID_UTF8_REASON)));
    client.socket.write(clientFrame(0x1, 'after the close'));
    await client.waitFor(() => closeCodeIn(client.received) !== undefined, 5000);
    expect(closeCodeIn(client.received)).to.equal(CloseCode.invalidPayloadData);
    // The echo of the message came first (§5.4: control frames may follow a whole message).
    expect(serverFrames(client.received)[0]![0]).to.equal(0x2);
    await client.waitFor(() => client.serverEnded);
    client.socket.destroy();
    await expectServerStaysUp();
  });

  for (const [failure, controlFrame, code] of CONTROL_FAILURES) {
    for (const [chunking, cut] of CHUNKINGS) {
      it(`fails with ${code} on ${failure} between the fragments of a compressed message, ${chunking}`, async () => {
        const client = await openDeflateClient();
        const half = SLOW_TO_INFLATE.length >> 1;
        const frames = [
          clientFrame(0x2, SLOW_TO_INFLATE.subarray(0, half), { rsv: 4, fin: false }),
          controlFrame,
          clientFrame(0x0, SLOW_TO_INFLATE.subarray(half)),
          clientFrame(0x1, 'any frame after'),
        ];
        await sendInWrites(client, cut(frames));
        await client.waitFor(() => closeCodeIn(client.received) !== undefined, 5000);
        // Nothing was delivered: the message never completed before the failure.
        expect(serverFrames(client.received).map(([opcode]) => opcode)).to.deep.equal([0x8]);
        expect(closeCodeIn(client.received)).to.equal(code);
        await client.waitFor(() => client.serverEnded);
        client.socket.destroy();
      });
    }
  }

  it('is still up after all of them', async () => {
    await expectServerStaysUp();
    expect(echo.server.connections.size).to.be.at.most(1);
  });
});
