/**
 * The sans-I/O core's inputs and application calls that the other core tests do not reach: the
 * application deciding on the opening handshake (RFC 6455 §4.2.2), the handshake timeout, the
 * bound on buffered bytes, the checks of `send` / `ping` / `pong` / `close` arguments (§5.5,
 * §7.4), the frames as written (§5.2, RFC 7692 §6, the `onFrame` hook), and run-to-completion
 * when an input arrives while the core is carrying out another.
 *
 * Frames written are read back with the tests' own frame reader (test/raw-server.ts), never with
 * src/'s parser.
 */
import { expect } from 'chai';
import { constants, inflateRawSync } from 'node:zlib';
import { ConnectionProtocol, type ProtocolOptions, type ProtocolOutput } from '../src/connection-protocol.js';
import { InvalidStateError, type ProtocolError } from '../src/protocol-error.js';
import type { HandshakeRefusal } from '../src/opening-handshake.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { expectedAccept } from '../src/client-handshake.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST } from './client-frame.js';
import { readClientFrames, type ClientFrameRead } from './raw-server.js';

/** Every call the core makes, in order; writes kept as the very objects given (copies would hide a copy). */
class CallLog implements ProtocolOutput {
  readonly calls: unknown[][] = [];
  readonly writes: Uint8Array[] = [];
  /** Called from inside `write`, as an I/O layer reporting on the socket synchronously might. */
  onWrite: (() => void) | undefined;
  write(bytes: Uint8Array) {
    this.writes.push(bytes);
    this.calls.push(['write']);
    const onWrite = this.onWrite;
    this.onWrite = undefined;
    onWrite?.();
  }
  refuseHandshake(refusal: HandshakeRefusal) { this.calls.push(['refused', refusal]); }
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
  /** The 101 response (the first write), as text. */
  response(): string { return Buffer.from(this.writes[0]!).toString(); }
  /** The frames written after the 101 response. */
  frames(): ClientFrameRead[] { return readClientFrames(Buffer.concat(this.writes.slice(1))); }
}

