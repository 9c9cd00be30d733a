/**
 * The probe's reader of server frames (src/probe/server-frame-reader.ts): what a server may still
 * send after its Close frame.
 */
import { expect } from 'chai';
import { ServerFrameReader } from '../src/probe/server-frame-reader.js';

/** An unmasked frame with FIN set, as a server sends it. */
function serverFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

const CLOSE_1000 = serverFrame(0x8, Buffer.from([0x03, 0xe8]));

describe('ServerFrameReader after the server\'s Close (RFC 6455 §5.5.1)', () => {
  it('observes a Pong after the Close: only data frames are forbidden, and a Ping is still answered (§5.5.2)', () => {
    const reader = new ServerFrameReader(false);
    const observed = reader.push(Buffer.concat([CLOSE_1000, serverFrame(0xa, Buffer.from('ping 1'))]));
    expect(observed.map((o) => o.kind)).to.deep.equal(['close', 'pong']);
  });

  it('reports a data frame after the Close as a violation', () => {
    const reader = new ServerFrameReader(false);
    const observed = reader.push(Buffer.concat([CLOSE_1000, serverFrame(0x1, Buffer.from('late'))]));
    expect(observed.at(-1)).to.deep.equal({ kind: 'violation', what: 'a data frame after its Close frame' });
  });

  it('reports a second Close as a violation', () => {
    const reader = new ServerFrameReader(false);
    const observed = reader.push(Buffer.concat([CLOSE_1000, CLOSE_1000]));
    expect(observed.at(-1)).to.deep.equal({ kind: 'violation', what: 'a second Close frame after its Close frame' });
  });
});
