/**
 * The sans-I/O core, without sockets: bytes in, bytes and application events out.
 */
import { expect } from 'chai';
import { ConnectionProtocol, type ProtocolOutput } from '../src/connection-protocol.js';
import type { ProtocolTransition } from '../src/protocol-machines.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST } from './client-frame.js';

const VALID_REQUEST = HANDSHAKE_REQUEST;

class RecordingOutput implements ProtocolOutput {
  readonly wire: Buffer[] = [];
  readonly events: unknown[][] = [];
  readonly transitions: string[] = [];
  write(bytes: Uint8Array) { this.wire.push(Buffer.from(bytes)); }
  refuseHandshake(refusal: { status: number }) { this.events.push(['refused', refusal.status]); }
  closeTcp() { this.events.push(['closeTcp']); }
  destroyTcp() { this.events.push(['destroyTcp']); }
  startCloseTimer() { this.events.push(['startCloseTimer']); }
  startPongDeadline() { this.events.push(['startPongDeadline']); }
  opened() { this.events.push(['opened']); }
  message(data: Buffer, isBinary: boolean) { this.events.push(['message', data.toString('hex'), isBinary]); }
  ping(data: Buffer) { this.events.push(['ping', data.toString()]); }
  pong(data: Buffer) { this.events.push(['pong', data.toString()]); }
  protocolError(error: ProtocolError) { this.events.push(['error', error.code, error.closeCode]); }
  closed(code: number, reason: string) { this.events.push(['closed', code, reason]); }
  /** Frames the server wrote after the handshake, as hex. */
  framesHex(): string[] { return this.wire.slice(1).map((bytes) => bytes.toString('hex')); }
}

function openProtocol(maxMessageSize = 1 << 20) {
  const output = new RecordingOutput();
  const protocol = new ConnectionProtocol(output, {
    maxMessageSize,
    onTransition: (t: ProtocolTransition) => output.transitions.push(`${t.machineId}: ${t.source} -${t.eventType}-> ${t.target}`),
  });
  protocol.receiveHandshake(VALID_REQUEST);
  return { output, protocol };
}

/**
 * What the application and the I/O layer hear when the connection fails (RFC 6455 §7.1.7): the
 * error with its API code and close code, the server closing TCP first (§7.1.1), the close timer.
 */
function failedWith(code: string, closeCode: number): unknown[][] {
  return [['error', code, closeCode], ['closeTcp'], ['startCloseTimer']];
}

/** Feed bytes one at a time: the core must not care about chunking. */
function feedByteByByte(protocol: ConnectionProtocol, bytes: Buffer) {
  for (let i = 0; i < bytes.length; i++) protocol.receiveData(Buffer.from([bytes[i]!]));
}