const DEFLATE_OFFER = { ...HANDSHAKE_REQUEST, headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-extensions': 'permessage-deflate' } };

function core(options: Partial<ProtocolOptions> = {}) {
  const output = new CallLog();
  const protocol = new ConnectionProtocol(output, { maxMessageSize: 1 << 20, ...options });
  return { output, protocol };
}

const DEFLATE_OPTIONS: Partial<ProtocolOptions> = {
  perMessageDeflate: { threshold: 16 },
  createCompressor: (agreed, options) => new PerMessageDeflateCodec(agreed, options),
};

function openCore(options: Partial<ProtocolOptions> = {}, request = HANDSHAKE_REQUEST) {
  const opened = core(options);
  opened.protocol.receiveHandshake(request);
  expect(opened.protocol.readyState).to.equal('open');
  return opened;
}

/** A request the protocol accepts but leaves to the application (`verifyClient`, `handleProtocols`). */
function awaitingApplication(options: Partial<ProtocolOptions> = {}, request = HANDSHAKE_REQUEST) {
  const pending = core(options);
  pending.protocol.receiveHandshake({
    ...request,
    headers: { ...request.headers, 'sec-websocket-protocol': 'chat, superchat' },
    applicationDecides: true,
  });
  expect(pending.protocol.machineStates.connection).to.equal('awaitingApplication');
  expect(pending.output.calls).to.deep.equal([]);
  return pending;
}

function headerLines(response: string): string[] {
  return response.split('\r\n').filter((line) => line !== '');
}

describe('the sans-I/O core: inputs and application calls', () => {
  describe('the application decides on the opening handshake (RFC 6455 §4.2.2)', () => {
    it('§4.2.2 item 5.4: answers with the subprotocol the application chose after the request waited for it', () => {
      const { output, protocol } = awaitingApplication();
      protocol.applicationAccepted('superchat', false);
      expect(protocol.readyState).to.equal('open');
      expect(headerLines(output.response())).to.include('Sec-WebSocket-Protocol: superchat');
      expect(protocol.subprotocol).to.equal('superchat');
      expect(output.calls).to.deep.equal([['write'], ['opened']]);
    });

    it('§4.2.2 item 5.4: answers without |Sec-WebSocket-Protocol| when the application chose none', () => {
      const { output, protocol } = awaitingApplication();
      protocol.applicationAccepted(undefined, false);
      expect(protocol.readyState).to.equal('open');
      expect(output.response()).not.to.include('Sec-WebSocket-Protocol');
      expect(protocol.subprotocol).to.equal('');
    });

    it('RFC 7692 §5: answers the agreed permessage-deflate once the application accepts, and the extension is in use', () => {
      const { output, protocol } = awaitingApplication(DEFLATE_OPTIONS, DEFLATE_OFFER);
      protocol.applicationAccepted(undefined, false);
      expect(headerLines(output.response())).to.include('Sec-WebSocket-Extensions: permessage-deflate');
      expect(protocol.extensions).to.equal('permessage-deflate');
    });

    it('RFC 7692 §5: answers no extension when none was offered, even with permessage-deflate enabled', () => {
      const { output, protocol } = awaitingApplication(DEFLATE_OPTIONS);
      protocol.applicationAccepted(undefined, false);
      expect(protocol.readyState).to.equal('open');
      expect(output.response()).not.to.include('Sec-WebSocket-Extensions');
      expect(protocol.extensions).to.equal('');
    });

    it('answers 503 when the server reached its connection limit while the application decided', () => {
      const { output, protocol } = awaitingApplication();
      protocol.applicationAccepted('chat', true);
      expect(output.calls.map((call) => call[0])).to.deep.equal(['refused']);
      expect((output.calls[0]![1] as HandshakeRefusal).status).to.equal(503);
      expect(protocol.readyState).to.equal('closed');
    });

    it('§4.2.2: relays the refusal the application chose, as it is, and opens nothing', () => {
      const { output, protocol } = awaitingApplication();
      const refusal: HandshakeRefusal = { status: 401, statusText: 'Unauthorized', headers: { 'WWW-Authenticate': 'Basic' }, body: 'who are you?' };
      protocol.applicationRefused(refusal);
      expect(output.calls).to.deep.equal([['refused', refusal]]);
      expect(output.calls[0]![1]).to.equal(refusal);
      expect(protocol.readyState).to.equal('closed');
    });

    it('answers 503 when the application takes longer than the handshake timeout, and writes no 101', () => {
      const { output, protocol } = awaitingApplication();
      protocol.handshakeTimeout();
      expect(output.calls.map((call) => call[0])).to.deep.equal(['refused']);
      expect((output.calls[0]![1] as HandshakeRefusal).status).to.equal(503);
      expect(output.writes).to.deep.equal([]);
      expect(protocol.readyState).to.equal('closed');
    });

    it('keeps the request (its headers) only while the machines or the application decide on it, not for the life of the connection', () => {
      const answered = openCore();
      expect(answered.protocol.handshakeRequest).to.equal(undefined);
      const refused = core();
      refused.protocol.receiveHandshake({ ...HANDSHAKE_REQUEST, method: 'POST' });
      expect(refused.protocol.handshakeRequest).to.equal(undefined);
      const accepted = awaitingApplication();
      expect(accepted.protocol.handshakeRequest?.headers['sec-websocket-protocol']).to.equal('chat, superchat');
      accepted.protocol.applicationAccepted('chat', false);
      expect(accepted.protocol.handshakeRequest).to.equal(undefined);
      const timedOut = awaitingApplication();
      timedOut.protocol.handshakeTimeout();
      expect(timedOut.protocol.handshakeRequest).to.equal(undefined);
    });

    it('§4.1: reads no frame before the handshake completes (a client waits for the 101 before sending)', () => {
      const { output, protocol } = awaitingApplication();
      protocol.receiveData(clientFrame(0x1, 'too early'));
      expect(output.calls).to.deep.equal([]);
      expect(protocol.machineStates).to.deep.equal({ connection: 'awaitingApplication', message: 'awaitingMessage', closingHandshake: 'connecting' });
    });
  });

  describe('the extensions in use (RFC 7692 §5)', () => {
    it("is '' when the server has permessage-deflate enabled but the client offered nothing", () => {
      expect(openCore(DEFLATE_OPTIONS).protocol.extensions).to.equal('');
    });

    it("is 'permessage-deflate' once agreed", () => {
      expect(openCore(DEFLATE_OPTIONS, DEFLATE_OFFER).protocol.extensions).to.equal('permessage-deflate');
    });
  });

  describe('the bound on bytes the peer leaves unread', () => {
    it('fails with 1008 (§7.4.1, a policy the endpoint sets), sends the Close and drops TCP at once', () => {
      const { output, protocol } = openCore();
      output.calls.length = 0;
      protocol.bufferedAmountExceeded();
      expect(output.calls).to.deep.equal([['write'], ['error', 'WS_ERR_BUFFERED_AMOUNT_EXCEEDED', 1008], ['destroyTcp']]);
      expect(output.frames().map((frame) => [frame.opcode, frame.payload.toString('hex')])).to.deep.equal([[0x8, '03f0']]);
    });
  });

  describe("the application's arguments, checked before anything is sent", () => {
    const bytes126 = new Uint8Array(126);

    it('send(): a message is bytes', () => {
      const { output, protocol } = openCore();
      expect(() => protocol.send('text' as unknown as Uint8Array, false)).to.throw(TypeError, 'a message is bytes (Uint8Array)');
      expect(output.writes.length).to.equal(1);
    });

    it('ping(): data is bytes, and §5.5: "All control frames MUST have a payload length of 125 bytes or less"', () => {
      const { output, protocol } = openCore();
      expect(() => protocol.ping('p' as unknown as Uint8Array)).to.throw(TypeError, 'Ping data is bytes (Uint8Array)');
      expect(() => protocol.ping(bytes126)).to.throw(RangeError, 'RFC 6455 §5.5: a control frame payload is at most 125 bytes');
      expect(output.writes.length).to.equal(1);
    });

    it('pong(): data is bytes, and §5.5: at most 125 bytes', () => {
      const { output, protocol } = openCore();
      expect(() => protocol.pong('p' as unknown as Uint8Array)).to.throw(TypeError, 'Pong data is bytes (Uint8Array)');
      expect(() => protocol.pong(bytes126)).to.throw(RangeError, 'RFC 6455 §5.5: a control frame payload is at most 125 bytes');
      expect(output.writes.length).to.equal(1);
    });

    it('close(): §5.5.1 the status code is a 2-byte unsigned integer — a fraction or a string is a TypeError, not a RangeError', () => {
      const { output, protocol } = openCore();
      expect(() => protocol.close(1000.5)).to.throw(TypeError, 'close code must be an integer, not 1000.5');
      expect(() => protocol.close('1000' as unknown as number)).to.throw(TypeError, 'close code must be an integer, not 1000');
      expect(output.writes.length).to.equal(1);
      expect(protocol.readyState).to.equal('open');
    });

    it('close(): §5.5.1 the reason is UTF-8 text or bytes — a DataView is neither', () => {
      const { output, protocol } = openCore();
      const view = new DataView(new ArrayBuffer(2));
      expect(() => protocol.close(1000, view as unknown as Uint8Array)).to.throw(TypeError, 'close reason must be a string or bytes');
      expect(output.writes.length).to.equal(1);
      expect(protocol.readyState).to.equal('open');
    });

    it('close(): §7.4 a code an endpoint may not send, and §5.5 a reason over 123 bytes, are RangeErrors that say so', () => {
      const { output, protocol } = openCore();
      expect(() => protocol.close(1006)).to.throw(RangeError, 'close code 1006 may not be sent (RFC 6455 §7.4)');
      expect(() => protocol.close(1000, 'x'.repeat(124))).to.throw(RangeError, 'RFC 6455 §5.5: a close reason is at most 123 bytes');
      expect(output.writes.length).to.equal(1);
      expect(protocol.readyState).to.equal('open');
    });
  });

  describe('frames as written (RFC 6455 §5.2, RFC 7692 §6)', () => {
    it('§5.2: a message of 16 KiB or more goes out as one final frame, its payload the bytes given (not copied)', () => {
      for (const length of [16 * 1024, 16 * 1024 + 1, 70_000]) {
        const { output, protocol } = openCore();
        const data = Buffer.alloc(length, 0x61);
        protocol.send(data, true);
        const frames = output.frames();
        expect(frames.map((frame) => [frame.fin, frame.rsv1, frame.opcode, frame.masked, frame.payload.length])).to.deep.equal([[true, false, 0x2, false, length]]);
        expect(frames[0]!.payload.equals(data)).to.equal(true);
        // The header and the application's own bytes: two writes, the second the very buffer given.
        expect(output.writes.length).to.equal(3);
        expect(output.writes[2]).to.equal(data);
      }
    });

    it('§5.2: a message under 16 KiB goes out as one final frame in one write', () => {
      for (const length of [0, 125, 16 * 1024 - 1]) {
        const { output, protocol } = openCore();
        protocol.send(Buffer.alloc(length, 0x62), false);
        expect(output.frames().map((frame) => [frame.fin, frame.rsv1, frame.opcode, frame.payload.length])).to.deep.equal([[true, false, 0x1, length]]);
        expect(output.writes.length).to.equal(2);
      }
    });

    it('RFC 7692 §6: a message of at least `threshold` bytes is compressed (RSV1 set), a shorter one is not', () => {
      const { output, protocol } = openCore(DEFLATE_OPTIONS, DEFLATE_OFFER);
      const short = 'x'.repeat(15);
      const atThreshold = 'y'.repeat(16);
      protocol.send(Buffer.from(short), false);
      protocol.send(Buffer.from(atThreshold), false);
      const [first, second] = output.frames();
      expect([first!.fin, first!.rsv1, first!.opcode, first!.payload.toString()]).to.deep.equal([true, false, 0x1, short]);
      expect([second!.fin, second!.rsv1, second!.opcode]).to.deep.equal([true, true, 0x1]);
      // §7.2.2: append 00 00 ff ff to the payload, then inflate.
      const inflated = inflateRawSync(Buffer.concat([second!.payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
      expect(inflated.toString()).to.equal(atThreshold);
    });

    it('§5.1, §5.3: a client sends each message as one final frame, masked, whatever its size', () => {
      const { output, protocol } = core();
      protocol.clientHandshakeSent();
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      const accept = expectedAccept(key);
      protocol.receiveHandshakeResponse({ status: 101, headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': accept }, expectedAccept: accept, offeredSubprotocols: [] }, undefined);
      const large = Buffer.alloc(70_000, 0x63);
      protocol.send(Buffer.from('hello'), false);
      protocol.send(large, true);
      const frames = readClientFrames(Buffer.concat(output.writes));
      expect(frames.map((frame) => [frame.fin, frame.rsv1, frame.opcode, frame.masked, frame.payload.length])).to.deep.equal([
        [true, false, 0x1, true, 5],
        [true, false, 0x2, true, 70_000],
      ]);
      expect(frames[0]!.payload.toString()).to.equal('hello');
      expect(frames[1]!.payload.equals(large)).to.equal(true);
    });

    it('reports every frame written to `onFrame`: direction, opcode, payload length, FIN, RSV1', () => {
      const seen: unknown[][] = [];
      const { protocol } = openCore({
        ...DEFLATE_OPTIONS,
        onFrame: (direction, opcode, payloadLength, fin, rsv1) => void seen.push([direction, opcode, payloadLength, fin, rsv1]),
      }, DEFLATE_OFFER);
      protocol.ping(Buffer.from('abc'));
      protocol.pong(Buffer.from('de'));
      protocol.send(Buffer.from('short'), true);
      protocol.send(Buffer.alloc(64, 0x7a), false);
      protocol.close(1000, 'ok');
      const compressedLength = seen[3]![2];
      expect(seen).to.deep.equal([
        ['out', 0x9, 3, true, false],
        ['out', 0xa, 2, true, false],
        ['out', 0x2, 5, true, false],
        ['out', 0x1, compressedLength, true, true],
        ['out', 0x8, 4, true, false],
      ]);
      expect(compressedLength).to.be.a('number').and.to.be.below(64);
    });
  });

  describe('an input that arrives while the core is carrying out another waits its turn', () => {
    it('close(): the socket reporting its close from inside the Close frame\'s write is handled after the close timer is asked for', () => {
      const { output, protocol } = openCore();
      output.calls.length = 0;
      output.onWrite = () => protocol.receiveTcpClosed();
      protocol.close(1000);
      // §7.1.5: no Close received, so the code is 1006.
      expect(output.calls).to.deep.equal([['write'], ['startCloseTimer'], ['closed', 1006, '']]);
    });

    it("a peer's Close: the socket's close reported from inside the echo's write is handled after TCP is closed and the timer asked for", () => {
      const { output, protocol } = openCore();
      output.calls.length = 0;
      output.onWrite = () => protocol.receiveTcpClosed();
      protocol.receiveData(clientFrame(0x8, closeBody(1001, 'away')));
      // §7.1.5: the code and reason of the Close received.
      expect(output.calls).to.deep.equal([['write'], ['closeTcp'], ['startCloseTimer'], ['closed', 1001, 'away']]);
    });
  });

  it('InvalidStateError names the request refused (send after close(), §5.5.1)', () => {
    const { protocol } = openCore();
    protocol.close();
    expect(() => protocol.send(Buffer.from('late'), false)).to.throw(InvalidStateError).with.property('request', 'send');
  });
});
