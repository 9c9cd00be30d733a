/**
 * RFC 6455 §7.1.7 "_Fail the WebSocket Connection_", over the sans-I/O core: every failure cause
 * is its own event, the machine transition that takes it names the API error code and the close
 * code (one table, src/protocol-error.ts), the Close frame carries that code, the application is
 * told with a ProtocolError, and the close the application sees is 1006 (§7.1.5).
 */
import { expect } from 'chai';
import { deflateRawSync, constants } from 'node:zlib';
import { ConnectionProtocol, type ProtocolOutput } from '../src/connection-protocol.js';
import type { ProtocolTransition } from '../src/protocol-machines.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { ERROR_CLOSE_CODES } from '../src/protocol-error.js';
import { CloseCode } from '../src/close-code.js';
import { PerMessageDeflateCodec } from '../src/permessage-deflate/zlib-codec.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST } from './client-frame.js';

/** The handshake, offering permessage-deflate. */
const REQUEST = { ...HANDSHAKE_REQUEST, headers: { ...HANDSHAKE_REQUEST.headers, 'sec-websocket-extensions': 'permessage-deflate' } };


class Recorder implements ProtocolOutput {
  readonly frames: Buffer[] = [];
  readonly errors: ProtocolError[] = [];
  readonly steps: string[] = [];
  closedWith: [number, string] | undefined;
  write(bytes: Uint8Array) { this.frames.push(Buffer.from(bytes)); }
  refuseHandshake() {}
  closeTcp() {}
  destroyTcp() {}
  startCloseTimer() {}
  startPongDeadline() {}
  opened() {}
  message() {}
  ping() {}
  pong() {}
  protocolError(error: ProtocolError) { this.errors.push(error); }
  closed(code: number, reason: string) { this.closedWith = [code, reason]; }
}

/** A core with permessage-deflate agreed and a 1 KiB message limit. */
function open(): { core: ConnectionProtocol; out: Recorder } {
  const out = new Recorder();
  const core = new ConnectionProtocol(out, {
    maxMessageSize: 1024,
    perMessageDeflate: {},
    createCompressor: (agreed, options) => new PerMessageDeflateCodec(agreed, options),
    onTransition: (t: ProtocolTransition) => out.steps.push(`${t.machineId}: ${t.source} -${t.eventType}-> ${t.target}`),
  });
  core.receiveHandshake(REQUEST);
  return { core, out };
}

const deflated = (data: Uint8Array) => {
  const output = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return output.subarray(0, output.length - 4);
};

