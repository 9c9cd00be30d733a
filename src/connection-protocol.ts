/**
 * The sans-I/O core of one server-side WebSocket connection.
 *
 * Bytes go in (`receiveData`), socket and timer happenings go in (`receiveTcpEnd`,
 * `receiveTcpClosed`, `closeTimeout`), application calls go in (`send`, `ping`, `close`);
 * what comes out goes through `ProtocolOutput`: bytes for the wire, requests to close TCP or
 * start a timer, and events for the application. Nothing here touches a socket or a timer.
 *
 * Every protocol decision is a transition of one of the machines in `machines/`, run from the
 * tables compiled in protocol-machines.ts; this file turns bytes into their events and carries
 * out the actions the transitions name. Payload bytes stay here (the data plane), so machine
 * context stays empty.
 */
import type { CompiledAction, CompiledTransition } from './compiled-machine.js';
import { FrameParser, type FrameHeader, type FrameParserHandler } from './frame-parser.js';
import { encodeCloseFrame, encodeFrame, encodeFrameHeader } from './frame-encoder.js';
import { Utf8StreamValidator, isValidUtf8 } from './utf8-validator.js';
import { ProtocolError, type ProtocolErrorCode } from './protocol-error.js';
import { isValidCloseCode } from './close-code.js';
import { compiledMachines, machinesByEventType, MachineSlot } from './protocol-machines.js';
import type {
  CloseFrameEvent,
  DataFrameEvent,
  HandshakeRequestEvent,
  ProtocolEvent,
} from '../machines/protocol-events.js';
import { handshakeRefusal, refusalReason, switchingProtocolsHeaders, type HandshakeRefusal } from './opening-handshake.js';
import { parseExtensionOffers } from './permessage-deflate/extension-header.js';
import {
  negotiatePerMessageDeflate,
  type NegotiatedPerMessageDeflate,
  type PerMessageDeflateOptions,
} from './permessage-deflate/negotiation.js';
import {
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
} from './opcode.js';

/** What the I/O layer provides to compress and decompress messages (RFC 7692 §7.2). */
export interface MessageCompressor {
  /** Inflate a whole message; throws `InflatedTooLarge` past `maxSize`, `CorruptDeflateData` on bad data. */
  inflate(compressed: readonly Buffer[], maxSize: number): Buffer;
  deflate(data: Uint8Array): Buffer;
  /** Messages shorter than this are sent uncompressed. */
  readonly threshold: number;
  /** The connection is closed: release the compression contexts. */
  close(): void;
}

/**
 * A data frame at least this long is gathered into one buffer of its length as it arrives,
 * rather than kept as the socket's chunks and joined when the message ends: each chunk is
 * copied while it is still in the cache and let go at once, and a one-frame message needs no
 * join. (At 1 MiB the join, reading chunks that had gone cold into fresh pages, cost several
 * times a plain copy.) The buffer is allocated only once an eighth of the frame has arrived, so
 * a header announcing a large frame makes the server allocate at most eight times what the peer
 * really sent.
 */
const GATHER_FRAME_MIN = 128 * 1024;
const GATHER_AFTER_FRACTION = 8;

/** Payloads at least this long are written as header + payload (writev), not copied into one buffer. */
const COPY_PAYLOAD_BELOW = 16 * 1024;

/** What the protocol core asks of the I/O layer and the application. */
export interface ProtocolOutput {
  /** Bytes for the wire, in order. */
  write(bytes: Uint8Array): void;
  /** The opening handshake was refused: answer with this HTTP response and close. */
  refuseHandshake(refusal: HandshakeRefusal): void;
  /** Send FIN: the server closes its side of TCP. */
  closeTcp(): void;
  /** Drop the TCP connection now. */
  destroyTcp(): void;
  /** Send CLOSE_TIMEOUT (via `closeTimeout()`) after the close timeout, unless TCP closes first. */
  startCloseTimer(): void;
  /**
   * The 101 response's header lines, before they are written: the server's `headers` event may
   * inspect or add to them (optional).
   */
  handshakeHeaders?(headers: string[]): void;
  /** The handshake succeeded: the connection is open. */
  opened(): void;
  message(data: Buffer, isBinary: boolean): void;
  ping(data: Buffer): void;
  pong(data: Buffer): void;
  /** The connection failed because of the peer: the error carries its code and close code. */
  protocolError(error: ProtocolError): void;
  /** TCP is closed; `code` is RFC 6455 §7.1.5's _The WebSocket Connection Close Code_. */
  closed(code: number, reason: string): void;
}

