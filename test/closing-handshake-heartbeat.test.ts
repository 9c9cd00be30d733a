/**
 * The closing-handshake machine's heartbeat and resource edges, through the sans-I/O core:
 * HEARTBEAT_DUE (§5.5.2: "A Ping frame MAY be sent ... as a means to verify that the remote
 * endpoint is still responsive"), PONG_TIMEOUT (fail with 1011 and drop TCP) and PONGS_UNREAD
 * (§10.4: fail with 1008 and start the closing handshake) — each taken only while neither side
 * has sent a Close, and ignored in every other state, where the close timer bounds the wait.
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST } from './client-frame.js';

class Output extends DiscardingOutput {
  /** Everything the core did, in order: frames written (hex), TCP and timer requests, reports. */
  readonly did: string[] = [];
  override write(bytes: Uint8Array) { this.did.push(Buffer.from(bytes).toString('hex')); }
  override closeTcp() { this.did.push('FIN'); }
  override destroyTcp() { this.did.push('drop'); }
  override startCloseTimer() { this.did.push('startCloseTimer'); }
  override startPongDeadline() { this.did.push('startPongDeadline'); }
  override ping() { this.did.push('ping'); }
  override protocolError(error: ProtocolError) { this.did.push(`error ${error.code} ${error.closeCode}`); }
  override closed(code: number) { this.did.push(`closed ${code}`); }
}

function make() {
  const out = new Output();
  const core = new ConnectionProtocol(out, { maxMessageSize: 1024 });
  return { core, out };
}

function opened() {
  const made = make();
  made.core.receiveHandshake(HANDSHAKE_REQUEST);
  made.out.did.length = 0;
  return made;
}

/** A masked Ping from the client, made afresh for each use: the core unmasks a frame's payload in place. */
const pingFromClient = (): Buffer => clientFrame(0x9, 'p');

describe('heartbeat and unread Pongs in the closing-handshake machine', () => {
  describe('while open', () => {
    it('fails with 1008 when Pongs wait unread: Close 1008, FIN and the close timer (§7.1.7, §7.1.1), and answers no Ping after', () => {
      const { core, out } = opened();
      core.pongsUnread();
      expect(out.did).to.deep.equal(['880203f0', 'error WS_ERR_PONGS_UNREAD 1008', 'FIN', 'startCloseTimer']);
      expect(core.machineStates).to.deep.equal({ connection: 'closing', message: 'awaitingMessage', closingHandshake: 'failed' });
      core.receiveData(pingFromClient());
      expect(out.did, 'no Pong once failed').to.have.length(4);
    });

    it('answers no Ping after a PONG_TIMEOUT failure, and reports 1006 once TCP is gone', () => {
      const { core, out } = opened();
      core.pongTimeout();
      expect(out.did).to.deep.equal(['880203f3', 'error WS_ERR_PONG_TIMEOUT 1011', 'drop']);
      core.receiveData(pingFromClient());
      expect(out.did).to.have.length(3);
      core.receiveTcpClosed();
      expect(out.did.at(-1)).to.equal('closed 1006');
    });

    it('sends a heartbeat Ping at every HEARTBEAT_DUE and still answers the peer\'s Pings', () => {
      const { core, out } = opened();
      core.heartbeatDue();
      core.receiveData(pingFromClient());
      core.heartbeatDue();
      expect(out.did).to.deep.equal(['8900', 'startPongDeadline', '8a0170', 'ping', '8900', 'startPongDeadline']);
      expect(core.machineStates.closingHandshake).to.equal('open');
    });
  });

  const notOpen: [string, (core: ConnectionProtocol) => void, string][] = [
    ['before the opening handshake', () => {}, 'connecting'],
    ['after the server sent its Close', (core) => core.close(1000), 'closeSent'],
    ['after both Close frames', (core) => core.receiveData(clientFrame(0x8, closeBody(1000))), 'closeHandshakeComplete'],
    ['after the connection failed', (core) => core.receiveData(clientFrame(0x3)), 'failed'],
    ['once closed', (core) => core.receiveTcpClosed(), 'closed'],
  ];
  for (const [when, act, state] of notOpen) {
    it(`ignores HEARTBEAT_DUE, PONG_TIMEOUT and PONGS_UNREAD ${when}`, () => {
      const { core, out } = state === 'connecting' ? make() : opened();
      act(core);
      const before = { states: core.machineStates, did: out.did.length };
      expect(before.states.closingHandshake).to.equal(state);
      core.heartbeatDue();
      core.pongTimeout();
      core.pongsUnread();
      expect(out.did.slice(before.did), 'nothing sent, asked or reported').to.deep.equal([]);
      expect(core.machineStates).to.deep.equal(before.states);
    });
  }
});
