/**
 * permessage-deflate through the sans-I/O core (RFC 7692 §5, §6, §7.2): the agreed 101, and
 * compressed text and binary messages, whole and fragmented, delivered as what they inflate to.
 */
import { expect } from 'chai';
import { deflateRawSync, constants } from 'node:zlib';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { clientFrame, HANDSHAKE_REQUEST } from './client-frame.js';

class Output extends DiscardingOutput {
  readonly written: Buffer[] = [];
  readonly events: string[] = [];
  override write(bytes: Uint8Array) { this.written.push(Buffer.from(bytes)); }
  override message(data: Buffer, isBinary: boolean) { this.events.push(`${isBinary ? 'binary' : 'text'} ${data.toString('hex')}`); }
  override protocolError(error: { code: string; closeCode: number }) { this.events.push(`error ${error.code} ${error.closeCode}`); }
}

function open(offer = 'permessage-deflate') {
  const out = new Output();
  const core = new ConnectionProtocol(out, {
    maxMessageSize: 1 << 20,
    perMessageDeflate: {},
    createCompressor: (agreed, options) => new PerMessageDeflateCodec(agreed, options),
  });
  core.receiveHandshake({ ...HANDSHAKE_REQUEST, headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-extensions': offer } });
  return { core, out };
}

/** RFC 7692 §7.2.1: raw deflate, sync flush, without the trailing 00 00 ff ff. */
function deflated(data: Uint8Array): Buffer {
  const output = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return output.subarray(0, output.length - 4);
}

describe('permessage-deflate through the core (RFC 7692)', () => {
  it('agrees in the 101 response with Sec-WebSocket-Extensions (§5)', () => {
    const { out } = open();
    expect(out.written[0]!.toString()).to.match(/\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n$/);
  });

  it('answers without the header when no offer was made', () => {
    const { out } = open('');
    expect(out.written[0]!.toString()).not.to.include('Sec-WebSocket-Extensions');
  });

  it('delivers a compressed binary message as binary, even when it is not UTF-8 (§6)', () => {
    const { core, out } = open();
    core.receiveData(clientFrame(0x2, deflated(Buffer.from([0xff, 0xfe, 0x00])), { rsv: 4 }));
    expect(out.events).to.deep.equal(['binary fffe00']);
  });

  it('delivers a compressed text message as text', () => {
    const { core, out } = open();
    core.receiveData(clientFrame(0x1, deflated(Buffer.from('héllo')), { rsv: 4 }));
    expect(out.events).to.deep.equal([`text ${Buffer.from('héllo').toString('hex')}`]);
  });

  it('delivers a fragmented compressed message, RSV1 on its first frame only (§6.1)', () => {
    const { core, out } = open();
    const payload = deflated(Buffer.from('fragmented'));
    for (const [opcode, text] of [[0x1, 'text'], [0x2, 'binary']] as const) {
      core.receiveData(Buffer.concat([
        clientFrame(opcode, payload.subarray(0, 3), { rsv: 4, fin: false }),
        clientFrame(0x0, payload.subarray(3)),
      ]));
      expect(out.events.at(-1)).to.equal(`${text} ${Buffer.from('fragmented').toString('hex')}`);
    }
  });

  it('delivers an uncompressed message on a compressing connection as it is', () => {
    const { core, out } = open();
    core.receiveData(Buffer.concat([clientFrame(0x1, 'plain'), clientFrame(0x2, Buffer.from([0xff]))]));
    expect(out.events).to.deep.equal([`text ${Buffer.from('plain').toString('hex')}`, 'binary ff']);
  });
});
