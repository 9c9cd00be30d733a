/**
 * What the sans-I/O core really does in a client scenario, in the oracle's terms
 * (rfc6455-oracle.ts): a valid opening handshake, the bytes in the given chunks (with the
 * application's close in between), the ending, then TCP closes. Every output is recorded; the
 * frames the server writes are read back with a small reader of their own (server frames are
 * unmasked, RFC 6455 §5.1).
 */
import { ConnectionProtocol, DiscardingOutput } from '../../src/connection-protocol.js';
import type { ProtocolError } from '../../src/protocol-error.js';
import type { ClientScenario, ExpectedOutcome } from './rfc6455-oracle.js';

export const OPENING_HANDSHAKE = {
  method: 'GET',
  httpVersion: '1.1',
  headers: {
    host: '127.0.0.1:9001',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
  },
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The server's frames in one write, read back: `pong <hex>`, `close <code>`, `close`, or what else it sent. */
export function readServerFrames(bytes: Buffer): string[] {
  const frames: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return [...frames, `a truncated header ${hex(bytes.subarray(at))}`];
    const first = bytes[at]!;
    const second = bytes[at + 1]!;
    at += 2;
    let length = second & 0x7f;
    if (length === 126) {
      length = bytes.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    if ((second & 0x80) !== 0) return [...frames, 'a masked server frame (§5.1 forbids it)'];
    const payload = bytes.subarray(at, at + length);
    at += length;
    const opcode = first & 0x0f;
    if (first !== (0x80 | opcode)) frames.push(`a first byte of ${first.toString(16)}`);
    if (opcode === 0xa) frames.push(`pong ${hex(payload)}`);
    else if (opcode === 0x8) frames.push(payload.length === 0 ? 'close' : payload.length === 1 ? 'close (1 byte)' : `close ${payload.readUInt16BE(0)}`);
    else frames.push(`opcode ${opcode} ${hex(payload)}`);
  }
  return frames;
}

class RecordingOutput extends DiscardingOutput {
  readonly wire: string[] = [];
  readonly app: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  private isOpen = false;

  override write(bytes: Uint8Array): void {
    if (this.isOpen) this.wire.push(...readServerFrames(Buffer.from(bytes)));
  }
  override opened(): void {
    this.isOpen = true;
  }
  override closeTcp(): void {
    this.wire.push('FIN');
  }
  override destroyTcp(): void {
    this.wire.push('drop');
  }
  override message(data: Buffer, isBinary: boolean): void {
    this.app.push(`${isBinary ? 'binary' : 'text'} ${hex(data)}`);
  }
  override ping(data: Buffer): void {
    this.app.push(`ping ${hex(data)}`);
  }
  override pong(data: Buffer): void {
    this.app.push(`pong ${hex(data)}`);
  }
  override protocolError(error: ProtocolError): void {
    this.app.push(`error ${error.closeCode}`);
  }
  override closed(code: number, reason: string): void {
    if (this.closedWith !== undefined) this.app.push(`closed reported twice (${code})`);
    this.closedWith = { code, reason };
  }
}

/** Feeds `bytes` in `chunks` (lengths used in turn and repeated; [] is one chunk). */
function feed(protocol: ConnectionProtocol, bytes: Uint8Array, chunks: readonly number[]): void {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, chunks.length === 0 ? bytes.length : chunks[i % chunks.length]!);
    // A copy: the core takes ownership of what it is given (it unmasks in place).
    protocol.receiveData(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
}

/** Runs the scenario on a fresh ConnectionProtocol and says what it did. */
export function coreOutcome(scenario: ClientScenario, chunks: readonly number[]): ExpectedOutcome {
  const output = new RecordingOutput();
  const protocol = new ConnectionProtocol(output, { maxMessageSize: scenario.maxMessageSize });
  protocol.receiveHandshake(OPENING_HANDSHAKE);
  const { bytes, appClose } = scenario;
  const closeAt = appClose === undefined ? bytes.length : Math.min(appClose.at, bytes.length);
  feed(protocol, bytes.subarray(0, closeAt), chunks);
  if (appClose !== undefined) {
    try {
      protocol.close(appClose.code);
    } catch (error) {
      // The machines refuse a close once the closing handshake started (InvalidStateError).
      output.app.push(`close refused (${(error as { code?: string }).code})`);
    }
  }
  feed(protocol, bytes.subarray(closeAt), chunks);
  if (scenario.ending === 'tcp-end') protocol.receiveTcpEnd();
  if (scenario.ending === 'close-timeout') protocol.closeTimeout();
  protocol.receiveTcpClosed();
  return { wire: output.wire, app: output.app, closedWith: output.closedWith ?? { code: -1, reason: 'closed never reported' } };
}

/** Where the core and the oracle disagree on a scenario, or undefined when they agree. */
export function disagreement(scenario: ClientScenario, chunks: readonly number[], expected: ExpectedOutcome): string | undefined {
  const actual = coreOutcome(scenario, chunks);
  const differs = (['wire', 'app', 'closedWith'] as const).filter(
    (key) => JSON.stringify(actual[key]) !== JSON.stringify(expected[key]),
  );
  if (differs.length === 0) return undefined;
  return differs
    .map((key) => `${key}: the core ${JSON.stringify(actual[key])}, the RFC oracle ${JSON.stringify(expected[key])}`)
    .join('\n');
}
