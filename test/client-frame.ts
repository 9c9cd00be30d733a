/** Test helper: frames as a client sends them (RFC 6455 §5.2, masked per §5.3). */
export function clientFrame(
  opcode: number,
  payload: string | Uint8Array = new Uint8Array(0),
  options: { fin?: boolean; rsv?: number; mask?: Uint8Array | null } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const fin = options.fin ?? true;
  const mask = options.mask === undefined ? Buffer.from([0x37, 0xfa, 0x21, 0x3d]) : options.mask;
  const lengthBytes = data.length < 126 ? 0 : data.length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? data.length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(data.length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(data.length), 2);
  if (mask) {
    header.set(mask, 2 + lengthBytes);
    for (let i = 0; i < data.length; i++) data[i]! ^= mask[i % 4]!;
  }
  return Buffer.concat([header, data]);
}

/** A Close frame body: 2-byte code and reason. */
export function closeBody(code: number, reason: string | Uint8Array = ''): Buffer {
  const reasonBytes = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason);
  const body = Buffer.alloc(2 + reasonBytes.length);
  body.writeUInt16BE(code, 0);
  body.set(reasonBytes, 2);
  return body;
}