/** An output that ignores everything; extend it to hear only what matters (e.g. a refusal). */
export class DiscardingOutput implements ProtocolOutput {
  write(_bytes: Uint8Array): void {}
  refuseHandshake(_refusal: HandshakeRefusal): void {}
  closeTcp(): void {}
  destroyTcp(): void {}
  startCloseTimer(): void {}
  opened(): void {}
  message(_data: Buffer, _isBinary: boolean): void {}
  ping(_data: Buffer): void {}
  pong(_data: Buffer): void {}
  protocolError(_error: ProtocolError): void {}
  closed(_code: number, _reason: string): void {}
}

export interface ProtocolOptions {
  /** Largest message accepted, in bytes (RFC 6455 §10.4); larger ones fail the connection with 1009. */
  maxMessageSize: number;
  /** permessage-deflate settings; undefined: the extension is never agreed. */
  perMessageDeflate?: PerMessageDeflateOptions | undefined;
  /** Makes the compressor once permessage-deflate is agreed (zlib lives in the I/O layer). */
  createCompressor?: ((agreed: NegotiatedPerMessageDeflate, options: PerMessageDeflateOptions) => MessageCompressor) | undefined;
  /** Called on every transition any machine takes (the inspector, the conformance suite). */
  onTransition?: ((transition: CompiledTransition, event: ProtocolEvent) => void) | undefined;
  /** Called with every frame header read or written (the inspector); positional, so it allocates nothing. */
  onFrame?: ((direction: 'in' | 'out', opcode: number, payloadLength: number, fin: boolean, rsv1: boolean) => void) | undefined;
}

const NO_CHUNKS: readonly Buffer[] = Object.freeze([]) as readonly Buffer[];

export type ReadyState = 'connecting' | 'open' | 'closing' | 'closed';

export class ConnectionProtocol implements FrameParserHandler {
  /** Current state index of each machine, by MachineSlot. */
  private readonly states: [number, number, number] = [
    compiledMachines[0].initialState,
    compiledMachines[1].initialState,
    compiledMachines[2].initialState,
  ];
  private readonly parser: FrameParser;
  /** Events raised while a dispatch is running (rare: allocated on first use). */
  private pendingEvents: ProtocolEvent[] | undefined;
  private dispatching = false;
  private framesIgnored = false;

  // The frame being read.
  private frameOpcode = 0;
  private frameFin = false;
  /** Reused for every data frame header, so a frame allocates no event (made on the first frame). */
  private dataFrameEvent: DataFrameEvent | undefined;

  // The message being assembled (data plane).
  private messageChunks = NO_CHUNKS as Buffer[];
  private messageLength = 0;
  // The data frame being read, for gathering a large one (GATHER_FRAME_MIN).
  private framePayloadLength = 0;
  private frameReceived = 0;
  private frameBuffer: Buffer | undefined;
  private messageIsText = false;
  private messageIsCompressed = false;
  private utf8: Utf8StreamValidator | undefined;

  // The control frame being read (at most 125 bytes, RFC 6455 §5.5).
  private controlChunks = NO_CHUNKS as Buffer[];

  // Closing handshake data.
  private closeCodeReceived: number | undefined;
  private closeReasonReceived = '';
  private closeFrameReceived = false;
  private closeReasonToSend: Buffer | undefined;
  private failure: ProtocolError | undefined;
  private handshakeKey = '';
  private perMessageDeflateAgreed: NegotiatedPerMessageDeflate | undefined;
  /** RFC 6455 §4.2.2 item 5.4: the subprotocol the server answered with ('' for none). */
  subprotocol = '';
  private compressor: MessageCompressor | undefined;

  constructor(
    private readonly output: ProtocolOutput,
    private readonly options: ProtocolOptions,
  ) {
    this.parser = new FrameParser(this);
  }

  get readyState(): ReadyState {
    return compiledMachines[MachineSlot.connection].states[this.states[MachineSlot.connection]!] as ReadyState;
  }

  /** The current state of each machine, by machine id. */
  get machineStates(): Record<'connection' | 'message' | 'closingHandshake', string> {
    return {
      connection: compiledMachines[0].states[this.states[0]!]!,
      message: compiledMachines[1].states[this.states[1]!]!,
      closingHandshake: compiledMachines[2].states[this.states[2]!]!,
    };
  }

