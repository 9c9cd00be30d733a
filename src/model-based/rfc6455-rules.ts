/**
 * What RFC 6455 (and RFC 7692) require of a server, as a table written from the RFC's text and
 * nothing else: the oracles of the tests (rfc-expectations.ts for the model-based paths over TCP,
 * test/fuzz/rfc6455-oracle.ts for the frame fuzzer) judge the server by it.
 *
 * Rules of this file: it imports nothing from the implementation (no machine, no parser, no
 * UTF-8 validator, no close-code table), so that a wrong machine cannot make its own oracle
 * agree with it. Each rule quotes its section.
 */

export interface RfcRule {
  /** Where the RFC says it. */
  readonly section: string;
  /** What it says (quoted, shortened with …). */
  readonly says: string;
  /** For a rule the client breaks: the status code the server fails the connection with (§7.4.1). */
  readonly closeCode?: number;
}

/** What the server must do, and which code each violation gets. */
export const RFC_RULES = {
  // ---------------------------------------------------------------- what the server must answer
  pingIsAnswered: {
    section: 'RFC 6455 §5.5.2',
    says: 'Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it already received a Close frame.',
  },
  pongEchoesPing: {
    section: 'RFC 6455 §5.5.3',
    says: 'A Pong frame sent in response to a Ping frame must have identical "Application data" as found in the message body of the Ping frame being replied to.',
  },
  closeIsAnswered: {
    section: 'RFC 6455 §5.5.1',
    says: 'If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST send a Close frame in response. … the endpoint typically echos the status code it received.',
  },
  closeStartsWithRequestedCode: {
    section: 'RFC 6455 §7.1.2',
    says: 'To _Start the WebSocket Closing Handshake_ with a status code (Section 7.4) /code/ …, an endpoint MUST send a Close control frame … whose status code is set to /code/.',
  },
  serverClosesTcpFirst: {
    section: 'RFC 6455 §7.1.1',
    says: 'After both sending and receiving a Close message, an endpoint considers the WebSocket connection closed and MUST close the underlying TCP connection. The server SHOULD close the underlying TCP connection immediately.',
  },
  noDataAfterClose: {
    section: 'RFC 6455 §5.5.1',
    says: 'after sending a Close frame, the endpoint MUST NOT send any more data frames.',
  },
  oneCloseFrame: {
    section: 'RFC 6455 §7.1.2',
    says: 'Once an endpoint has both sent and received a Close control frame, … (an endpoint sends its Close frame once: "if it hasn\'t already sent one", §7.1.7).',
  },
  nothingAfterFailing: {
    section: 'RFC 6455 §7.1.7',
    says: '_Fail the WebSocket Connection_ … the endpoint SHOULD send a Close frame with an appropriate status code … MUST NOT continue to attempt to process data (including a responding Close frame) from the remote endpoint … MUST _Close the WebSocket Connection_.',
  },

  // ---------------------------------------------------------------- violations and their codes
  rsvWithoutExtension: {
    section: 'RFC 6455 §5.2',
    says: 'RSV1, RSV2, RSV3: … MUST be 0 unless an extension is negotiated that defines meanings for non-zero values. … the receiving endpoint MUST _Fail the WebSocket Connection_.',
    closeCode: 1002,
  },
  rsv1OnControlFrame: {
    section: 'RFC 7692 §6',
    says: 'An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and non-first fragments of a data message.',
    closeCode: 1002,
  },
  rsv1OnContinuation: {
    section: 'RFC 7692 §6.1',
    says: 'An endpoint MUST NOT set the "Per-Message Compressed" bit of … non-first fragments of a data message.',
    closeCode: 1002,
  },
  reservedOpcode: {
    section: 'RFC 6455 §5.2',
    says: '%x3-7 are reserved for further non-control frames … %xB-F are reserved for further control frames … If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_.',
    closeCode: 1002,
  },
  fragmentedControlFrame: {
    section: 'RFC 6455 §5.5',
    says: 'All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented.',
    closeCode: 1002,
  },
  controlFrameTooLong: {
    section: 'RFC 6455 §5.5',
    says: 'All control frames MUST have a payload length of 125 bytes or less.',
    closeCode: 1002,
  },
  unmaskedFrame: {
    section: 'RFC 6455 §5.1',
    says: 'The server MUST close the connection upon receiving a frame that is not masked. In this case, a server MAY send a Close frame with a status code of 1002 (protocol error).',
    closeCode: 1002,
  },
  invalidPayloadLength: {
    section: 'RFC 6455 §5.2',
    says: 'the following 8 bytes interpreted as a 64-bit unsigned integer (the most significant bit MUST be 0) … the minimal number of bytes MUST be used to encode the length.',
    closeCode: 1002,
  },
  continuationWithoutMessage: {
    section: 'RFC 6455 §5.4',
    says: 'A fragmented message consists of a single frame with the FIN bit clear and an opcode other than 0, followed by zero or more frames with the FIN bit clear and the opcode set to 0.',
    closeCode: 1002,
  },
  messageInsideMessage: {
    section: 'RFC 6455 §5.4',
    says: 'The fragments of one message MUST NOT be interleaved between the fragments of another message unless an extension has been negotiated that can interpret the interleaving.',
    closeCode: 1002,
  },
  invalidUtf8: {
    section: 'RFC 6455 §8.1, §7.4.1',
    says: 'When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_. … 1007 … (e.g., non-UTF-8 [RFC3629] data within a text message).',
    closeCode: 1007,
  },
  closeBodyOfOneByte: {
    section: 'RFC 6455 §5.5.1',
    says: 'If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer (in network byte order) representing a status code.',
    closeCode: 1002,
  },
  invalidCloseCode: {
    section: 'RFC 6455 §7.4.1, §7.4.2',
    says: '1005 … 1006 … 1015 … MUST NOT be set as a status code in a Close control frame by an endpoint. … Status codes in the range 0-999 are not used.',
    closeCode: 1002,
  },
  closeReasonNotUtf8: {
    section: 'RFC 6455 §5.5.1, §8.1',
    says: 'Following the 2-byte integer, the body MAY contain UTF-8-encoded data with value /reason/.',
    closeCode: 1007,
  },
  messageTooBig: {
    section: 'RFC 6455 §10.4, §7.4.1',
    says: 'implementations will likely have implementation- and/or platform-specific limitations regarding the frame size or total message size … 1009 indicates that an endpoint is terminating the connection because it has received a message that is too big for it to process.',
    closeCode: 1009,
  },
  corruptCompressedData: {
    section: 'RFC 7692 §6.2, RFC 6455 §7.4.1',
    says: 'An endpoint … decompresses the message … (data that does not inflate is not consistent with the type of the message: 1007, as ws answers).',
    closeCode: 1007,
  },
} as const satisfies Record<string, RfcRule>;

