/**
 * What the connection-machine tests (server and client role) share: a recorder of everything the
 * sans-I/O core asks of the I/O layer and tells the application, the §1.3 sample accept value,
 * a message compressed as RFC 7692 §7.2.1 sends it, and the check that a request is refused.
 */
import { expect } from 'chai';
import { deflateRawSync, constants } from 'node:zlib';
import type { ConnectionProtocol, ProtocolOutput } from '../src/connection-protocol.js';
import type { HandshakeRefusal } from '../src/opening-handshake.js';
import { InvalidStateError, type ProtocolError } from '../src/protocol-error.js';

/** RFC 6455 §1.3: the key "dGhlIHNhbXBsZSBub25jZQ==" is answered with this |Sec-WebSocket-Accept|. */
export const RFC_SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Everything the core asks of the I/O layer and tells the application, in order. */
export class Recorder implements ProtocolOutput {
  readonly log: string[] = [];
  readonly written: Buffer[] = [];
  readonly refusals: HandshakeRefusal[] = [];
  write(bytes: Uint8Array): void { this.written.push(Buffer.from(bytes)); }
  refuseHandshake(refusal: HandshakeRefusal): void {
    this.refusals.push(refusal);
    this.log.push(`refused ${refusal.status}`);
  }
  closeTcp(): void { this.log.push('closeTcp'); }
  destroyTcp(): void { this.log.push('destroyTcp'); }
  startCloseTimer(): void { this.log.push('startCloseTimer'); }
  startPongDeadline(): void { this.log.push('startPongDeadline'); }
  unexpectedResponse(): void { this.log.push('unexpectedResponse'); }
  opened(): void { this.log.push('opened'); }
  message(data: Buffer, isBinary: boolean): void { this.log.push(`${isBinary ? 'binary' : 'text'} ${data.toString()}`); }
  ping(data: Buffer): void { this.log.push(`ping ${data.toString()}`); }
  pong(data: Buffer): void { this.log.push(`pong ${data.toString()}`); }
  protocolError(error: ProtocolError): void { this.log.push(`error ${error.code} ${error.closeCode}`); }
  closed(code: number, reason: string): void { this.log.push(`closed ${code} ${reason}`); }
}

/** RFC 7692 §7.2.1: a message compressed as a peer sends it (raw deflate, the trailing 00 00 ff ff removed). */
export function compressed(text: string): Buffer {
  const bytes = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
  return bytes.subarray(0, bytes.length - 4);
}

/** An application request refused with InvalidStateError naming `request` and the connection's state; nothing written. */
export function expectRequestRefused(core: ConnectionProtocol, output: Recorder, request: 'send' | 'ping' | 'pong', state: string): void {
  const written = output.written.length;
  const call = { send: () => core.send(Buffer.from('x'), false), ping: () => core.ping(), pong: () => core.pong() }[request];
  let error: unknown;
  try {
    call();
  } catch (caught) {
    error = caught;
  }
  expect(error).to.be.instanceOf(InvalidStateError);
  expect((error as InvalidStateError).code).to.equal('WS_ERR_INVALID_STATE');
  expect((error as InvalidStateError).request).to.equal(request);
  expect((error as InvalidStateError).machineStates.connection).to.equal(state);
  expect(output.written.length, 'nothing written').to.equal(written);
}