/** A header with a 64-bit length, masked (no payload follows). */
function longHeader(opcode: number, high: number, low: number): Buffer {
  const bytes = Buffer.from([0x80 | opcode, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
  bytes.writeUInt32BE(high, 2);
  bytes.writeUInt32BE(low, 6);
  return bytes;
}

interface Cause {
  what: string;
  bytes: Buffer;
  /** The machine step that decides it. */
  step: string;
  error: keyof typeof ERROR_CLOSE_CODES;
  closeCode: number;
}

const causes: Cause[] = [
  { what: 'RSV1 on a Ping (RFC 7692 §6)', bytes: clientFrame(0x9, 'x', { rsv: 4 }), step: 'connection: open -RSV1_NOT_ALLOWED-> closing', error: 'WS_ERR_UNEXPECTED_RSV_1', closeCode: 1002 },
  { what: 'RSV2 set (§5.2)', bytes: clientFrame(0x1, 'x', { rsv: 2 }), step: 'connection: open -RSV2_OR_RSV3_SET-> closing', error: 'WS_ERR_UNEXPECTED_RSV_2_3', closeCode: 1002 },
  { what: 'the reserved opcode 0x3 (§5.2)', bytes: clientFrame(0x3, 'x'), step: 'connection: open -RESERVED_OPCODE-> closing', error: 'WS_ERR_INVALID_OPCODE', closeCode: 1002 },
  { what: 'a fragmented Ping (§5.5)', bytes: clientFrame(0x9, 'x', { fin: false }), step: 'connection: open -FRAGMENTED_CONTROL_FRAME-> closing', error: 'WS_ERR_FRAGMENTED_CONTROL_FRAME', closeCode: 1002 },
  { what: 'a 126-byte Ping (§5.5)', bytes: clientFrame(0x9, Buffer.alloc(126)), step: 'connection: open -CONTROL_FRAME_TOO_LONG-> closing', error: 'WS_ERR_CONTROL_FRAME_TOO_LONG', closeCode: 1002 },
  { what: 'an unmasked frame (§5.1)', bytes: clientFrame(0x1, 'x', { mask: null }), step: 'connection: open -UNMASKED_FRAME-> closing', error: 'WS_ERR_EXPECTED_MASK', closeCode: 1002 },
  { what: 'a 64-bit length with its top bit set (§5.2)', bytes: longHeader(0x2, 0x80000000, 0), step: 'connection: open -INVALID_PAYLOAD_LENGTH-> closing', error: 'WS_ERR_INVALID_PAYLOAD_LENGTH', closeCode: 1002 },
  { what: 'a 64-bit length of 2^53 (§10.4)', bytes: longHeader(0x2, 0x200000, 0), step: 'connection: open -UNSUPPORTED_PAYLOAD_LENGTH-> closing', error: 'WS_ERR_UNSUPPORTED_PAYLOAD_LENGTH', closeCode: 1009 },
  { what: 'a frame announcing more than the message limit (§10.4)', bytes: longHeader(0x2, 0, 0x10000), step: 'connection: open -MESSAGE_TOO_BIG-> closing', error: 'WS_ERR_MESSAGE_TOO_BIG', closeCode: 1009 },
  { what: 'text that is not UTF-8 (§8.1)', bytes: clientFrame(0x1, Buffer.from([0x48, 0xff])), step: 'connection: open -INVALID_UTF8-> closing', error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 },
  { what: 'compressed data that does not inflate (RFC 7692 §8)', bytes: clientFrame(0x2, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv: 4 }), step: 'connection: open -CORRUPT_COMPRESSED_DATA-> closing', error: 'WS_ERR_INVALID_COMPRESSED_DATA', closeCode: 1007 },
  { what: 'a compressed message inflating past the limit', bytes: clientFrame(0x2, deflated(Buffer.alloc(4096)), { rsv: 4 }), step: 'connection: open -INFLATED_TOO_BIG-> closing', error: 'WS_ERR_MESSAGE_TOO_BIG', closeCode: 1009 },
  { what: 'compressed text inflating to bytes that are not UTF-8', bytes: clientFrame(0x1, deflated(Buffer.from([0x48, 0xff])), { rsv: 4 }), step: 'connection: open -INFLATED_TEXT_NOT_UTF8-> closing', error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 },
  { what: 'a continuation frame with no message (§5.4)', bytes: clientFrame(0x0, 'x'), step: 'message: awaitingMessage -CONTINUATION_FRAME-> failed', error: 'WS_ERR_UNEXPECTED_CONTINUATION', closeCode: 1002 },
  { what: 'a new message between fragments (§5.4)', bytes: Buffer.concat([clientFrame(0x1, 'a', { fin: false }), clientFrame(0x2, 'b')]), step: 'message: text.awaitingContinuation -BINARY_FRAME-> failed', error: 'WS_ERR_EXPECTED_CONTINUATION', closeCode: 1002 },
  { what: 'RSV1 on a continuation frame (RFC 7692 §6.1)', bytes: Buffer.concat([clientFrame(0x1, 'a', { fin: false }), clientFrame(0x0, 'b', { rsv: 4 })]), step: 'message: text.awaitingContinuation -CONTINUATION_FRAME-> failed', error: 'WS_ERR_UNEXPECTED_RSV_1', closeCode: 1002 },
  { what: 'a 1-byte Close body (§5.5.1)', bytes: clientFrame(0x8, Buffer.from([3])), step: 'closingHandshake: open -CLOSE_FRAME-> failed', error: 'WS_ERR_INVALID_CLOSE_PAYLOAD', closeCode: 1002 },
  { what: 'a Close with code 999 (§7.4.2)', bytes: clientFrame(0x8, closeBody(999)), step: 'closingHandshake: open -CLOSE_FRAME-> failed', error: 'WS_ERR_INVALID_CLOSE_CODE', closeCode: 1002 },
  { what: 'a Close with code 1005, local only (§7.4.1)', bytes: clientFrame(0x8, closeBody(1005)), step: 'closingHandshake: open -CLOSE_FRAME-> failed', error: 'WS_ERR_INVALID_CLOSE_CODE', closeCode: 1002 },
  { what: 'a Close reason that is not UTF-8 (§8.1)', bytes: clientFrame(0x8, closeBody(1000, Buffer.from([0xff]))), step: 'closingHandshake: open -CLOSE_FRAME-> failed', error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 },
];

describe('failing the connection (RFC 6455 §7.1.7), each cause with its code', () => {
  for (const cause of causes) {
    it(`fails with ${cause.closeCode} (${cause.error}) on ${cause.what}`, () => {
      for (const chunking of ['whole', 'byte by byte'] as const) {
        const { core, out } = open();
        const bytes = Buffer.from(cause.bytes);
        if (chunking === 'whole') core.receiveData(bytes);
        else for (let i = 0; i < bytes.length; i++) core.receiveData(bytes.subarray(i, i + 1));
        expect(out.steps, chunking).to.include(cause.step);
        // The transition that decided names the error and its close code from the one table.
        expect(ERROR_CLOSE_CODES[cause.error]).to.equal(cause.closeCode);
        expect(out.errors.map((e) => [e.code, e.closeCode]), chunking).to.deep.equal([[cause.error, cause.closeCode]]);
        const close = out.frames.at(-1)!;
        expect(close[0], 'a Close frame').to.equal(0x88);
        expect(close.readUInt16BE(2), 'its code').to.equal(cause.closeCode);
        expect(core.readyState).to.equal('closing');
        // Later bytes are not read.
        core.receiveData(clientFrame(0x9, 'late'));
        expect(out.frames.at(-1)).to.equal(close);
        core.receiveTcpClosed();
        // §7.1.5: a failed connection reports 1006, never a number from the invalid frame.
        expect(out.closedWith).to.deep.equal([CloseCode.abnormalClosure, '']);
      }
    });
  }

  it('names the cause and the codes in the transition that fails the connection', () => {
    const actions: string[] = [];
    const core = new ConnectionProtocol(new Recorder(), {
      maxMessageSize: 1024,
      onTransition: (t) => {
        for (const action of t.actions) if (action.type === 'failConnection') actions.push(`${t.eventType}: ${action.params.error} ${action.params.closeCode}`);
      },
    });
    core.receiveHandshake(REQUEST);
    core.receiveData(clientFrame(0x1, Buffer.from([0xff])));
    expect(actions).to.deep.equal(['INVALID_UTF8: WS_ERR_INVALID_UTF8 1007']);
  });

  it('fails with 1002 (WS_ERR_UNEXPECTED_RSV_1) on RSV1 when permessage-deflate was not agreed (§5.2)', () => {
    const out = new Recorder();
    const core = new ConnectionProtocol(out, {
      maxMessageSize: 1024,
      onTransition: (t) => out.steps.push(`${t.machineId}: ${t.source} -${t.eventType}-> ${t.target}`),
    });
    core.receiveHandshake(REQUEST);
    core.receiveData(clientFrame(0x1, 'x', { rsv: 4 }));
    expect(out.steps).to.include('connection: open -RSV1_NOT_ALLOWED-> closing');
    expect(out.errors.map((e) => [e.code, e.closeCode])).to.deep.equal([['WS_ERR_UNEXPECTED_RSV_1', 1002]]);
  });

  it('sends no second Close when the failure comes after its own Close, and still reports 1006', () => {
    const { core, out } = open();
    core.close(1000);
    const frames = out.frames.length;
    core.receiveData(clientFrame(0x3, 'x'));
    expect(out.frames.length, 'nothing written').to.equal(frames);
    expect(out.errors.map((e) => [e.code, e.closeCode])).to.deep.equal([['WS_ERR_INVALID_OPCODE', 1002]]);
    expect(out.steps).to.include('closingHandshake: closeSent -CONNECTION_FAILED-> failed');
    core.receiveTcpClosed();
    expect(out.closedWith).to.deep.equal([1006, '']);
  });
});
