/**
 * The connection machine in the server role, through the sans-I/O core: every way out of
 * CONNECTING (RFC 6455 §4.2.2) and of `awaitingApplication`, TCP closing while OPEN, and the
 * application's requests once CLOSED. Each expectation is written from the RFCs (the status
 * code, the 101 response's fields with the §1.3 sample key's accept value, the readyState), not
 * read from the machine.
 */
import { expect } from 'chai';
import { ConnectionProtocol } from '../src/connection-protocol.js';
import { handshakeRefusal } from '../src/opening-handshake.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { clientFrame, HANDSHAKE_REQUEST } from './client-frame.js';
import { compressed, expectRequestRefused, Recorder, RFC_SAMPLE_ACCEPT } from './connection-machine-recorder.js';

/** §4.2.2 item 5: the fields every 101 answer carries (their order is not the RFC's concern). */
const SWITCHING_PROTOCOLS_FIELDS = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${RFC_SAMPLE_ACCEPT}`];

type RequestFacts = Partial<Parameters<ConnectionProtocol['receiveHandshake']>[0]>;

/** A server core (permessage-deflate enabled with its defaults when `deflate`); the request not yet taken. */
function serverCore(deflate = false) {
  const output = new Recorder();
  const core = new ConnectionProtocol(output, {
    maxMessageSize: 1024,
    perMessageDeflate: deflate ? {} : undefined,
    createCompressor: (agreed, options) => new PerMessageDeflateCodec(agreed, options),
  });
  return { core, output };
}

/** The request of RFC 6455 §1.3, offering permessage-deflate (RFC 7692 §5) when `offerDeflate`, with `facts` from the I/O layer. */
function requestWith(facts: RequestFacts, offerDeflate = false) {
  const headers = offerDeflate ? { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-extensions': 'permessage-deflate' } : HANDSHAKE_REQUEST.headers;
  return { ...HANDSHAKE_REQUEST, headers, ...facts };
}

/** The written 101 response (§4.2.2 item 5): its status line, and exactly these fields besides the three it always has. */
function expectSwitchingProtocols(output: Recorder, extraFields: string[]): void {
  expect(output.written.length, 'one response written').to.be.greaterThan(0);
  const text = output.written[0]!.toString('latin1');
  expect(text.endsWith('\r\n\r\n'), 'the header block ends with an empty line').to.equal(true);
  const [statusLine, ...fields] = text.slice(0, -4).split('\r\n');
  expect(statusLine).to.equal('HTTP/1.1 101 Switching Protocols');
  expect([...fields].sort()).to.deep.equal([...SWITCHING_PROTOCOLS_FIELDS, ...extraFields].sort());
}

/**
 * §4.2.2: "the WebSocket connection is established" and OPEN: it reads the client's frames
 * (§5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response") and
 * sends the application's messages (§6.1).
 */
function expectOpen(core: ConnectionProtocol, output: Recorder): void {
  expect(core.readyState).to.equal('open');
  const before = output.written.length;
  core.receiveData(clientFrame(0x9, 'there?'));
  core.send(Buffer.from('hi'), false);
  // §5.5.3: the Pong carries the Ping's application data; then the text "hi" in one frame (FIN, opcode 1); a server masks nothing (§5.1).
  expect(output.written.slice(before).map((bytes) => bytes.toString('hex'))).to.deep.equal(['8a06' + Buffer.from('there?').toString('hex'), '81026869']);
}

/** RFC 7692 §6: with the extension agreed, a data frame with RSV1 set is a compressed message, delivered inflated. */
function expectDeflateInUse(core: ConnectionProtocol, output: Recorder): void {
  expect(core.extensions).to.equal('permessage-deflate');
  core.receiveData(clientFrame(0x1, compressed('squeezed'), { rsv: 4 }));
  expect(output.log.at(-1)).to.equal('text squeezed');
}

/** The request is refused (RFC 6455 §4.2.2: "abort the WebSocket handshake"): only the status, nothing written, CLOSED. */
function expectRefusedAndClosed(core: ConnectionProtocol, output: Recorder, status: number): void {
  expect(output.log).to.deep.equal([`refused ${status}`]);
  expect(output.written).to.deep.equal([]);
  expect(core.readyState).to.equal('closed');
  // §7.1.4 CLOSED: the TCP connection is gone, so terminate() has nothing left to drop.
  core.terminate();
  expect(output.log).to.deep.equal([`refused ${status}`]);
}

describe('the connection machine, server role (RFC 6455 §4.2.2), through the sans-I/O core', () => {
  describe('CONNECTING: a request the server refuses for its own reasons', () => {
    const refusals: [string, RequestFacts, number][] = [
      // §4.2.2: "If the requested service is not available, the server MUST send an appropriate HTTP error code"; 400, as ws.
      ['a resource the server does not serve (§4.2.1 item 2, §4.2.2)', { resourceNotServed: true, url: '/elsewhere' }, 400],
      // RFC 6585 §5: "431 ... the server is unwilling to process the request because its header fields are too large".
      ['header fields over the server\'s limits (RFC 6585 §5)', { headerFieldsTooLarge: true }, 431],
      // §4.2.2 item 4: "If the server does not wish to accept this connection, it MUST return an appropriate HTTP error code (e.g., 403 Forbidden)".
      ['an origin the server does not allow (§4.2.2 item 4, §10.2)', { originNotAllowed: true, headers: { ...HANDSHAKE_REQUEST.headers, origin: 'https://evil.example' } }, 403],
      // RFC 9110 §15.6.4: 503, "the server is currently unable to handle the request due to a temporary overload".
      ['a server at its connection limit (RFC 9110 §15.6.4)', { connectionLimitReached: true }, 503],
    ];
    for (const [what, facts, status] of refusals) {
      it(`refuses ${what} with ${status}, writes nothing and is CLOSED`, () => {
        const { core, output } = serverCore();
        core.receiveHandshake(requestWith(facts));
        expectRefusedAndClosed(core, output, status);
        expect(output.refusals[0]!.status).to.equal(status);
      });
    }

    it('accepts a request whose every such fact is stated false (§4.2.2 item 5)', () => {
      const { core, output } = serverCore();
      core.receiveHandshake(requestWith({ resourceNotServed: false, headerFieldsTooLarge: false, originNotAllowed: false, connectionLimitReached: false, applicationDecides: false }));
      expectSwitchingProtocols(output, []);
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
    });

    it('refuses with 503 when the server does not decide in time (RFC 9110 §15.6.4: the delay is the server\'s)', () => {
      const { core, output } = serverCore();
      core.handshakeTimeout();
      expectRefusedAndClosed(core, output, 503);
    });

    it('terminate() before the request drops TCP and the connection is CLOSED', () => {
      const { core, output } = serverCore();
      core.terminate();
      expect(output.log).to.deep.equal(['destroyTcp']);
      expect(core.readyState).to.equal('closed');
      core.terminate();
      expect(output.log, 'nothing left to drop once CLOSED').to.deep.equal(['destroyTcp']);
    });
  });

  describe('CONNECTING: the request accepted (§4.2.2 item 5)', () => {
    it('answers 101 with the three fields of item 5 only, is OPEN and reads frames', () => {
      const { core, output } = serverCore();
      core.receiveHandshake(requestWith({}));
      expectSwitchingProtocols(output, []);
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
      expect(core.subprotocol).to.equal('');
      expectOpen(core, output);
    });

    it('item 5.4: answers |Sec-WebSocket-Protocol| with the subprotocol chosen, and reads frames', () => {
      const { core, output } = serverCore();
      core.receiveHandshake(requestWith({ headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-protocol': 'chat, superchat' }, subprotocol: 'chat' }));
      expectSwitchingProtocols(output, ['Sec-WebSocket-Protocol: chat']);
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
      expect(core.subprotocol).to.equal('chat');
      expectOpen(core, output);
    });

    it('RFC 7692 §5: answers |Sec-WebSocket-Extensions| for the offer accepted, and takes compressed messages', () => {
      const { core, output } = serverCore(true);
      core.receiveHandshake(requestWith({}, true));
      expectSwitchingProtocols(output, ['Sec-WebSocket-Extensions: permessage-deflate']);
      expect(core.readyState).to.equal('open');
      expect(core.subprotocol).to.equal('');
      expectOpen(core, output);
      expectDeflateInUse(core, output);
    });

    it('answers both the subprotocol and the extension when both are agreed, and takes compressed messages', () => {
      const { core, output } = serverCore(true);
      core.receiveHandshake(requestWith({ headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' }, subprotocol: 'chat' }));
      expectSwitchingProtocols(output, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Extensions: permessage-deflate']);
      expect(output.log).to.deep.equal(['opened']);
      expect(core.subprotocol).to.equal('chat');
      expectOpen(core, output);
      expectDeflateInUse(core, output);
    });
  });

  describe('awaitingApplication (§4.2.2: "the server MAY ... perform additional client authentication")', () => {
    function awaiting(deflate = false, facts: RequestFacts = {}) {
      const made = serverCore(deflate);
      made.core.receiveHandshake(requestWith({ applicationDecides: true, ...facts }, deflate));
      return made;
    }

    it('leaves an acceptable request to the application: still CONNECTING, nothing written or refused', () => {
      const { core, output } = awaiting();
      expect(output.log).to.deep.equal([]);
      expect(output.written).to.deep.equal([]);
      expect(core.readyState).to.equal('connecting');
      expect(core.machineStates.connection).to.equal('awaitingApplication');
    });

    it('accepted: 101 with the three fields of item 5 only, OPEN, reads frames', () => {
      const { core, output } = awaiting();
      core.applicationAccepted(undefined, false);
      expectSwitchingProtocols(output, []);
      expect(output.log).to.deep.equal(['opened']);
      expect(core.readyState).to.equal('open');
      expectOpen(core, output);
    });

    it('accepted with a subprotocol: item 5.4\'s |Sec-WebSocket-Protocol|, and reads frames', () => {
      const { core, output } = awaiting(false, { headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-protocol': 'chat.v1, chat.v2' } });
      core.applicationAccepted('chat.v2', false);
      expectSwitchingProtocols(output, ['Sec-WebSocket-Protocol: chat.v2']);
      expect(core.subprotocol).to.equal('chat.v2');
      expectOpen(core, output);
    });

    it('accepted with permessage-deflate agreed: RFC 7692 §5\'s |Sec-WebSocket-Extensions|, and takes compressed messages', () => {
      const { core, output } = awaiting(true);
      core.applicationAccepted(undefined, false);
      expectSwitchingProtocols(output, ['Sec-WebSocket-Extensions: permessage-deflate']);
      expect(core.subprotocol).to.equal('');
      expectOpen(core, output);
      expectDeflateInUse(core, output);
    });

    it('accepted with both: both fields, and takes compressed messages', () => {
      const { core, output } = awaiting(true, { headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' } });
      core.applicationAccepted('chat', false);
      expectSwitchingProtocols(output, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Extensions: permessage-deflate']);
      expect(core.subprotocol).to.equal('chat');
      expectOpen(core, output);
      expectDeflateInUse(core, output);
    });

    it('accepted while the server is now at its connection limit: 503 (RFC 9110 §15.6.4), CLOSED', () => {
      const { core, output } = awaiting();
      core.applicationAccepted(undefined, true);
      expectRefusedAndClosed(core, output, 503);
    });

    it('refused: the application\'s own refusal is the answer, as it chose it, CLOSED', () => {
      const { core, output } = awaiting();
      const chosen = handshakeRefusal(401, 'no token');
      core.applicationRefused(chosen);
      expectRefusedAndClosed(core, output, 401);
      expect(output.refusals).to.have.length(1);
      expect(output.refusals[0]).to.equal(chosen);
    });

    it('not decided in time: 503, CLOSED', () => {
      const { core, output } = awaiting();
      core.handshakeTimeout();
      expectRefusedAndClosed(core, output, 503);
    });

    it('refuses send, ping and pong: nothing may be sent before the handshake completed (§4.1)', () => {
      const { core, output } = awaiting();
      expectRequestRefused(core, output, 'send', 'awaitingApplication');
      expectRequestRefused(core, output, 'ping', 'awaitingApplication');
      expectRequestRefused(core, output, 'pong', 'awaitingApplication');
      expect(output.log).to.deep.equal([]);
      expect(core.readyState).to.equal('connecting');
    });

    it('terminate() drops TCP without an answer, CLOSED', () => {
      const { core, output } = awaiting();
      core.terminate();
      expect(output.log).to.deep.equal(['destroyTcp']);
      expect(output.written).to.deep.equal([]);
      expect(core.readyState).to.equal('closed');
      core.applicationAccepted(undefined, false);
      expect(output.written, 'a decision after the connection is gone answers nothing').to.deep.equal([]);
    });
  });

  describe('OPEN and CLOSED', () => {
    it('§7.1.5: TCP closing with no Close frame received makes the connection CLOSED with 1006', () => {
      const { core, output } = serverCore();
      core.receiveHandshake(requestWith({}));
      core.receiveTcpClosed();
      expect(output.log).to.deep.equal(['opened', 'closed 1006 ']);
      expect(core.readyState).to.equal('closed');
      expect(core.machineStates.connection).to.equal('closed');
    });

    it('once CLOSED, send, ping and pong are refused (nothing can be sent on a closed connection)', () => {
      const { core, output } = serverCore();
      core.receiveHandshake(requestWith({}));
      core.receiveTcpClosed();
      expectRequestRefused(core, output, 'send', 'closed');
      expectRequestRefused(core, output, 'ping', 'closed');
      expectRequestRefused(core, output, 'pong', 'closed');
    });
  });
});