  /** The extensions in use, as the WebSocket API's `extensions` ('' or 'permessage-deflate'). */
  get extensions(): string {
    return this.compressor === undefined ? '' : 'permessage-deflate';
  }

  /** Application data may be sent: open, and no Close frame sent or received. */
  get canSend(): boolean {
    return this.readyState === 'open';
  }

  // ---------------------------------------------------------------- inputs

  /** RFC 6455 §4.2.1: the client's opening handshake. */
  receiveHandshake(request: Omit<HandshakeRequestEvent, 'type' | 'perMessageDeflateAgreed'>): void {
    const key = request.headers['sec-websocket-key'];
    this.handshakeKey = typeof key === 'string' ? key : '';
    const deflateOptions = this.options.perMessageDeflate;
    if (deflateOptions !== undefined) {
      // RFC 6455 §9.1: a header that does not follow the grammar declines every extension.
      const offers = parseExtensionOffers(request.headers['sec-websocket-extensions']) ?? [];
      this.perMessageDeflateAgreed = negotiatePerMessageDeflate(offers, deflateOptions);
    }
    this.dispatch({ type: 'HANDSHAKE_REQUEST', ...request, perMessageDeflateAgreed: this.perMessageDeflateAgreed !== undefined });
  }

  /** Bytes from the peer, in any chunking. The core takes ownership (it unmasks in place). */
  receiveData(chunk: Buffer): void {
    if (this.framesIgnored || this.readyState === 'connecting') return;
    this.parser.push(chunk);
  }

  /** The peer sent FIN. */
  receiveTcpEnd(): void {
    this.dispatch({ type: 'TCP_END' });
  }

  /** The TCP connection is gone. */
  receiveTcpClosed(): void {
    this.dispatch({ type: 'TCP_CLOSED' });
  }

  /** The timer asked for by `startCloseTimer` expired. */
  closeTimeout(): void {
    this.dispatch({ type: 'CLOSE_TIMEOUT' });
  }

  // ---------------------------------------------------------------- application calls

  send(data: Uint8Array, isBinary: boolean): void {
    if (!this.canSend) throw new Error(`cannot send: the connection is ${this.readyState}`);
    this.writeFrame(isBinary ? OPCODE_BINARY : OPCODE_TEXT, data);
  }

  ping(data: Uint8Array = Buffer.alloc(0)): void {
    if (!this.canSend) throw new Error(`cannot ping: the connection is ${this.readyState}`);
    if (data.length > 125) throw new RangeError('RFC 6455 §5.5: a control frame payload is at most 125 bytes');
    this.writeControlFrame(OPCODE_PING, encodeFrame(OPCODE_PING, data));
  }

  /** RFC 6455 §5.5.3: "A Pong frame MAY be sent unsolicited" (a unidirectional heartbeat). */
  pong(data: Uint8Array = Buffer.alloc(0)): void {
    if (!this.canSend) throw new Error(`cannot pong: the connection is ${this.readyState}`);
    if (data.length > 125) throw new RangeError('RFC 6455 §5.5: a control frame payload is at most 125 bytes');
    this.writeControlFrame(OPCODE_PONG, encodeFrame(OPCODE_PONG, data));
  }

  /** RFC 6455 §7.1.2: start the closing handshake. */
  close(code = 1000, reason: string | Uint8Array = ''): void {
    if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
    const reasonBytes = Buffer.from(reason as string);
    if (reasonBytes.length > 123) throw new RangeError('RFC 6455 §5.5: a close reason is at most 123 bytes');
    if (this.readyState !== 'open') return;
    this.closeReasonToSend = reasonBytes;
    this.dispatch({ type: 'CLOSE_REQUESTED', code });
  }

  // ---------------------------------------------------------------- frames (FrameParserHandler)