export type RfcRuleName = keyof typeof RFC_RULES;

/** §5.2: "Opcode: 4 bits"; %x3-7 and %xB-F are reserved. */
export const RFC_OPCODES = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/**
 * RFC 3629 §4, the syntax of UTF-8 byte sequences, one byte at a time:
 *   UTF8-2 = %xC2-DF UTF8-tail
 *   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) / %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) / %xF4 %x80-8F 2( UTF8-tail )
 *   UTF8-tail = %x80-BF
 */
export class Utf8Prefix {
  /** Continuation bytes still needed, and the range the next one must fall in. */
  private needed = 0;
  private low = 0x80;
  private high = 0xbf;
  private broken = false;

  /** Adds one byte; false once the bytes so far cannot begin any valid UTF-8 text. */
  add(byte: number): boolean {
    if (this.broken) return false;
    if (this.needed > 0) {
      if (byte < this.low || byte > this.high) return this.break();
      this.needed--;
      this.low = 0x80;
      this.high = 0xbf;
      return true;
    }
    if (byte <= 0x7f) return true;
    if (byte >= 0xc2 && byte <= 0xdf) return this.expect(1, 0x80, 0xbf);
    if (byte === 0xe0) return this.expect(2, 0xa0, 0xbf);
    if ((byte >= 0xe1 && byte <= 0xec) || byte === 0xee || byte === 0xef) return this.expect(2, 0x80, 0xbf);
    if (byte === 0xed) return this.expect(2, 0x80, 0x9f);
    if (byte === 0xf0) return this.expect(3, 0x90, 0xbf);
    if (byte >= 0xf1 && byte <= 0xf3) return this.expect(3, 0x80, 0xbf);
    if (byte === 0xf4) return this.expect(3, 0x80, 0x8f);
    return this.break();
  }

  /** Adds bytes; false once they cannot begin valid UTF-8 text. */
  addAll(bytes: Uint8Array): boolean {
    for (const byte of bytes) if (!this.add(byte)) return false;
    return true;
  }

  /** The bytes so far are whole UTF-8 text (no sequence left open). */
  get complete(): boolean {
    return !this.broken && this.needed === 0;
  }

  private expect(needed: number, low: number, high: number): true {
    this.needed = needed;
    this.low = low;
    this.high = high;
    return true;
  }

  private break(): false {
    this.broken = true;
    return false;
  }
}

export function isUtf8(bytes: Uint8Array): boolean {
  const prefix = new Utf8Prefix();
  return prefix.addAll(bytes) && prefix.complete;
}

/**
 * RFC 6455 §7.4: may this status code stand in a Close frame the peer sent?
 * §7.4.1 defines 1000–1003 and 1007–1011; 1004 is reserved; 1005, 1006 and 1015 "MUST NOT be set
 * as a status code in a Close control frame by an endpoint". The IANA registry of §11.7 has since
 * added 1012–1014. §7.4.2: "0-999: Status codes in the range 0-999 are not used", 1000–2999 are for
 * this protocol and its extensions (any other is unknown), 3000–3999 for libraries and frameworks,
 * 4000–4999 for private use.
 */
export function closeCodeMayBeReceived(code: number): boolean {
  const defined = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
  return defined.includes(code) || (code >= 3000 && code <= 4999);
}
