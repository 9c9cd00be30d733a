/**
 * Branches of the closing-handshake and message machines that only the sans-I/O core shows,
 * with expectations from RFC 6455: the peer's FIN before any Close (§7.1.1, §7.1.5), the
 * application's close() and the close timer once the connection has failed (§7.1.7, §7.1.2),
 * a message too big for the limit noticed at the header of a middle fragment (§10.4, §7.4.1
 * 1009), and RSV1 on a continuation (RFC 7692 §6.1).
 */
import { expect } from 'chai';
import { ConnectionProtocol, type ProtocolOutput } from '../src/connection-protocol.js';
import { InvalidStateError, type ProtocolError } from '../src/protocol-error.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { clientFrame, HANDSHAKE_REQUEST } from './client-frame.js';

class CallLog implements ProtocolOutput {
  readonly calls: unknown[][] = [];
  write() { this.calls.push(['write']); }
  refuseHandshake() { this.calls.push(['refused']); }
  closeTcp() { this.calls.push(['closeTcp']); }
  destroyTcp() { this.calls.push(['destroyTcp']); }
  startCloseTimer() { this.calls.push(['startCloseTimer']); }
  startPongDeadline() { this.calls.push(['startPongDeadline']); }
  opened() { this.calls.push(['opened']); }
  message(data: Buffer, isBinary: boolean) { this.calls.push(['message', data.length, isBinary]); }
  ping() { this.calls.push(['ping']); }
  pong() { this.calls.push(['pong']); }
  protocolError(error: ProtocolError) { this.calls.push(['error', error.code, error.closeCode]); }
  closed(code: number, reason: string) { this.calls.push(['closed', code, reason]); }
}

function openServer(maxMessageSize = 1 << 20) {
  const output = new CallLog();
  const protocol = new ConnectionProtocol(output, { maxMessageSize });
  protocol.receiveHandshake(HANDSHAKE_REQUEST);
  expect(protocol.readyState).to.equal('open');
  output.calls.length = 0;
  return { output, protocol };
}

/** An open server whose connection failed on a frame with RSV2 set (§5.2: 1002). */
function failedServer() {
  const opened = openServer();
  opened.protocol.receiveData(clientFrame(0x1, 'x', { rsv: 2 }));
  expect(opened.output.calls).to.deep.equal([['write'], ['error', 'WS_ERR_UNEXPECTED_RSV_2_3', 1002], ['closeTcp'], ['startCloseTimer']]);
  opened.output.calls.length = 0;
  return opened;
}

describe('closing-handshake branches through the core (RFC 6455 §7)', () => {
  it('§7.1.1: the peer closes TCP with no Close frame while OPEN — the server closes its side, and §7.1.5 reports 1006', () => {
    const { output, protocol } = openServer();
    protocol.receiveTcpEnd();
    expect(output.calls).to.deep.equal([['closeTcp']]);
    expect(protocol.machineStates.closingHandshake).to.equal('closed');
    protocol.receiveTcpClosed();
    expect(output.calls).to.deep.equal([['closeTcp'], ['closed', 1006, '']]);
  });

  it('§7.1.7: once the connection has failed, close() is refused with InvalidStateError and sends nothing', () => {
    const { output, protocol } = failedServer();
    expect(() => protocol.close(1000)).to.throw(InvalidStateError).with.property('request', 'close');
    expect(output.calls).to.deep.equal([]);
    expect(protocol.machineStates.closingHandshake).to.equal('failed');
  });

  it('§7.1.1: once the connection has failed and the peer never closes TCP, the close timer drops it', () => {
    const { output, protocol } = failedServer();
    protocol.closeTimeout();
    expect(output.calls).to.deep.equal([['destroyTcp']]);
    expect(protocol.machineStates.closingHandshake).to.equal('closed');
  });
});

describe('message branches through the core (RFC 6455 §5.4, §10.4; RFC 7692 §6.1)', () => {
  it('§10.4 / §7.4.1 1009: a middle fragment whose header takes the message over the limit fails before its payload arrives', () => {
    const { output, protocol } = openServer(1024);
    protocol.receiveData(clientFrame(0x1, 'a'.repeat(600), { fin: false }));
    protocol.receiveData(clientFrame(0x0, 'b'.repeat(600), { fin: false }).subarray(0, 8));
    expect(output.calls).to.deep.equal([['write'], ['error', 'WS_ERR_MESSAGE_TOO_BIG', 1009], ['closeTcp'], ['startCloseTimer']]);
  });

  it('RFC 7692 §6.1: RSV1 on a continuation frame fails the connection with 1002 and leaves the message machine failed', () => {
    const output = new CallLog();
    const protocol = new ConnectionProtocol(output, {
      maxMessageSize: 1 << 20,
      perMessageDeflate: {},
      createCompressor: (agreed, options) => new PerMessageDeflateCodec(agreed, options),
    });
    protocol.receiveHandshake({ ...HANDSHAKE_REQUEST, headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-extensions': 'permessage-deflate' } });
    output.calls.length = 0;
    protocol.receiveData(clientFrame(0x1, 'a', { fin: false }));
    protocol.receiveData(clientFrame(0x0, 'b', { rsv: 4 }));
    expect(output.calls).to.deep.equal([['write'], ['error', 'WS_ERR_UNEXPECTED_RSV_1', 1002], ['closeTcp'], ['startCloseTimer']]);
    expect(protocol.machineStates.message).to.equal('failed');
  });

  it('§5.4: a Text frame between the fragments of a message fails the connection with 1002 and leaves the message machine failed', () => {
    const { output, protocol } = openServer();
    protocol.receiveData(clientFrame(0x1, 'a', { fin: false }));
    protocol.receiveData(clientFrame(0x1, 'b'));
    expect(output.calls).to.deep.equal([['write'], ['error', 'WS_ERR_EXPECTED_CONTINUATION', 1002], ['closeTcp'], ['startCloseTimer']]);
    expect(protocol.machineStates.message).to.equal('failed');
  });

  it('§5.4: while a middle fragment (FIN clear) is read, the message machine is in that fragment, not between fragments', () => {
    const { protocol } = openServer();
    protocol.receiveData(clientFrame(0x1, 'a', { fin: false }));
    expect(protocol.machineStates.message).to.equal('text.awaitingContinuation');
    const middle = clientFrame(0x0, 'bcd', { fin: false });
    protocol.receiveData(middle.subarray(0, middle.length - 1));
    expect(protocol.machineStates.message).to.equal('text.fragment');
    protocol.receiveData(middle.subarray(middle.length - 1));
    expect(protocol.machineStates.message).to.equal('text.awaitingContinuation');
  });
});
