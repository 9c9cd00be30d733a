/**
 * The application's calls are events the machines accept or refuse (RFC 6455 §5.5.1, §7.1.2):
 * a refused call throws InvalidStateError (`code: 'WS_ERR_INVALID_STATE'`, the machine states)
 * and changes nothing.
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { InvalidStateError } from '../src/protocol-error.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST as REQUEST } from './client-frame.js';


class Output extends DiscardingOutput {
  readonly frames: string[] = [];
  destroyed = 0;
  onMessage: ((core: ConnectionProtocol) => void) | undefined;
  onError: (() => void) | undefined;
  core: ConnectionProtocol | undefined;
  override write(bytes: Uint8Array) { this.frames.push(Buffer.from(bytes).toString('hex')); }
  override destroyTcp() { this.destroyed++; }
  override message() { this.onMessage?.(this.core!); }
  override protocolError() { this.onError?.(); }
}

function make(): { core: ConnectionProtocol; out: Output } {
  const out = new Output();
  const core = new ConnectionProtocol(out, { maxMessageSize: 1 << 20 });
  out.core = core;
  return { core, out };
}

function opened(): { core: ConnectionProtocol; out: Output } {
  const made = make();
  made.core.receiveHandshake(REQUEST);
  made.out.frames.length = 0;
  return made;
}

/** Expects `call` to be refused with InvalidStateError naming `state` of `machine`, and nothing written. */
function expectRefused(core: ConnectionProtocol, out: Output, request: string, call: () => void, machine: string, state: string): void {
  const before = { states: core.machineStates, frames: out.frames.length };
  let error: unknown;
  try {
    call();
  } catch (caught) {
    error = caught;
  }
  expect(error).to.be.instanceOf(InvalidStateError);
  const refusal = error as InvalidStateError;
  expect(refusal.code).to.equal('WS_ERR_INVALID_STATE');
  expect(refusal.request).to.equal(request);
  expect(refusal.machineStates[machine]).to.equal(state);
  expect(refusal.message).to.include(`${machine}: ${state}`);
  expect(core.machineStates, 'no state changes').to.deep.equal(before.states);
  expect(out.frames.length, 'nothing written').to.equal(before.frames);
}

describe('application requests (events the machines decide)', () => {
  describe('before the opening handshake (CONNECTING)', () => {
    it('refuses send, ping and pong', () => {
      const { core, out } = make();
      expectRefused(core, out, 'send', () => core.send(Buffer.from('x'), false), 'connection', 'connecting');
      expectRefused(core, out, 'ping', () => core.ping(), 'connection', 'connecting');
      expectRefused(core, out, 'pong', () => core.pong(), 'connection', 'connecting');
    });

    it("refuses close(): the closing-handshake machine knows the CONNECTING phase", () => {
      const { core, out } = make();
      expectRefused(core, out, 'close', () => core.close(1000), 'closingHandshake', 'connecting');
    });

    it('reads no bytes before the handshake: the machines start reading frames when it is accepted', () => {
      const { core, out } = make();
      core.receiveData(clientFrame(0x9, 'early'));
      expect(out.frames).to.deep.equal([]);
      core.receiveHandshake(REQUEST);
      core.receiveData(clientFrame(0x9, 'now'));
      expect(out.frames.at(-1)).to.equal('8a03' + Buffer.from('now').toString('hex'));
    });
  });

  describe('OPEN', () => {
    it('sends a message, a Ping and an unsolicited Pong (§5.5.3)', () => {
      const { core, out } = opened();
      core.send(Buffer.from('hi'), false);
      core.send(Buffer.from([1]), true);
      core.ping(Buffer.from('p'));
      core.pong(Buffer.from('q'));
      expect(out.frames).to.deep.equal(['81026869', '820101', '890170', '8a0171']);
    });

    it('decides a send made from inside the message callback at once (the echo)', () => {
      const { core, out } = opened();
      out.onMessage = (c) => {
        c.send(Buffer.from('a'), false);
        c.send(Buffer.from('b'), false);
      };
      core.receiveData(clientFrame(0x1, 'x'));
      expect(out.frames).to.deep.equal(['810161', '810162']);
    });
  });

  describe('after close() (§5.5.1: "the endpoint MUST NOT send any more data frames")', () => {
    it('says CLOSING at once and refuses send, ping, pong and a second close', () => {
      const { core, out } = opened();
      core.close(1000, 'bye');
      expect(core.readyState).to.equal('closing');
      expectRefused(core, out, 'send', () => core.send(Buffer.from('x'), false), 'connection', 'closing');
      expectRefused(core, out, 'ping', () => core.ping(), 'connection', 'closing');
      expectRefused(core, out, 'pong', () => core.pong(), 'connection', 'closing');
      expectRefused(core, out, 'close', () => core.close(1000), 'closingHandshake', 'closeSent');
    });

    it('refuses a send from inside the error callback of a failed connection', () => {
      const { core, out } = opened();
      let refused: unknown;
      out.onError = () => {
        try {
          core.send(Buffer.from('x'), false);
        } catch (error) {
          refused = error;
        }
      };
      core.receiveData(clientFrame(0x3, 'x'));
      expect(refused).to.be.instanceOf(InvalidStateError);
      expect(out.frames).to.deep.equal(['880203ea']);
    });

    it('refuses close() after the peer closed, and every request once closed', () => {
      const { core, out } = opened();
      core.receiveData(clientFrame(0x8, closeBody(1000)));
      expectRefused(core, out, 'close', () => core.close(1000), 'closingHandshake', 'closeHandshakeComplete');
      core.receiveTcpClosed();
      expectRefused(core, out, 'send', () => core.send(Buffer.from('x'), false), 'connection', 'closed');
      expectRefused(core, out, 'close', () => core.close(1000), 'closingHandshake', 'closed');
    });
  });

  describe('terminate()', () => {
    it('drops TCP while open and while closing; the connection is CLOSING until TCP is gone', () => {
      const { core, out } = opened();
      core.terminate();
      expect(out.destroyed).to.equal(1);
      expect(core.readyState).to.equal('closing');
      core.terminate();
      expect(out.destroyed).to.equal(2);
      core.receiveTcpClosed();
      expect(core.readyState).to.equal('closed');
      core.terminate();
      expect(out.destroyed, 'nothing left to drop once closed').to.equal(2);
    });
  });
});
