/**
 * RFC 6455 §5.2: "Opcode: 4 bits. Defines the interpretation of the 'Payload data'."
 * (%x3-7 and %xB-F are reserved; the frame parser refuses them.)
 */
export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** The same opcodes by name, for code that builds or reads frames by kind (tests, the wire adapter). */
export const Opcode = {
  continuation: OPCODE_CONTINUATION,
  text: OPCODE_TEXT,
  binary: OPCODE_BINARY,
  close: OPCODE_CLOSE,
  ping: OPCODE_PING,
  pong: OPCODE_PONG,
} as const;
