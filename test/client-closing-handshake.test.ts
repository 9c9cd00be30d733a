/**
 * The closing handshake in the client role, through the sans-I/O core (RFC 6455 §5.5.1, §7.1.1,
 * §7.1.7): the client answers a Close once, never sends a second one, and leaves closing TCP to
 * the server ("the client SHOULD wait for the server to close the connection"), its close timer
 * bounding the wait. Frames are read back with the tests' own reader (test/raw-server.ts).
 */
import { expect } from 'chai';
import { ConnectionProtocol, type ProtocolOutput } from '../src/connection-protocol.js';
import { InvalidStateError, type ProtocolError } from '../src/protocol-error.js';
import { expectedAccept } from '../src/client-handshake.js';
import { readClientFrames, serverFrame } from './raw-server.js';

class ClientLog implements ProtocolOutput {
  readonly calls: unknown[][] = [];
  readonly written: Buffer[] = [];
  write(bytes: Uint8Array) { this.written.push(Buffer.from(bytes)); this.calls.push(['write']); }
  refuseHandshake() { this.calls.push(['refused']); }
  closeTcp() { this.calls.push(['closeTcp']); }
  destroyTcp() { this.calls.push(['destroyTcp']); }
  startCloseTimer() { this.calls.push(['startCloseTimer']); }
  startPongDeadline() { this.calls.push(['startPongDeadline']); }
  opened() { this.calls.push(['opened']); }
  message(data: Buffer, isBinary: boolean) { this.calls.push(['message', data.toString(), isBinary]); }
  ping(data: Buffer) { this.calls.push(['ping', data.toString()]); }
  pong(data: Buffer) { this.calls.push(['pong', data.toString()]); }
  protocolError(error: ProtocolError) { this.calls.push(['error', error.code, error.closeCode]); }
  closed(code: number, reason: string) { this.calls.push(['closed', code, reason]); }
  /** The frames the client wrote: [opcode, masked, payload as hex]. */
  frames(): [number, boolean, string][] {
    return readClientFrames(Buffer.concat(this.written)).map((frame) => [frame.opcode, frame.masked, frame.payload.toString('hex')]);
  }
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RESPONSE = {
  status: 101,
  headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': expectedAccept(KEY) },
  expectedAccept: expectedAccept(KEY),
  offeredSubprotocols: [],
};

function connectingClient() {
  const output = new ClientLog();
  const protocol = new ConnectionProtocol(output, { maxMessageSize: 1024 });
  protocol.clientHandshakeSent();
  return { output, protocol };
}

function openClient() {
  const client = connectingClient();
  client.protocol.receiveHandshakeResponse(RESPONSE, undefined);
  expect(client.protocol.readyState).to.equal('open');
  client.output.calls.length = 0;
  return client;
}

/** 1000 (03e8) followed by "bye" (627965). */
const CLOSE_1000_BYE = Buffer.from('03e8627965', 'hex');

describe('the closing handshake in the client role (RFC 6455 §7.1.1)', () => {
  it("§5.5.1: answers the server's Close with a masked Close echoing its code, and waits for the server to close TCP", () => {
    const { output, protocol } = openClient();
    protocol.receiveData(serverFrame(0x8, CLOSE_1000_BYE));
    expect(output.frames()).to.deep.equal([[0x8, true, '03e8627965']]);
    // §7.1.1: "the client SHOULD wait for the server to close the connection" — no FIN of its own yet.
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer']]);
    expect(protocol.machineStates.closingHandshake).to.equal('client.awaitingServerClose');
    expect(protocol.readyState).to.equal('closing');
    // The server's FIN: the client closes its side; then TCP is closed (§7.1.5: the code received).
    protocol.receiveTcpEnd();
    protocol.receiveTcpClosed();
    expect(output.calls.slice(2)).to.deep.equal([['closeTcp'], ['closed', 1000, 'bye']]);
    expect(protocol.machineStates.closingHandshake).to.equal('client.closed');
  });

  it('§7.1.1: drops TCP itself when the server does not close it in time after the Close frames were exchanged', () => {
    const { output, protocol } = openClient();
    protocol.receiveData(serverFrame(0x8, ''));
    expect(output.frames()).to.deep.equal([[0x8, true, '']]);
    protocol.closeTimeout();
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer'], ['destroyTcp']]);
    // §7.1.4: dropping TCP is the end of the closing handshake.
    expect(protocol.machineStates.closingHandshake).to.equal('client.closed');
  });

  it('§7.1.2: close() once the Close frames are exchanged is refused with InvalidStateError, and nothing more is sent', () => {
    const { output, protocol } = openClient();
    protocol.receiveData(serverFrame(0x8, CLOSE_1000_BYE));
    expect(() => protocol.close(1000)).to.throw(InvalidStateError).with.property('request', 'close');
    expect(output.frames()).to.deep.equal([[0x8, true, '03e8627965']]);
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer']]);
  });

  it('§5.5.1: having sent its Close, sends no second one when the server answers, and still leaves TCP to the server', () => {
    const { output, protocol } = openClient();
    protocol.close(1000, 'bye');
    protocol.receiveData(serverFrame(0x8, CLOSE_1000_BYE));
    expect(output.frames()).to.deep.equal([[0x8, true, '03e8627965']]);
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer']]);
    expect(protocol.machineStates.closingHandshake).to.equal('client.awaitingServerClose');
    // §7.1.6: nothing after the Close frame is read (a Text frame that follows delivers nothing).
    protocol.receiveData(serverFrame(0x1, 'late'));
    protocol.receiveTcpEnd();
    expect(output.calls.at(-1)).to.deep.equal(['closeTcp']);
    // §7.1.5: the connection is closed with the code the server's Close carried.
    protocol.receiveTcpClosed();
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer'], ['closeTcp'], ['closed', 1000, 'bye']]);
  });

  it('§7.1.7 then §7.1.1: after failing, the client answers the server\'s FIN by closing its side', () => {
    const { output, protocol } = openClient();
    protocol.receiveData(Buffer.from([0xa1, 0x00]));
    expect(protocol.machineStates.closingHandshake).to.equal('client.failed');
    output.calls.length = 0;
    protocol.receiveTcpEnd();
    expect(output.calls).to.deep.equal([['closeTcp']]);
  });

  it('§7.1.7 after its Close was sent: fails with 1002 on a bad frame, sends no second Close (§5.5.1) and does not close TCP first (§7.1.1)', () => {
    const { output, protocol } = openClient();
    protocol.close(1000);
    // §5.2: RSV2 set with no extension defining it.
    protocol.receiveData(Buffer.from([0xa1, 0x00]));
    expect(output.frames()).to.deep.equal([[0x8, true, '03e8']]);
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer'], ['error', 'WS_ERR_UNEXPECTED_RSV_2_3', 1002]]);
    expect(protocol.machineStates.closingHandshake).to.equal('client.failed');
  });

  it('§7.1.7 after its Close was sent: a Close with a code that may not be sent (§7.4.1: 1005) fails with 1002, no second Close, TCP left to the server', () => {
    const { output, protocol } = openClient();
    protocol.close(1000);
    protocol.receiveData(serverFrame(0x8, Buffer.from('03ed', 'hex')));
    expect(output.frames()).to.deep.equal([[0x8, true, '03e8']]);
    expect(output.calls).to.deep.equal([['write'], ['startCloseTimer'], ['error', 'WS_ERR_INVALID_CLOSE_CODE', 1002]]);
  });

  it('§7.1.2: close() while CONNECTING is refused with InvalidStateError, and nothing is sent', () => {
    const { output, protocol } = connectingClient();
    expect(() => protocol.close(1000)).to.throw(InvalidStateError).with.property('request', 'close');
    expect(output.calls).to.deep.equal([]);
    expect(protocol.machineStates).to.deep.equal({ connection: 'requestSent', message: 'awaitingMessage', closingHandshake: 'client.connecting' });
  });

  it('§7.1.4: TCP closed before the response arrived — every machine is CLOSED, 1006 is reported (§7.1.5)', () => {
    const { output, protocol } = connectingClient();
    protocol.receiveTcpClosed();
    expect(output.calls).to.deep.equal([['closed', 1006, '']]);
    expect(protocol.readyState).to.equal('closed');
    expect(protocol.machineStates).to.deep.equal({ connection: 'closed', message: 'awaitingMessage', closingHandshake: 'client.closed' });
  });
});