  onFrameHeader(header: FrameHeader): void {
    const opcode = header.opcode;
    this.frameOpcode = opcode;
    this.frameFin = header.fin;
    this.options.onFrame?.('in', opcode, header.payloadLength, header.fin, header.rsv1);
    if (opcode >= OPCODE_CLOSE) {
      this.controlChunks = [];
      this.dispatch({ type: 'CONTROL_FRAME' });
      return;
    }
    this.framePayloadLength = header.payloadLength;
    this.frameReceived = 0;
    this.frameBuffer = undefined;
    const event = (this.dataFrameEvent ??= { type: 'TEXT_FRAME', fin: false, rsv1: false });
    event.type = opcode === OPCODE_TEXT ? 'TEXT_FRAME' : opcode === OPCODE_BINARY ? 'BINARY_FRAME' : 'CONTINUATION_FRAME';
    event.fin = header.fin;
    event.rsv1 = header.rsv1;
    this.dispatch(event);
    if (this.framesIgnored) return;
    // RFC 6455 §10.4: "an implementation ... SHOULD impose a limit on frame sizes and the total
    // message size"; a message over the limit fails with 1009 before its payload is read.
    if (this.messageLength + header.payloadLength > this.options.maxMessageSize) {
      this.fail('WS_ERR_MESSAGE_TOO_BIG', 1009, `message exceeds ${this.options.maxMessageSize} bytes`);
    }
  }

  onFramePayload(chunk: Buffer): void {
    if (this.frameOpcode >= OPCODE_CLOSE) {
      this.controlChunks.push(chunk);
      return;
    }
    // RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
    // byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
    // Connection_." Checked as the bytes arrive, so the failure is as early as possible
    // (compressed text is checked once inflated).
    if (this.messageIsText && !this.messageIsCompressed && !this.utf8!.push(chunk)) {
      this.fail('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 in a text message');
      return;
    }
    this.messageLength += chunk.length;
    this.frameReceived += chunk.length;
    if (this.frameBuffer !== undefined) {
      this.frameBuffer.set(chunk, this.frameReceived - chunk.length);
      return;
    }
    this.messageChunks.push(chunk);
    const length = this.framePayloadLength;
    if (length >= GATHER_FRAME_MIN && this.frameReceived < length && this.frameReceived * GATHER_AFTER_FRACTION >= length) {
      this.gatherFrame();
    }
  }

  /** Move the chunks of the frame being read into one buffer of the frame's length (GATHER_FRAME_MIN). */
  private gatherFrame(): void {
    const chunks = this.messageChunks;
    const buffer = Buffer.allocUnsafe(this.framePayloadLength);
    let first = chunks.length;
    for (let gathered = 0; gathered < this.frameReceived; ) gathered += chunks[--first]!.length;
    let offset = 0;
    for (let i = first; i < chunks.length; i++) {
      buffer.set(chunks[i]!, offset);
      offset += chunks[i]!.length;
    }
    chunks.length = first;
    chunks.push(buffer);
    this.frameBuffer = buffer;
  }

  onFrameEnd(): void {
    const opcode = this.frameOpcode;
    if (opcode === OPCODE_CONTINUATION || opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      // The gathered frame is complete and among the message's chunks: hold it no longer here.
      this.frameBuffer = undefined;
      if (this.frameFin && this.messageIsText && !this.messageIsCompressed && !this.utf8!.end()) {
        this.fail('WS_ERR_INVALID_UTF8', 1007, 'a text message ends inside a UTF-8 sequence');
        return;
      }
      this.dispatch({ type: 'FRAME_END' });
    } else if (opcode === OPCODE_PING) {
      this.dispatch({ type: 'PING_FRAME' });
    } else if (opcode === OPCODE_PONG) {
      this.dispatch({ type: 'PONG_FRAME' });
    } else {
      this.dispatch(this.readCloseFrame());
    }
  }

  onProtocolError(error: ProtocolError): void {
    this.failure = error;
    this.dispatch({ type: 'PROTOCOL_ERROR', closeCode: error.closeCode });
  }

  /** RFC 6455 §5.5.1: a Close body is a 2-byte status code followed by a UTF-8 reason. */
  private readCloseFrame(): CloseFrameEvent {
    const body = this.controlPayload();
    this.closeFrameReceived = true;
    if (body.length < 2) return { type: 'CLOSE_FRAME', payloadLength: body.length, code: 0, reasonIsUtf8: true };
    const code = body.readUInt16BE(0);
    const reason = body.subarray(2);
    const reasonIsUtf8 = isValidUtf8(reason);
    this.closeCodeReceived = code;
    this.closeReasonReceived = reasonIsUtf8 ? reason.toString('utf8') : '';
    return { type: 'CLOSE_FRAME', payloadLength: body.length, code, reasonIsUtf8 };
  }