describe('ConnectionProtocol (sans-I/O)', () => {
  describe('opening handshake (RFC 6455 §4.2)', () => {
    it('answers a valid request with 101 and the Sec-WebSocket-Accept of §1.3', () => {
      const { output, protocol } = openProtocol();
      const response = output.wire[0]!.toString();
      expect(response).to.match(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      expect(response).to.include('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
      expect(protocol.readyState).to.equal('open');
    });

    it('writes exactly the 101 response of §1.3 and §4.2.2 item 5 when no extension or subprotocol is agreed, no other header', () => {
      const { output } = openProtocol();
      // RFC 6455 §1.3's sample key "dGhlIHNhbXBsZSBub25jZQ==" and its answer.
      expect(output.wire[0]!.toString('latin1')).to.equal(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
      );
    });

    const refusals: [string, Partial<typeof VALID_REQUEST> & { headers?: Record<string, string> }, number][] = [
      ['a POST request', { method: 'POST' }, 405],
      ['a request without Upgrade: websocket', { headers: { ...VALID_REQUEST.headers, upgrade: 'h2c' } }, 426],
      ['version 8', { headers: { ...VALID_REQUEST.headers, 'sec-websocket-version': '8' } }, 426],
      ['a missing version', { headers: { ...VALID_REQUEST.headers, 'sec-websocket-version': '' } }, 426],
      ['HTTP/1.0', { httpVersion: '1.0' }, 400],
      ['a missing Host', { headers: { ...VALID_REQUEST.headers, host: '' } }, 400],
      ['Connection without the upgrade token', { headers: { ...VALID_REQUEST.headers, connection: 'keep-alive' } }, 400],
      ['a key that is not 16 bytes', { headers: { ...VALID_REQUEST.headers, 'sec-websocket-key': 'c2hvcnQ=' } }, 400],
    ];
    for (const [what, change, status] of refusals) {
      it(`refuses ${what} with ${status}`, () => {
        const output = new RecordingOutput();
        const protocol = new ConnectionProtocol(output, { maxMessageSize: 100 });
        protocol.receiveHandshake({ ...VALID_REQUEST, ...change });
        expect(output.events).to.deep.equal([['refused', status]]);
        expect(protocol.readyState).to.equal('closed');
      });
    }
  });

  describe('messages', () => {
    it('delivers a text message fed one byte at a time', () => {
      const { output, protocol } = openProtocol();
      feedByteByByte(protocol, clientFrame(0x1, 'Hello'));
      expect(output.events).to.deep.equal([['opened'], ['message', Buffer.from('Hello').toString('hex'), false]]);
      expect(output.framesHex()).to.deep.equal([]);
    });

    it('delivers a binary message that is not UTF-8 as it is: §5.6, binary data is "arbitrary binary data"', () => {
      const { output, protocol } = openProtocol();
      // 0xff never occurs in UTF-8 (RFC 3629 §1); 0xc3 alone is a sequence cut short.
      protocol.receiveData(Buffer.concat([clientFrame(0x2, Buffer.from([0xff, 0xfe]), { fin: false }), clientFrame(0x0, Buffer.from([0xc3]))]));
      protocol.receiveData(clientFrame(0x2, Buffer.from([0x80])));
      expect(output.events).to.deep.equal([['opened'], ['message', 'fffec3', true], ['message', '80', true]]);
      expect(output.framesHex()).to.deep.equal([]);
    });

    it('reassembles a fragmented binary message with a ping between the fragments', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(Buffer.concat([
        clientFrame(0x2, 'ab', { fin: false }),
        clientFrame(0x9, 'p'),
        clientFrame(0x0, 'cd'),
      ]));
      expect(output.events.slice(1)).to.deep.equal([['ping', 'p'], ['message', Buffer.from('abcd').toString('hex'), true]]);
      expect(output.framesHex()).to.deep.equal(['8a0170']);
    });

    it('fails with 1002 when a continuation frame has no message to continue', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(clientFrame(0x0, 'x'));
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_UNEXPECTED_CONTINUATION', 1002)]);
      expect(output.framesHex()).to.deep.equal(['880203ea']);
    });

    it('fails with 1002 when a new message starts between fragments', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(Buffer.concat([clientFrame(0x1, 'a', { fin: false }), clientFrame(0x1, 'b')]));
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_EXPECTED_CONTINUATION', 1002)]);
      expect(output.framesHex()).to.deep.equal(['880203ea']);
    });

    it('fails with 1007 as soon as a text frame stops being valid UTF-8, before the frame ends', () => {
      const { output, protocol } = openProtocol();
      const frame = clientFrame(0x1, Buffer.from('cebae1bdb9cf83cebcceb5f4908080656469746564', 'hex'));
      const invalidAt = frame.length - 8; // header + valid prefix + f4 90
      protocol.receiveData(frame.subarray(0, invalidAt));
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_INVALID_UTF8', 1007)]);
      expect(output.framesHex()).to.deep.equal(['880203ef']);
    });

    it('fails with 1007 when a text message ends inside a UTF-8 sequence', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(clientFrame(0x1, Buffer.from('41e282', 'hex')));
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_INVALID_UTF8', 1007)]);
      expect(output.framesHex()).to.deep.equal(['880203ef']);
    });

    it('fails with 1009 at the header of a frame that would make the message too big', () => {
      const { output, protocol } = openProtocol(10);
      protocol.receiveData(clientFrame(0x2, 'abcdef', { fin: false }));
      protocol.receiveData(clientFrame(0x0, 'ghijk').subarray(0, 6));
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_MESSAGE_TOO_BIG', 1009)]);
      expect(output.framesHex()).to.deep.equal(['880203f1']);
    });

    it('accepts a message of exactly the limit assembled from many fragments', () => {
      const { output, protocol } = openProtocol(64);
      const frames = [];
      for (let i = 0; i < 64; i++) frames.push(clientFrame(i === 0 ? 0x2 : 0x0, 'x', { fin: i === 63 }));
      protocol.receiveData(Buffer.concat(frames));
      expect(output.events.at(-1)).to.deep.equal(['message', Buffer.alloc(64, 'x').toString('hex'), true]);
    });
  });

  describe('closing handshake (RFC 6455 §5.5.1, §7)', () => {
    it('echoes the code and reason of a valid Close, closes TCP and ignores later frames', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(Buffer.concat([clientFrame(0x8, closeBody(1000, 'bye')), clientFrame(0x1, 'late')]));
      // 0x88 0x05: Close, 5 bytes: 1000 (03e8) then "bye" (627965).
      expect(output.framesHex()).to.deep.equal(['880503e8627965']);
      expect(output.events.slice(1)).to.deep.equal([['closeTcp'], ['startCloseTimer']]);
      protocol.receiveTcpClosed();
      expect(output.events.at(-1)).to.deep.equal(['closed', 1000, 'bye']);
    });

    it('answers an empty Close with an empty Close and reports 1005', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(clientFrame(0x8));
      expect(output.framesHex()).to.deep.equal(['8800']);
      protocol.receiveTcpClosed();
      expect(output.events.at(-1)).to.deep.equal(['closed', 1005, '']);
    });

    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
      it(`fails with 1002 on close code ${code}`, () => {
        const { output, protocol } = openProtocol();
        protocol.receiveData(clientFrame(0x8, closeBody(code)));
        expect(output.framesHex()).to.deep.equal(['880203ea']);
        expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_INVALID_CLOSE_CODE', 1002)]);
      });
    }

    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
      it(`echoes close code ${code}`, () => {
        const { output, protocol } = openProtocol();
        protocol.receiveData(clientFrame(0x8, closeBody(code)));
        expect(output.framesHex()).to.deep.equal([`8802${code.toString(16).padStart(4, '0')}`]);
        expect(output.events).to.deep.equal([['opened'], ['closeTcp'], ['startCloseTimer']]);
      });
    }

    it('fails with 1002 on a 1-byte Close body', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(clientFrame(0x8, Buffer.from([0x03])));
      expect(output.framesHex()).to.deep.equal(['880203ea']);
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_INVALID_CLOSE_PAYLOAD', 1002)]);
    });

    it('fails with 1007 on a Close reason that is not UTF-8', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveData(clientFrame(0x8, closeBody(1000, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex'))));
      expect(output.framesHex()).to.deep.equal(['880203ef']);
      expect(output.events).to.deep.equal([['opened'], ...failedWith('WS_ERR_INVALID_UTF8', 1007)]);
    });

    it('starts the closing handshake, waits for the peer and then closes TCP', () => {
      const { output, protocol } = openProtocol();
      protocol.close(1001, 'bye');
      expect(output.framesHex()).to.deep.equal(['880503e9627965']);
      expect(protocol.readyState).to.equal('closing');
      expect(() => protocol.send(Buffer.from('x'), false)).to.throw(/closing/);
      protocol.receiveData(clientFrame(0x8, closeBody(1001)));
      expect(output.events.slice(-1)).to.deep.equal([['closeTcp']]);
    });

    it('still answers a Ping with a Pong after sending its Close, until the peer\'s Close arrives (§5.5.2)', () => {
      const { output, protocol } = openProtocol();
      protocol.close(1000);
      protocol.receiveData(clientFrame(0x9, Buffer.from('still there?')));
      expect(output.framesHex()).to.deep.equal(['880203e8', '8a0c' + Buffer.from('still there?').toString('hex')]);
      expect(output.events.at(-1)).to.deep.equal(['ping', 'still there?']);
    });

    it('drops TCP when the peer never answers the Close', () => {
      const { output, protocol } = openProtocol();
      protocol.close();
      protocol.closeTimeout();
      expect(output.events.at(-1)).to.deep.equal(['destroyTcp']);
    });

    it('reports 1006 when TCP closes without a Close frame', () => {
      const { output, protocol } = openProtocol();
      protocol.receiveTcpEnd();
      protocol.receiveTcpClosed();
      expect(output.events.slice(-2)).to.deep.equal([['closeTcp'], ['closed', 1006, '']]);
    });

    it('refuses close codes an endpoint may not send', () => {
      const { protocol } = openProtocol();
      expect(() => protocol.close(1005)).to.throw(RangeError);
      expect(() => protocol.close(1000, 'x'.repeat(124))).to.throw(RangeError);
    });
  });

  it('records the transitions of every machine in order', () => {
    const { output, protocol } = openProtocol();
    protocol.receiveData(Buffer.concat([clientFrame(0x1, 'a'), clientFrame(0x8, closeBody(1000))]));
    protocol.receiveTcpClosed();
    expect(output.transitions).to.deep.equal([
      'connection: connecting -HANDSHAKE_REQUEST-> open',
      'closingHandshake: connecting -CONNECTION_OPENED-> open',
      'message: awaitingMessage -TEXT_FRAME-> text.finalFrame',
      'message: text.finalFrame -FRAME_END-> awaitingMessage',
      'message: awaitingMessage -CONTROL_FRAME-> awaitingMessage',
      'connection: open -CLOSE_FRAME-> closing',
      'closingHandshake: open -CLOSE_FRAME-> closeHandshakeComplete',
      'connection: closing -TCP_CLOSED-> closed',
      'closingHandshake: closeHandshakeComplete -TCP_CLOSED-> closed',
    ]);
  });
});
