/**
 * A second, deliberately simple reading of RFC 6455 §5 and §7: given the bytes a client sends
 * after a successful opening handshake, what must the server do?
 *
 * Rules of this file: nothing from the implementation (no parser, no UTF-8 validator, no
 * close-code table, no machine): every check is written again here from the RFC's text, quoted
 * where it is made; the only import is src/model-based/rfc6455-rules.ts, RFC 3629's UTF-8 syntax
 * and RFC 6455 §7.4's status codes as the RFC tables them (it too imports nothing). It is the
 * differential oracle of the frame fuzzer (frame-fuzzer.test.ts, fuzz.ts), so it favours obviousness over speed: one frame at a time, one byte at a time, no chunking.
 *
 * Where the RFC leaves room, the choice is written down here (and is statesocket's):
 * - a rule about one header field is judged when that field is complete (the first byte, the
 *   second byte, the extended length); rules about the frame sequence (§5.4) and the message
 *   size limit (§10.4) once the whole header, masking key included, has arrived;
 * - §5.2 "the minimal number of bytes MUST be used to encode the length": a longer encoding
 *   breaks the framing rules and fails the connection with 1002 (as wsproto does);
 * - §10.4 lets a server limit message sizes: a data frame that would take its message beyond
 *   `maxMessageSize` fails with 1009 once its header is complete; a length a JavaScript number
 *   cannot hold exactly (≥ 2^53) fails with 1009 as soon as the length field is complete;
 * - text is checked as UTF-8 as it arrives (§8.1 does not say when): the connection fails at
 *   the first byte after which the message can no longer be valid UTF-8;
 * - a Close frame that fails the connection (bad length, code or reason) is not the Close of a
 *   closing handshake: §7.1.5's close code is then 1006, as if none was received (ws and
 *   python-websockets report the same).
 */

import { closeCodeMayBeReceived, isUtf8, RFC_OPCODES, Utf8Prefix } from '../../src/model-based/rfc6455-rules.js';

/** What the client does: bytes after the handshake, perhaps a close by the server's application, then TCP ends. */
export interface ClientScenario {
  readonly bytes: Uint8Array;
  readonly maxMessageSize: number;
  /** The server's application calls `close(code)` once this many bytes have been read. */
  readonly appClose?: { readonly at: number; readonly code: number } | undefined;
  /**
   * How it ends once every byte was read: TCP is gone; or the client ends TCP first (FIN); or the
   * server's close timer fires first.
   */
  readonly ending: 'tcp-closed' | 'tcp-end' | 'close-timeout';
}

/** What the server must have done (and told the application) by the end of a scenario. */
export interface ExpectedOutcome {
  /**
   * What the server does to the wire, in order: the frames it writes (`pong <hex>`, `close <code>`,
   * `close` without a body), `FIN` when it closes TCP, `drop` when it drops it.
   */
  readonly wire: string[];
  /** Events for the application, in order: `text <hex>`, `binary <hex>`, `ping <hex>`, `pong <hex>`, `error <close code>`. */
  readonly app: string[];
  /**
   * §7.1.5 _The WebSocket Connection Close Code_ and reason once TCP is closed: the code of the
   * Close received, 1005 for one without a code, 1006 when none was received.
   */
  readonly closedWith: { readonly code: number; readonly reason: string };
}

const { CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG } = RFC_OPCODES;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Says what the server must do in a scenario. */
export function expectedOutcome(scenario: ClientScenario): ExpectedOutcome {
  const { bytes, maxMessageSize, appClose } = scenario;
  const wire: string[] = [];
  const app: string[] = [];
  let closedWith = { code: 1006, reason: '' };
  /** The server sent its Close frame, and whether it closed TCP. */
  let closeSent = false;
  let tcpClosed = false;
  /** A Close was received or the connection failed: nothing more is read (§5.5.1, §7.1.7). */
  let done = false;
  let appClosed = false;

  /** §7.1.2: the application starts the closing handshake, once, while nothing else closed it. */
  const applyAppClose = () => {
    if (appClose === undefined || appClosed) return;
    appClosed = true;
    // Refused once the closing handshake started: the application hears so (InvalidStateError).
    if (done || closeSent || tcpClosed) {
      app.push('close refused (WS_ERR_INVALID_STATE)');
      return;
    }
    wire.push(`close ${appClose.code}`);
    closeSent = true;
  };
  /** §7.1.7 _Fail the WebSocket Connection_: a Close with the code unless one was sent, then close TCP (§7.1.1). */
  const fail = (code: number) => {
    app.push(`error ${code}`);
    if (!closeSent) wire.push(`close ${code}`);
    wire.push('FIN');
    closeSent = tcpClosed = done = true;
  };

  let at = 0;
  /** The next byte, or undefined when the bytes ran out (the application's close comes in between). */
  const next = (): number | undefined => {
    if (appClose !== undefined && at === appClose.at) applyAppClose();
    return at < bytes.length ? bytes[at++]! : undefined;
  };

  // The message in progress (§5.4): text or binary, its bytes so far, their UTF-8 state.
  let message: { text: boolean; bytes: number[]; utf8: Utf8Prefix } | undefined;

  frames: while (!done) {
    // §5.2, the first byte: FIN, RSV1, RSV2, RSV3, opcode.
    const first = next();
    if (first === undefined) break;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    const isControl = (opcode & 0x8) !== 0;
    // §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that
    // defines meanings for non-zero values." No extension is negotiated here.
    if ((first & 0x70) !== 0) { fail(1002); break; }
    // §5.2: "%x3-7 are reserved for further non-control frames", "%xB-F are reserved for further
    // control frames"; "If an unknown opcode is received, the receiving endpoint MUST _Fail the
    // WebSocket Connection_."
    if (!(Object.values(RFC_OPCODES) as number[]).includes(opcode)) { fail(1002); break; }
    // §5.5: "All control frames ... MUST NOT be fragmented."
    if (isControl && !fin) { fail(1002); break; }

    // §5.2, the second byte: MASK, Payload len.
    const second = next();
    if (second === undefined) break;
    const length7 = second & 0x7f;
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    if (isControl && length7 > 125) { fail(1002); break; }
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked ...
    // a server MAY send a Close frame with a status code of 1002 (protocol error)".
    if ((second & 0x80) === 0) { fail(1002); break; }

    // §5.2: "If 126, the following 2 bytes interpreted as a 16-bit unsigned integer are the
    // payload length. If 127, the following 8 bytes interpreted as a 64-bit unsigned integer
    // (the most significant bit MUST be 0) are the payload length. ... the minimal number of
    // bytes MUST be used to encode the length".
    let length = length7;
    if (length7 === 126 || length7 === 127) {
      const size = length7 === 126 ? 2 : 8;
      let big = 0n;
      for (let i = 0; i < size; i++) {
        const byte = next();
        if (byte === undefined) break frames;
        big = (big << 8n) | BigInt(byte);
      }
      if (size === 8 && big >= 1n << 63n) { fail(1002); break; }
      if (big < (size === 2 ? 126n : 0x10000n)) { fail(1002); break; }
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) { fail(1009); break; }
      length = Number(big);
    }

    // §5.2: "Masking-key: 0 or 4 bytes"; §5.3: octet i of the payload is XORed with octet
    // i MOD 4 of the masking key.
    const key: number[] = [];
    for (let i = 0; i < 4; i++) {
      const byte = next();
      if (byte === undefined) break frames;
      key.push(byte);
    }

    // §5.4, the frame sequence, judged on the whole header.
    if (opcode === CONTINUATION && message === undefined) {
      // "a series of frames ... followed by zero or more frames with ... the opcode set to 0":
      // a continuation frame with no message to continue.
      fail(1002);
      break;
    }
    if ((opcode === TEXT || opcode === BINARY) && message !== undefined) {
      // "The fragments of one message MUST NOT be interleaved between the fragments of another
      // message unless an extension has been negotiated that can interpret the interleaving."
      fail(1002);
      break;
    }
    if (!isControl) {
      // §10.4: "an implementation ... SHOULD impose a limit on frame sizes and the total message
      // size"; §7.4.1: 1009, "a message that is too big for it to process".
      if ((message?.bytes.length ?? 0) + length > maxMessageSize) { fail(1009); break; }
      if (opcode !== CONTINUATION) message = { text: opcode === TEXT, bytes: [], utf8: new Utf8Prefix() };
    }

    // The payload, unmasked one byte at a time.
    const payload: number[] = [];
    for (let i = 0; i < length; i++) {
      const masked = next();
      if (masked === undefined) break frames;
      const byte = masked ^ key[i & 3]!;
      payload.push(byte);
      // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
      // stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
      // Connection_"; §7.4.1: 1007 for "data within a message that was not consistent with the
      // type of the message (e.g., non-UTF-8 [RFC3629] data within a text message)".
      if (!isControl && message!.text && !message!.utf8.add(byte)) { fail(1007); break frames; }
    }

    if (!isControl) {
      message!.bytes.push(...payload);
      if (fin) {
        if (message!.text && !message!.utf8.complete) { fail(1007); break; }
        app.push(`${message!.text ? 'text' : 'binary'} ${hex(Uint8Array.from(message!.bytes))}`);
        message = undefined;
      }
      continue;
    }

    const body = Uint8Array.from(payload);
    if (opcode === PING) {
      // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response,
      // unless it already received a Close frame" (having sent one, it still answers); §5.5.3:
      // "A Pong frame sent in response to a Ping frame must have identical "Application data"".
      wire.push(`pong ${hex(body)}`);
      app.push(`ping ${hex(body)}`);
      continue;
    }
    if (opcode === PONG) {
      // §5.5.3: "A response to an unsolicited Pong frame is not expected."
      app.push(`pong ${hex(body)}`);
      continue;
    }

    // §5.5.1 Close: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
    // integer (in network byte order) representing a status code".
    if (body.length === 1) { fail(1002); break; }
    let echo = 'close';
    if (body.length >= 2) {
      const code = (body[0]! << 8) | body[1]!;
      if (!closeCodeMayBeReceived(code)) { fail(1002); break; }
      // §5.5.1: "Following the 2-byte integer, the body MAY contain UTF-8-encoded data";
      // not UTF-8 is invalid data, §8.1 and §7.4.1 1007.
      const reason = body.subarray(2);
      if (!isUtf8(reason)) { fail(1007); break; }
      closedWith = { code, reason: Buffer.from(reason).toString('utf8') };
      echo = `close ${code}`;
    } else {
      // §7.1.5: "If this Close control frame contains no status code, _The WebSocket Connection
      // Close Code_ is considered to be 1005."
      closedWith = { code: 1005, reason: '' };
    }
    // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
    // the endpoint MUST send a Close frame in response. ... the endpoint typically echos the
    // status code it received." §7.1.1: "the server SHOULD close the underlying TCP connection".
    if (!closeSent) wire.push(echo);
    wire.push('FIN');
    closeSent = tcpClosed = done = true;
  }

  if (appClose !== undefined && appClose.at <= bytes.length) applyAppClose();
  // statesocket's policy where the RFC has none: when the peer ends TCP, the server ends its side
  // too; when its close timer fires while closing, it drops TCP.
  if (scenario.ending === 'tcp-end' && !tcpClosed) wire.push('FIN');
  if (scenario.ending === 'close-timeout' && (closeSent || tcpClosed)) wire.push('drop');
  return { wire, app, closedWith };
}
