/**
 * After the closing handshake: the close timer, the peer's FIN, and the application's limits on
 * what it may send (RFC 6455 §5.5, §7.1.1, §7.1.2). Each checks the machines' states as well, so
 * a transition that leads nowhere is seen even when nothing is written.
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST } from './client-frame.js';

class Output extends DiscardingOutput {
  readonly tcp: string[] = [];
  closedWith: [number, string][] = [];
  override closeTcp() { this.tcp.push('FIN'); }
  override destroyTcp() { this.tcp.push('drop'); }
  override closed(code: number, reason: string) { this.closedWith.push([code, reason]); }
}

function open() {
  const out = new Output();
  const core = new ConnectionProtocol(out, { maxMessageSize: 1 << 20 });
  core.receiveHandshake(HANDSHAKE_REQUEST);
  return { core, out };
}

describe('after the Close frames (RFC 6455 §7.1.1)', () => {
  const ways: [string, (core: ConnectionProtocol) => void, string[]][] = [
    ['both Close frames were exchanged', (core) => core.receiveData(clientFrame(0x8, closeBody(1000))), ['FIN']],
    ['the connection failed', (core) => core.receiveData(clientFrame(0x3)), ['FIN']],
    ['the server sent its Close', (core) => core.close(1000), []],
  ];
  for (const [what, act, tcpBefore] of ways) {
    it(`drops TCP once when the close timer fires after ${what}, and is closed`, () => {
      const { core, out } = open();
      act(core);
      expect(out.tcp).to.deep.equal(tcpBefore);
      core.closeTimeout();
      core.closeTimeout();
      expect(out.tcp).to.deep.equal([...tcpBefore, 'drop']);
      expect(core.machineStates.closingHandshake).to.equal('closed');
      core.receiveTcpClosed();
      expect(core.machineStates).to.deep.equal({ connection: 'closed', message: core.machineStates.message, closingHandshake: 'closed' });
      expect(out.closedWith).to.have.length(1);
    });

    it(`is closed when TCP closes after ${what}, and a late timer does nothing`, () => {
      const { core, out } = open();
      act(core);
      core.receiveTcpClosed();
      core.closeTimeout();
      expect(out.tcp).to.deep.equal(tcpBefore);
      expect(core.machineStates.closingHandshake).to.equal('closed');
      expect(core.readyState).to.equal('closed');
      expect(out.closedWith).to.have.length(1);
    });
  }

  it('ends its side when the peer sends FIN after the server\'s Close, then reports 1006 once TCP is gone', () => {
    const { core, out } = open();
    core.close(1000);
    core.receiveTcpEnd();
    expect(out.tcp).to.deep.equal(['FIN']);
    expect(core.machineStates.closingHandshake).to.equal('closed');
    core.closeTimeout();
    expect(out.tcp).to.deep.equal(['FIN']);
    core.receiveTcpClosed();
    expect(out.closedWith).to.deep.equal([[1006, '']]);
  });

  it('ends its side when the peer sends FIN without a Close, and is closing until TCP is gone', () => {
    const { core, out } = open();
    core.receiveTcpEnd();
    expect(out.tcp).to.deep.equal(['FIN']);
    expect(core.readyState).to.equal('closing');
    core.receiveTcpClosed();
    expect(core.readyState).to.equal('closed');
    expect(out.closedWith).to.deep.equal([[1006, '']]);
  });
});

describe('what the application may send (RFC 6455 §5.5, §7.4)', () => {
  it('pings and pongs with at most 125 bytes', () => {
    const { core } = open();
    expect(() => core.ping(Buffer.alloc(125))).not.to.throw();
    expect(() => core.ping(Buffer.alloc(126))).to.throw(RangeError);
    expect(() => core.pong(Buffer.alloc(125))).not.to.throw();
    expect(() => core.pong(Buffer.alloc(126))).to.throw(RangeError);
  });

  it('closes with a reason of at most 123 bytes and a code an endpoint may send', () => {
    expect(() => open().core.close(1000, 'x'.repeat(123))).not.to.throw();
    expect(() => open().core.close(1000, 'x'.repeat(124))).to.throw(RangeError);
    for (const code of [999, 1004, 1005, 1006, 1015, 5000]) expect(() => open().core.close(code), String(code)).to.throw(RangeError);
    const { core } = open();
    expect(() => core.close(1005)).to.throw(RangeError);
    expect(core.readyState, 'a refused close changes nothing').to.equal('open');
  });
});
