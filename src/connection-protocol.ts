/**
 * The sans-I/O core of one server-side WebSocket connection: it wires the pieces along the data
 * flow and decides nothing itself.
 *
 * ```
 * bytes ─▶ FrameParser ─▶ frame events ─┐                          ┌─▶ bytes, TCP requests,
 * socket, timer, application calls ─────┴─▶ machines (tables) ─▶ effects   application events
 *                                  MessageAssembly (payloads) ◀─┘
 * ```
 *
 * - bytes → frame events: frame-parser.ts reads headers and payloads, frame-events.ts holds the
 *   event objects; a header that breaks a rule is its own failure-cause event;
 * - the machines (protocol-machines.ts) take every event and name actions; application calls
 *   (`send`, `ping`, `pong`, `close`, `terminate`) are events too, which the machines accept or
 *   refuse (a refusal throws InvalidStateError, naming the machine states);
 * - effects (protocol-effects.ts) carry out each action, one table entry per action name;
 * - the data plane (message-assembly.ts) keeps the message's payload, out of machine context.
 *
 * Nothing here touches a socket, a timer or zlib.
 */
import { FrameParser, type FrameHeader, type FrameParserHandler } from './frame-parser.js';
import { encodeFrame, encodeFrameHeader, encodeMaskedFrame } from './frame-encoder.js';
import { ProtocolError, InvalidStateError } from './protocol-error.js';
import { CloseCode, isValidCloseCode } from './close-code.js';
import { compiledMachines, machinesByEventType, MachineSlot, type MachineAction } from './protocol-machines.js';
import type {
  ApplicationAcceptedEvent,
  DataFrameEvent,
  FrameViolationType,
  HandshakeRequestEvent,
  HandshakeResponseEvent,
  PayloadViolationType,
  ProtocolEvent,
} from '../machines/protocol-events.js';
import type { ProtocolOptions, ProtocolOutput } from './protocol-output.js';
import type { HandshakeRefusal } from './opening-handshake.js';
import { parseExtensionOffers } from './permessage-deflate/extension-header.js';
import { negotiatePerMessageDeflate, type NegotiatedPerMessageDeflate } from './permessage-deflate/negotiation.js';
import { OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from './opcode.js';
import { EVENT, readCloseBody, type ReceivedClose } from './frame-events.js';
import { MessageAssembly, type MessageCompressor } from './message-assembly.js';
import { runAction } from './protocol-effects.js';
import { readExtensionAnswer, codecParametersForClient, type ClientPerMessageDeflateOptions } from './client-deflate-offer.js';

export type { MessageCompressor } from './message-assembly.js';
export { DiscardingOutput, type ProtocolOptions, type ProtocolOutput } from './protocol-output.js';

/** Payloads at least this long are written as header + payload (writev), not copied into one buffer. */
const COPY_PAYLOAD_BELOW = 16 * 1024;

const EMPTY = Buffer.alloc(0);
const NO_CHUNKS: readonly Buffer[] = Object.freeze([]) as readonly Buffer[];

export type ReadyState = 'connecting' | 'open' | 'closing' | 'closed';

/** The WebSocket API's readyState of each connection machine state (`requestSent` is the client's CONNECTING). */
const READY_STATES: Readonly<Record<string, ReadyState>> = {
  connecting: 'connecting',
  awaitingApplication: 'connecting',
  requestSent: 'connecting',
  open: 'open',
  closing: 'closing',
  closed: 'closed',
};

/** The connection machine's state in which the server's application decides on the request. */
const AWAITING_APPLICATION = compiledMachines[MachineSlot.connection].states.indexOf('awaitingApplication');

export class ConnectionProtocol implements FrameParserHandler {
  // The state of each machine (a row of its compiled table), by MachineSlot.
  #connectionState = compiledMachines[MachineSlot.connection].initialState;
  #messageState = compiledMachines[MachineSlot.message].initialState;
  #closingState = compiledMachines[MachineSlot.closingHandshake].initialState;
  /** Events raised while a dispatch is running (rare: allocated when needed, let go once drained). */
  #pendingEvents: ProtocolEvent[] | undefined;
  #dispatching = false;

  /** @internal The frame parser; the machines start and stop it (`startReadingFrames`, `stopReadingFrames`). */
  readonly parser: FrameParser;
  /** @internal The data plane, made on the first message. */
  message: MessageAssembly | undefined;
  /** @internal */ readonly output: ProtocolOutput;
  /** @internal */ readonly options: ProtocolOptions;

  /** Reused for every data frame header, so a frame allocates no event (made on the first frame). */
  #dataFrameEvent: DataFrameEvent | undefined;
  /** The control frame being read (at most 125 bytes, RFC 6455 §5.5). */
  #controlChunks = NO_CHUNKS as Buffer[];

  /** @internal The permessage-deflate parameters agreed. */
  perMessageDeflateAgreed: NegotiatedPerMessageDeflate | undefined;
  /** @internal */ compressor: MessageCompressor | undefined;
  /**
   * @internal The opening handshake request, while the machines take it, and while the connection
   * machine leaves it to the application (`awaitingApplication`), until it decides.
   */
  handshakeRequest: HandshakeRequestEvent | undefined;
  /** @internal The refusal the application chose (APPLICATION_REFUSED; `relayApplicationRefusal` sends it). */
  applicationRefusal: HandshakeRefusal | undefined;
  /** RFC 6455 §4.2.2 item 5.4: the subprotocol the server answered with ('' for none; `answerSubprotocol`). */
  subprotocol = '';
  /** @internal The client role: the server's response, while the machines take it. */
  handshakeResponse: HandshakeResponseEvent | undefined;
  /** @internal §5.1, §5.3: every frame sent is masked (the client role; `maskOutgoingFrames`). */
  maskFrames = false;

  /** @internal The Close frame received (its code undefined when its body had none). */
  closeReceived: ReceivedClose | undefined;
  /** @internal §7.1.5 _The WebSocket Connection Close Code_ and reason, as `recordCloseCode` sets them. */
  closeCode: number = CloseCode.abnormalClosure;
  /** @internal */ closeReason = '';
  /** @internal The code `close()` asked to send (its reason is `requestData`). */
  requestedCloseCode: number = CloseCode.normalClosure;
  /** @internal The failure `failConnection` recorded. */
  failure: ProtocolError | undefined;
  /** @internal What `send`, `ping` and `pong` asked to send, or the reason `close()` gave. */
  requestData: Uint8Array = EMPTY;
  // Stryker disable next-line BooleanLiteral: send() sets it before its dispatch, and sendMessage (that dispatch) is its only reader.
  /** @internal */ requestIsBinary = false;
  /** @internal What `refuseRequest` made; the application call throws it. */
  refusal: InvalidStateError | undefined;

  constructor(output: ProtocolOutput, options: ProtocolOptions) {
    this.output = output;
    this.options = options;
    this.parser = new FrameParser(this, { reading: false });
  }

  get readyState(): ReadyState {
    return READY_STATES[compiledMachines[MachineSlot.connection].states[this.#connectionState]!]!;
  }

  /** The extensions in use, as the WebSocket API's `extensions` ('' or 'permessage-deflate'). */
  get extensions(): string {
    return this.compressor === undefined ? '' : 'permessage-deflate';
  }

  /** The current state of each machine, by machine id. */
  get machineStates(): Record<'connection' | 'message' | 'closingHandshake', string> {
    return {
      connection: compiledMachines[MachineSlot.connection].states[this.#connectionState]!,
      message: compiledMachines[MachineSlot.message].states[this.#messageState]!,
      closingHandshake: compiledMachines[MachineSlot.closingHandshake].states[this.#closingState]!,
    };
  }

  // ---------------------------------------------------------------- inputs

  /** RFC 6455 §4.2.1: the client's opening handshake. */
  receiveHandshake(request: Omit<HandshakeRequestEvent, 'type' | 'perMessageDeflateAgreed'>): void {
    const deflateOptions = this.options.perMessageDeflate;
    if (deflateOptions !== undefined) {
      // RFC 6455 §9.1: a header that does not follow the grammar declines every extension.
      const offers = parseExtensionOffers(request.headers['sec-websocket-extensions']) ?? [];
      this.perMessageDeflateAgreed = negotiatePerMessageDeflate(offers, deflateOptions);
    }
    // Kept while the machines take it, for the effects that answer it (the key, the refusal's reason, the subprotocol).
    this.handshakeRequest = { type: 'HANDSHAKE_REQUEST', ...request, perMessageDeflateAgreed: this.perMessageDeflateAgreed !== undefined };
    this.dispatch(this.handshakeRequest);
    if (this.#connectionState !== AWAITING_APPLICATION) this.handshakeRequest = undefined;
  }

  /**
   * The server's application accepted the request the machines left to it, choosing `subprotocol`
   * (one the client offered, or undefined); `connectionLimitReached` as the server stands now.
   */
  applicationAccepted(subprotocol: string | undefined, connectionLimitReached: boolean): void {
    const request = this.handshakeRequest;
    const event: ApplicationAcceptedEvent = {
      type: 'APPLICATION_ACCEPTED',
      perMessageDeflateAgreed: this.perMessageDeflateAgreed !== undefined,
      subprotocol,
      connectionLimitReached,
    };
    // The effects that answer it read the request (the refusal's reason) and the subprotocol.
    if (request !== undefined) request.subprotocol = subprotocol;
    this.dispatch(event);
    this.handshakeRequest = undefined;
  }

  /** The server's application refused the request the machines left to it, with `refusal`. */
  applicationRefused(refusal: HandshakeRefusal): void {
    this.applicationRefusal = refusal;
    this.dispatch(EVENT.APPLICATION_REFUSED);
    this.applicationRefusal = undefined;
    this.handshakeRequest = undefined;
  }

  /** The client role: the opening handshake's request is sent (RFC 6455 §4.1). */
  clientHandshakeSent(): void {
    this.dispatch(EVENT.CLIENT_HANDSHAKE_SENT);
  }

  /**
   * The client role: the server's response to the opening handshake (§4.1), with what the client
   * offered; `deflateOffer` is the permessage-deflate offer made (undefined: none).
   */
  receiveHandshakeResponse(
    response: Omit<HandshakeResponseEvent, 'type' | 'extensions'>,
    deflateOffer: ClientPerMessageDeflateOptions | undefined,
  ): void {
    const answer = readExtensionAnswer(response.headers['sec-websocket-extensions'], deflateOffer);
    if (answer.agreed !== undefined) this.perMessageDeflateAgreed = codecParametersForClient(answer.agreed);
    this.handshakeResponse = { type: 'HANDSHAKE_RESPONSE', ...response, extensions: answer.verdict };
    this.dispatch(this.handshakeResponse);
    this.handshakeResponse = undefined;
  }

  /** The client role: no response to the opening handshake in time. */
  responseTimeout(): void {
    this.dispatch(EVENT.RESPONSE_TIMEOUT);
  }

  /** Bytes from the peer, in any chunking. The core takes ownership (it unmasks in place). Read only while the machines read frames. */
  receiveData(chunk: Buffer): void {
    this.parser.push(chunk);
  }

  /** The peer sent FIN. */
  receiveTcpEnd(): void {
    this.dispatch(EVENT.TCP_END);
  }

  /** The TCP connection is gone. */
  receiveTcpClosed(): void {
    this.dispatch(EVENT.TCP_CLOSED);
  }

  /** The timer asked for by `startCloseTimer` expired. */
  closeTimeout(): void {
    this.dispatch(EVENT.CLOSE_TIMEOUT);
  }

  /** The upgrade request waited for the server's decision longer than the handshake timeout. */
  handshakeTimeout(): void {
    // The refusal's reason is the server's delay, not the request (refusalReason without one).
    this.handshakeRequest = undefined;
    this.dispatch(EVENT.HANDSHAKE_TIMEOUT);
  }

  /** The I/O layer's heartbeat found the connection idle for an interval (`heartbeatIntervalMs`). */
  heartbeatDue(): void {
    this.dispatch(EVENT.HEARTBEAT_DUE);
  }

  /** The peer sends Pings but does not read the Pongs: more than the I/O layer's bound wait unread. */
  pongsUnread(): void {
    this.dispatch(EVENT.PONGS_UNREAD);
  }

  /** The application's sends left more than `maxBufferedAmount` bytes unread by the peer. */
  bufferedAmountExceeded(): void {
    this.dispatch(EVENT.BUFFERED_AMOUNT_EXCEEDED);
  }

  /** The deadline asked for by `startPongDeadline` passed with no Pong and no byte from the peer. */
  pongTimeout(): void {
    this.dispatch(EVENT.PONG_TIMEOUT);
  }

  // ---------------------------------------------------------------- application calls

  /**
   * Send a message (RFC 6455 §6.1).
   * @throws InvalidStateError unless the connection is open (e.g. once `close()` was called: §5.5.1)
   */
  send(data: Uint8Array, isBinary: boolean): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('a message is bytes (Uint8Array)');
    this.requestData = data;
    this.requestIsBinary = isBinary;
    this.#request(EVENT.SEND_REQUESTED);
  }

  /**
   * Send a Ping (§5.5.2).
   * @throws RangeError for more than 125 bytes; InvalidStateError unless the connection is open
   */
  ping(data: Uint8Array = EMPTY): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('Ping data is bytes (Uint8Array)');
    if (data.length > 125) throw new RangeError('RFC 6455 §5.5: a control frame payload is at most 125 bytes');
    this.requestData = data;
    this.#request(EVENT.PING_REQUESTED);
  }

  /**
   * Send an unsolicited Pong (§5.5.3).
   * @throws RangeError for more than 125 bytes; InvalidStateError unless the connection is open
   */
  pong(data: Uint8Array = EMPTY): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('Pong data is bytes (Uint8Array)');
    if (data.length > 125) throw new RangeError('RFC 6455 §5.5: a control frame payload is at most 125 bytes');
    this.requestData = data;
    this.#request(EVENT.PONG_REQUESTED);
  }

  /**
   * RFC 6455 §7.1.2: start the closing handshake.
   * @throws TypeError for a code that is not an integer or a reason that is neither text nor bytes;
   *   RangeError for a code that may not be sent (§7.4) or a reason over 123 bytes;
   *   InvalidStateError before the handshake completed or once closing started
   */
  close(code: number = CloseCode.normalClosure, reason: string | Uint8Array = ''): void {
    // Checked before any state changes, so a bad argument cannot leave the connection half-closed.
    // Number.isInteger is false for anything that is not a number, so it alone refuses a string or undefined.
    if (!Number.isInteger(code)) throw new TypeError(`close code must be an integer, not ${String(code)}`);
    if (typeof reason !== 'string' && !(reason instanceof Uint8Array)) throw new TypeError('close reason must be a string or bytes');
    if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
    const reasonBytes = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason.buffer, reason.byteOffset, reason.byteLength);
    if (reasonBytes.length > 123) throw new RangeError('RFC 6455 §5.5: a close reason is at most 123 bytes');
    this.requestedCloseCode = code;
    this.requestData = reasonBytes;
    this.#request({ type: 'CLOSE_REQUESTED', code });
  }

  /** Drop the TCP connection without a closing handshake (ignored once closed). */
  terminate(): void {
    this.#request(EVENT.TERMINATE_REQUESTED);
  }

  /**
   * An application call: decided at once, even from inside a callback the core made (so that the
   * call's answer, or its refusal, is known when it returns).
   */
  #request(event: ProtocolEvent): void {
    if (this.#dispatching) this.#step(event);
    else this.dispatch(event);
    const refusal = this.refusal;
    if (refusal !== undefined) {
      this.refusal = undefined;
      throw refusal;
    }
  }

  // ---------------------------------------------------------------- frames (FrameParserHandler)

  /** @internal */
  onFrameHeader(header: FrameHeader): void {
    const opcode = header.opcode;
    this.options.onFrame?.('in', opcode, header.payloadLength, header.fin, header.rsv1);
    if (opcode >= OPCODE_CLOSE) {
      this.#controlChunks = [];
      this.dispatch(EVENT.CONTROL_FRAME);
      return;
    }
    // Stryker disable next-line BooleanLiteral: equivalent — the first values of fin and rsv1 are overwritten just below, before the event is dispatched (test/mutation/equivalent-mutants.md)
    const event = (this.#dataFrameEvent ??= { type: 'TEXT_FRAME', fin: false, rsv1: false });
    event.type = opcode === OPCODE_TEXT ? 'TEXT_FRAME' : opcode === OPCODE_BINARY ? 'BINARY_FRAME' : 'CONTINUATION_FRAME';
    event.fin = header.fin;
    event.rsv1 = header.rsv1;
    this.dispatch(event);
  }

  /** @internal */
  onFramePayload(chunk: Buffer): void {
    if (this.parser.header.opcode >= OPCODE_CLOSE) {
      this.#controlChunks.push(chunk);
      return;
    }
    this.failIf(this.message!.add(chunk));
  }

  /** @internal */
  onFrameEnd(): void {
    const header = this.parser.header;
    const opcode = header.opcode;
    if (opcode === OPCODE_CONTINUATION || opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      const violation = this.message!.endFrame(header.fin);
      if (violation !== undefined) this.dispatch(EVENT[violation]);
      else this.dispatch(EVENT.FRAME_END);
    } else if (opcode === OPCODE_PING) {
      this.dispatch(EVENT.PING_FRAME);
    } else if (opcode === OPCODE_PONG) {
      this.dispatch(EVENT.PONG_FRAME);
    } else {
      const close = (this.closeReceived = readCloseBody(this.controlPayload()));
      this.dispatch(close.event);
    }
  }

  /** @internal A frame header broke a rule of RFC 6455 §5: its cause is the event. */
  onFrameViolation(cause: FrameViolationType): void {
    this.dispatch(EVENT[cause]);
  }

  /** @internal Hand the data plane's finding, if any, to the machines. */
  failIf(violation: PayloadViolationType | undefined): void {
    if (violation !== undefined) this.dispatch(EVENT[violation]);
  }

  /** @internal The payload of the control frame just read. */
  controlPayload(): Buffer {
    const chunks = this.#controlChunks;
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  // ---------------------------------------------------------------- the machines

  /** @internal Hand an event to every machine that declares it; events raised meanwhile wait their turn. */
  dispatch(event: ProtocolEvent): void {
    if (this.#dispatching) {
      (this.#pendingEvents ??= []).push(event);
      return;
    }
    this.#dispatching = true;
    try {
      this.#step(event);
      const pending = this.#pendingEvents;
      if (pending !== undefined) {
        while (pending.length > 0) this.#step(pending.shift()!);
        // Let the queue go: an idle connection keeps none (raised events are rare: the handshake, a failure).
        this.#pendingEvents = undefined;
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #step(event: ProtocolEvent): void {
    const slots = machinesByEventType.get(event.type);
    if (slots === undefined) return;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const machine = compiledMachines[slot]!;
      const state = slot === MachineSlot.connection ? this.#connectionState : slot === MachineSlot.message ? this.#messageState : this.#closingState;
      const transition = machine.step(state, event);
      if (transition === undefined) continue;
      if (slot === MachineSlot.connection) this.#connectionState = transition.targetIndex;
      else if (slot === MachineSlot.message) this.#messageState = transition.targetIndex;
      else this.#closingState = transition.targetIndex;
      this.options.onTransition?.(transition, event);
      const actions: readonly MachineAction[] = transition.actions;
      for (let j = 0; j < actions.length; j++) runAction(this, actions[j]!);
    }
  }

  // ---------------------------------------------------------------- framing

  /** @internal A whole encoded control frame (payload ≤ 125 bytes, so its header is 2 bytes). */
  writeControlFrame(opcode: number, frame: Buffer): void {
    this.options.onFrame?.('out', opcode, frame.length - 2, true, false);
    // §5.1: "a client MUST mask all frames that it sends to the server" (the 2-byte header is replaced).
    this.output.write(this.maskFrames ? encodeMaskedFrame(opcode, frame.subarray(2)) : frame);
  }

  /** @internal A message in one frame; RFC 7692 §6: compressed ones have RSV1 set on it. */
  writeMessage(opcode: number, data: Uint8Array): void {
    const compress = this.compressor !== undefined && data.length >= this.compressor.threshold;
    const payload = compress ? this.compressor!.deflate(data) : data;
    this.options.onFrame?.('out', opcode, payload.length, true, compress);
    if (this.maskFrames) {
      // §5.3: masked into one buffer with the header (the payload is copied once, whatever its size).
      this.output.write(encodeMaskedFrame(opcode, payload, true, compress));
    } else if (payload.length < COPY_PAYLOAD_BELOW) {
      this.output.write(encodeFrame(opcode, payload, true, compress));
    } else {
      this.output.write(encodeFrameHeader(opcode, payload.length, true, compress));
      this.output.write(payload);
    }
  }
}

