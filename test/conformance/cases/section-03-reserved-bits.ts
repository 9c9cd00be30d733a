/**
 * Autobahn|Testsuite section 3: RSV bits. No extension is negotiated, so RFC 6455 §5.2
 * ("MUST be 0 unless an extension is negotiated that defines meanings for non-zero values")
 * makes any set RSV bit a header-level violation: the frame never reaches the machines and
 * the server fails the connection with 1002.
 *
 * The two case shapes here (a bad first frame; a good message, then a bad frame, then a Ping)
 * are shared with section 4, whose reserved opcodes are header-level violations too.
 */
import type { FailureCauseType } from '../../../machines/protocol-events.js';
import { Opcode, type ConformanceCase, type ExpectedClose, type FrameToSend } from '../case.js';
import { serverFailPath, textMessagePath } from '../expected-path.js';

const HELLO = 'Hello, world!';

/** How a case hands its frames to TCP: all at once, one flushed frame at a time, or one octet at a time. */
export type Delivery = 'whole' | 'per-frame' | 'per-octet';

function deliver(frame: FrameToSend, delivery: Delivery): FrameToSend {
  if (delivery === 'per-frame') return { ...frame, sync: true };
  if (delivery === 'per-octet') return { ...frame, chopSize: 1 };
  return frame;
}

/** The server fails the connection with 1002; the client never sent a Close of its own first. */
const failedWithProtocolError: ExpectedClose = { closeCode: [1002], closedByClient: false, requireClean: false };

/**
 * The failure cause the frame parser reports for a frame that breaks a header rule, in the order
 * it checks them (RFC 6455 §5.2): RSV2/RSV3, then RSV1 (no extension agreed here), then the opcode.
 */
function headerViolationOf(frame: FrameToSend): FailureCauseType {
  const rsv = frame.rsv ?? 0;
  if ((rsv & 0b011) !== 0) return 'RSV2_OR_RSV3_SET';
  if ((rsv & 0b100) !== 0) return 'RSV1_NOT_ALLOWED';
  return 'RESERVED_OPCODE';
}

/** The very first frame breaks a header rule: nothing comes back but the server's Close 1002. */
export function failsOnFirstFrame(id: string, title: string, frame: FrameToSend): ConformanceCase {
  return {
    id,
    title,
    async script(client) {
      await client.sendFrame(frame);
      client.killAfter(1000);
    },
    expect: [[]],
    close: failedWithProtocolError,
    // A header-level violation: the message machine never sees the frame.
    path: serverFailPath(headerViolationOf(frame)),
  };
}

/**
 * A valid text message is echoed; the frame after it breaks a header rule, so the server
 * fails the connection and never reads the Ping that follows (no Pong comes back).
 */
export function failsAfterAnEcho(id: string, title: string, frame: FrameToSend, delivery: Delivery): ConformanceCase {
  return {
    id,
    title,
    async script(client) {
      await client.sendFrame(deliver({ opcode: Opcode.text, payload: HELLO }, delivery));
      await client.sendFrame(deliver(frame, delivery));
      await client.sendFrame(deliver({ opcode: Opcode.ping }, delivery));
      client.killAfter(1000);
    },
    expect: [[['message', HELLO, false]]],
    // Failing the connection before the echo of the good message went out.
    nonStrict: [[]],
    close: failedWithProtocolError,
    path: serverFailPath(headerViolationOf(frame), { message: textMessagePath() }),
  };
}

const someBinary = Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff);

export const cases: ConformanceCase[] = [
  failsOnFirstFrame('3.1', 'a short text frame with RSV1 set fails the connection with 1002', {
    opcode: Opcode.text,
    payload: HELLO,
    rsv: 1,
  }),
  failsAfterAnEcho(
    '3.2',
    'a text message is echoed, then a text frame with RSV2 set fails the connection before the Ping after it',
    { opcode: Opcode.text, payload: HELLO, rsv: 2 },
    'whole',
  ),
  failsAfterAnEcho(
    '3.3',
    'as 3.2 with RSV1+RSV2 set, each frame flushed on its own',
    { opcode: Opcode.text, payload: HELLO, rsv: 3 },
    'per-frame',
  ),
  failsAfterAnEcho(
    '3.4',
    'as 3.2 with RSV3 set, every frame sent one octet at a time',
    { opcode: Opcode.text, payload: HELLO, rsv: 4 },
    'per-octet',
  ),
  failsOnFirstFrame('3.5', 'a binary frame with RSV1+RSV3 set fails the connection with 1002', {
    opcode: Opcode.binary,
    payload: someBinary,
    rsv: 5,
  }),
  // The suite describes 3.6 as a Ping, but on the wire it sends a binary frame; we send what it sends.
  failsOnFirstFrame('3.6', 'a binary frame with RSV2+RSV3 set fails the connection with 1002', {
    opcode: Opcode.binary,
    payload: HELLO,
    rsv: 6,
  }),
  failsOnFirstFrame('3.7', 'an empty Close frame with all three RSV bits set fails the connection with 1002', {
    opcode: Opcode.close,
    rsv: 7,
  }),
];
