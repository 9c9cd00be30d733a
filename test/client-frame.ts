import { encodeClientFrame } from '../src/frame-encoder.js';
import { VALID_HANDSHAKE_HEADERS } from '../src/model-based/event-samples.js';

/** A valid opening handshake request (RFC 6455 §4.1), as `ConnectionProtocol.receiveHandshake` takes it. */
export const HANDSHAKE_REQUEST: { method: string; httpVersion: string; headers: Record<string, string> } = {
  method: 'GET',
  httpVersion: '1.1',
  headers: { ...VALID_HANDSHAKE_HEADERS },
};

/** Test helper: frames as a client sends them (RFC 6455 §5.2, masked per §5.3), through src/'s one client-frame encoder. */
export function clientFrame(
  opcode: number,
  payload: string | Uint8Array = new Uint8Array(0),
  options: { fin?: boolean; rsv?: number; mask?: Uint8Array | null } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = options.mask === undefined ? Buffer.from([0x37, 0xfa, 0x21, 0x3d]) : options.mask;
  return encodeClientFrame(opcode, data, mask, { fin: options.fin ?? true, rsv: options.rsv ?? 0 });
}

/** A Close frame body: 2-byte code and reason. */
export function closeBody(code: number, reason: string | Uint8Array = ''): Buffer {
  const reasonBytes = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason);
  const body = Buffer.alloc(2 + reasonBytes.length);
  body.writeUInt16BE(code, 0);
  body.set(reasonBytes, 2);
  return body;
}
