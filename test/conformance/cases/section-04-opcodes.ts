/**
 * Autobahn|Testsuite section 4: reserved opcodes. RFC 6455 §5.2: opcodes 0x3–0x7 are
 * "reserved for further non-control frames" and 0xB–0xF "for further control frames"; with
 * no extension defining them, the frame is a header-level violation (1002) that never reaches
 * the machines.
 */
import type { ConformanceCase } from '../case.js';
import { failsAfterAnEcho, failsOnFirstFrame, type Delivery } from './section-03-reserved-bits.js';

const RESERVED_PAYLOAD = 'reserved opcode payload';

/** One reserved opcode of a kind: cases x.1 and x.2 send it first, x.3 to x.5 after an echoed message. */
interface ReservedOpcodeCase {
  id: string;
  opcode: number;
  /** Absent: an empty frame. */
  payload?: string;
  /** Absent: the reserved frame is the first one. */
  after?: Delivery;
}

function reservedOpcodeCases(kind: 'non-control' | 'control', table: readonly ReservedOpcodeCase[]): ConformanceCase[] {
  return table.map(({ id, opcode, payload, after }) => {
    const what = `${payload === undefined ? 'an empty' : 'a'} ${kind} frame with reserved opcode ${opcode}`;
    const frame = { opcode, payload };
    if (after === undefined) return failsOnFirstFrame(id, `${what} fails the connection with 1002`, frame);
    const how = { whole: '', 'per-frame': ', each frame flushed on its own', 'per-octet': ', every frame sent one octet at a time' }[after];
    return failsAfterAnEcho(
      id,
      `a text message is echoed, then ${what} fails the connection before the Ping after it${how}`,
      frame,
      after,
    );
  });
}

export const cases: ConformanceCase[] = [
  ...reservedOpcodeCases('non-control', [
    { id: '4.1.1', opcode: 3 },
    { id: '4.1.2', opcode: 4, payload: RESERVED_PAYLOAD },
    { id: '4.1.3', opcode: 5, after: 'whole' },
    { id: '4.1.4', opcode: 6, payload: 'Hello, world!', after: 'whole' },
    { id: '4.1.5', opcode: 7, payload: 'Hello, world!', after: 'per-octet' },
  ]),
  ...reservedOpcodeCases('control', [
    { id: '4.2.1', opcode: 11 },
    { id: '4.2.2', opcode: 12, payload: RESERVED_PAYLOAD },
    { id: '4.2.3', opcode: 13, after: 'whole' },
    { id: '4.2.4', opcode: 14, payload: 'Hello, world!', after: 'whole' },
    { id: '4.2.5', opcode: 15, payload: 'Hello, world!', after: 'per-octet' },
  ]),
];