  private controlPayload(): Buffer {
    const chunks = this.controlChunks;
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  private fail(code: ProtocolErrorCode, closeCode: number, message: string): void {
    this.onProtocolError(new ProtocolError(code, closeCode, message));
  }

  // ---------------------------------------------------------------- the machines

  /** Hand an event to every machine that declares it; events raised meanwhile wait their turn. */
  private dispatch(event: ProtocolEvent): void {
    if (this.dispatching) {
      (this.pendingEvents ??= []).push(event);
      return;
    }
    this.dispatching = true;
    try {
      this.step(event);
      const pending = this.pendingEvents;
      if (pending !== undefined) {
        while (pending.length > 0) this.step(pending.shift()!);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private step(event: ProtocolEvent): void {
    const slots = machinesByEventType.get(event.type);
    if (slots === undefined) return;
    for (const slot of slots) {
      const transition = compiledMachines[slot]!.step(this.states[slot]!, event);
      if (transition === undefined) continue;
      this.states[slot] = transition.targetIndex;
      this.options.onTransition?.(transition, event);
      const actions = transition.actions;
      for (let i = 0; i < actions.length; i++) this.runAction(actions[i]!, event);
    }
  }

  /** Carry out an action named by a machine. */
  private runAction(action: CompiledAction, event: ProtocolEvent): void {
    switch (action.type) {
      // connection machine
      case 'enablePerMessageDeflate': {
        const agreed = this.perMessageDeflateAgreed!;
        this.compressor = this.options.createCompressor!(agreed, this.options.perMessageDeflate!);
        this.parser.rsv1Allowed = true;
        return;
      }
      case 'answerSubprotocol':
        this.subprotocol = (event as HandshakeRequestEvent).subprotocol!;
        return;
      case 'acceptHandshake': {
        const extra = this.compressor ? [`Sec-WebSocket-Extensions: ${this.perMessageDeflateAgreed!.response}`] : [];
        if (this.subprotocol !== '') extra.push(`Sec-WebSocket-Protocol: ${this.subprotocol}`);
        const headers = switchingProtocolsHeaders(this.handshakeKey, extra);
        this.output.handshakeHeaders?.(headers);
        this.output.write(Buffer.from(`${headers.join('\r\n')}\r\n\r\n`));
        this.output.opened();
        return;
      }
      case 'rejectHandshake': {
        const status = action.params!['status'] as number;
        this.output.refuseHandshake(handshakeRefusal(status, refusalReason(status, event as HandshakeRequestEvent)));
        return;
      }
      case 'reportClosed':
        this.compressor?.close();
        // RFC 6455 §7.1.5: the code of the first Close frame received; 1005 if it had none,
        // 1006 if none was received.
        this.output.closed(
          this.closeFrameReceived ? (this.closeCodeReceived ?? 1005) : 1006,
          this.closeReasonReceived,
        );
        return;

      // message machine
      case 'beginTextMessage':
        this.beginMessage(true, false);
        return;
      case 'beginBinaryMessage':
        this.beginMessage(false, false);
        return;
      case 'beginCompressedTextMessage':
        this.beginMessage(true, true);
        return;
      case 'beginCompressedBinaryMessage':
        this.beginMessage(false, true);
        return;
      case 'deliverCompressedTextMessage':
        this.deliverCompressedMessage(false);
        return;
      case 'deliverCompressedBinaryMessage':
        this.deliverCompressedMessage(true);
        return;
      case 'deliverTextMessage':
        this.output.message(this.takeMessage(), false);
        return;
      case 'deliverBinaryMessage':
        this.output.message(this.takeMessage(), true);
        return;
      case 'reportProtocolError': {
        const params = action.params as { code: ProtocolErrorCode; closeCode: number };
        this.fail(params.code, params.closeCode, 'invalid frame sequence (RFC 6455 §5.4)');
        return;
      }

      // closing-handshake machine
      case 'sendPong':
        // §5.5.3: "A Pong frame sent in response to a Ping frame must have identical
        // "Application data" as found in the message body of the Ping frame being replied to."
        this.writeControlFrame(OPCODE_PONG, encodeFrame(OPCODE_PONG, this.controlPayload()));
        return;
      case 'reportPing':
        this.output.ping(this.controlPayload());
        return;
      case 'reportPong':
        this.output.pong(this.controlPayload());
        return;
      case 'echoCloseFrame':
        // §5.5.1: "the endpoint typically echos the status code it received"; the reason goes
        // back with it, as ws does (it was checked to be UTF-8 before this action ran).
        this.writeControlFrame(OPCODE_CLOSE, encodeCloseFrame(this.closeCodeReceived, this.closeReasonReceived));
        return;
      case 'sendCloseFrame':
        this.writeControlFrame(OPCODE_CLOSE, encodeCloseFrame(this.closeCodeToSend(action, event), this.closeReasonToSend));
        return;
      case 'ignoreFurtherFrames':
        this.framesIgnored = true;
        this.parser.stop();
        if (this.failure !== undefined) this.output.protocolError(this.failure);
        return;
      case 'closeTcp':
        this.output.closeTcp();
        return;
      case 'destroyTcp':
        this.output.destroyTcp();
        return;
      case 'startCloseTimer':
        this.output.startCloseTimer();
        return;
      default:
        throw new Error(`no implementation for action ${action.type}`);
    }
  }

  private closeCodeToSend(action: CompiledAction, event: ProtocolEvent): number {
    const fromParams = action.params?.['closeCode'];
    if (typeof fromParams === 'number') {
      if (this.failure === undefined) {
        this.failure = new ProtocolError(
          fromParams === 1007 ? 'WS_ERR_INVALID_UTF8' : 'WS_ERR_INVALID_CLOSE_PAYLOAD',
          fromParams,
          'invalid Close frame (RFC 6455 §5.5.1, §7.4)',
        );
      }
      return fromParams;
    }
    if (event.type === 'PROTOCOL_ERROR') return event.closeCode;
    if (event.type === 'CLOSE_REQUESTED') return event.code;
    throw new Error(`sendCloseFrame has no close code for ${event.type}`);
  }

  /** RFC 7692 §7.2.2: inflate, then treat the result as the message's payload. */
  private deliverCompressedMessage(isBinary: boolean): void {
    const compressed = this.messageChunks;
    this.messageChunks = NO_CHUNKS as Buffer[];
    this.messageLength = 0;
    let data: Buffer;
    try {
      data = this.compressor!.inflate(compressed, this.options.maxMessageSize);
    } catch (error) {
      if ((error as Error).name === 'InflatedTooLarge') {
        // RFC 6455 §7.4.1: 1009 "a message that is too big for it to process".
        this.fail('WS_ERR_MESSAGE_TOO_BIG', 1009, `inflated message exceeds ${this.options.maxMessageSize} bytes`);
      } else {
        // Corrupt deflate data: for text the payload cannot be the UTF-8 it must be (1007);
        // for binary the extension's framing is broken (1002).
        this.fail('WS_ERR_INVALID_COMPRESSED_DATA', isBinary ? 1002 : 1007, 'invalid permessage-deflate data');
      }
      return;
    }
    if (!isBinary && !isValidUtf8(data)) {
      this.fail('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 in a compressed text message');
      return;
    }
    this.output.message(data, isBinary);
  }

  private beginMessage(isText: boolean, isCompressed: boolean): void {
    this.messageIsText = isText;
    this.messageIsCompressed = isCompressed;
    this.messageChunks = [];
    this.messageLength = 0;
    if (isText && !isCompressed) (this.utf8 ??= new Utf8StreamValidator()).reset();
  }

  private takeMessage(): Buffer {
    const chunks = this.messageChunks;
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.messageLength);
    this.messageChunks = NO_CHUNKS as Buffer[];
    this.messageLength = 0;
    return data;
  }

  /** A whole encoded control frame (payload ≤ 125 bytes, so its header is 2 bytes). */
  private writeControlFrame(opcode: number, frame: Buffer): void {
    this.options.onFrame?.('out', opcode, frame.length - 2, true, false);
    this.output.write(frame);
  }

  private writeFrame(opcode: number, data: Uint8Array): void {
    // RFC 7692 §6: a compressed message has RSV1 set on its first (here: only) frame.
    const compress = this.compressor !== undefined && data.length >= this.compressor.threshold;
    const payload = compress ? this.compressor!.deflate(data) : data;
    this.options.onFrame?.('out', opcode, payload.length, true, compress);
    if (payload.length < COPY_PAYLOAD_BELOW) {
      this.output.write(encodeFrame(opcode, payload, true, compress));
    } else {
      this.output.write(encodeFrameHeader(opcode, payload.length, true, compress));
      this.output.write(payload);
    }
  }
}
