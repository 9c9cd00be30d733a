/**
 * The core's errors (src/protocol-error.ts): a ProtocolError's `code` and `closeCode` always come
 * as a pair from the one table (RFC 6455 §7.4.1 for the close codes), and both error classes are
 * named as their class, as Error subclasses are (a logged stack starts with the name).
 */
import { expect } from 'chai';
import { ERROR_CLOSE_CODES, InvalidStateError, ProtocolError, protocolError, type ProtocolErrorCode } from '../src/protocol-error.js';

/**
 * The close code RFC 6455 §7.4.1 (and RFC 6455 §10.4, python-websockets for the heartbeat) give each
 * failure. A client whose opening handshake fails sends no Close frame (§4.1: "_Fail the WebSocket
 * Connection_" before it is open); §7.1.5 then reports 1006.
 */
const RFC_CLOSE_CODE: Record<ProtocolErrorCode, number> = {
  WS_ERR_UNEXPECTED_RSV_1: 1002,
  WS_ERR_UNEXPECTED_RSV_2_3: 1002,
  WS_ERR_INVALID_OPCODE: 1002,
  WS_ERR_FRAGMENTED_CONTROL_FRAME: 1002,
  WS_ERR_CONTROL_FRAME_TOO_LONG: 1002,
  WS_ERR_EXPECTED_MASK: 1002,
  WS_ERR_INVALID_PAYLOAD_LENGTH: 1002,
  WS_ERR_UNSUPPORTED_PAYLOAD_LENGTH: 1009,
  WS_ERR_UNEXPECTED_CONTINUATION: 1002,
  WS_ERR_EXPECTED_CONTINUATION: 1002,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_INVALID_CLOSE_PAYLOAD: 1002,
  WS_ERR_INVALID_CLOSE_CODE: 1002,
  WS_ERR_MESSAGE_TOO_BIG: 1009,
  WS_ERR_INVALID_COMPRESSED_DATA: 1007,
  WS_ERR_PONG_TIMEOUT: 1011,
  WS_ERR_PONGS_UNREAD: 1008,
  // §5.1: "A client MUST close a connection if it detects a masked frame" (a protocol error).
  WS_ERR_UNEXPECTED_MASK: 1002,
  WS_ERR_HANDSHAKE_UNEXPECTED_STATUS: 1006,
  WS_ERR_HANDSHAKE_INVALID_UPGRADE: 1006,
  WS_ERR_HANDSHAKE_INVALID_ACCEPT: 1006,
  WS_ERR_HANDSHAKE_INVALID_EXTENSION: 1006,
  WS_ERR_HANDSHAKE_INVALID_SUBPROTOCOL: 1006,
  WS_ERR_HANDSHAKE_TIMEOUT: 1006,
  WS_ERR_CONNECTION_FAILED: 1006,
  // §10.4 lets an endpoint bound its resources; a policy it sets is 1008 (§7.4.1).
  WS_ERR_BUFFERED_AMOUNT_EXCEEDED: 1008,
};

describe('protocol errors (protocol-error.ts)', () => {
  it('has a close code for every error code, and no other entries', () => {
    expect(Object.keys(ERROR_CLOSE_CODES).sort()).to.deep.equal(Object.keys(RFC_CLOSE_CODE).sort());
  });

  for (const [code, closeCode] of Object.entries(RFC_CLOSE_CODE) as [ProtocolErrorCode, number][]) {
    it(`makes ${code} a ProtocolError with close code ${closeCode}`, () => {
      const error = protocolError(code);
      expect(error).to.be.instanceOf(ProtocolError).and.instanceOf(Error);
      expect({ code: error.code, closeCode: error.closeCode }).to.deep.equal({ code, closeCode });
      expect(error.name).to.equal('ProtocolError');
      expect(String(error).startsWith('ProtocolError: ')).to.equal(true);
    });
  }

  it('makes an InvalidStateError named as its class, with the refused request and every machine state', () => {
    const machineStates = { connection: 'closing', message: 'awaitingMessage', closingHandshake: 'closeSent' };
    const error = new InvalidStateError('send', machineStates);
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('InvalidStateError');
    expect(error.code).to.equal('WS_ERR_INVALID_STATE');
    expect(error.request).to.equal('send');
    expect(error.machineStates).to.deep.equal(machineStates);
  });
});
