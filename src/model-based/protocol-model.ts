/**
 * The model of one connection: what the three machines, side by side, predict a server does
 * when a client takes a wire step. It is the oracle of the wire executions.
 *
 * A wire step becomes the events the protocol core derives from it (src/connection-protocol.ts
 * documents which bytes produce which events); each event goes to every machine that declares
 * it, in the core's order (connection, message, closingHandshake), stepped with XState's pure
 * `transition()`; events raised meanwhile (a broken frame sequence reports a PROTOCOL_ERROR) wait
 * their turn. The actions the transitions name become what the client must see: `sendPong` a
 * Pong with the Ping's payload, `sendCloseFrame` a Close with its code, `closeTcp` the server's
 * FIN, `deliverTextMessage` the message echoed back (the server under test is an echo server),
 * and so on.
 *
 * Beyond the machines, the model knows what the core and the I/O layer do around them — which
 * is what an echo server of RFC 6455 does too: the frame header rules of §5.2 that fail a
 * connection before any machine sees the frame (a reserved opcode, RSV bits no extension
 * defines, an unmasked frame, a fragmented or over-long control frame), UTF-8 validation of text
 * (§8.1), no frames read once the machines said so, no writes after the server's FIN, and that
 * TCP is gone (TCP_CLOSED) once both sides ended it or one dropped it.
 */
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { CloseFrameEvent, HandshakeRequestEvent, ProtocolEvent } from '../../machines/protocol-events.js';
import { statePath } from '../compiled-machine.js';
import { isValidUtf8, Utf8StreamValidator } from '../utf8-validator.js';
import { MACHINE_IDS, type MachineId } from './event-samples.js';
import { machinesById } from './model-paths.js';
import { branchOf, compiledOf, type TransitionBranch } from './transition-branches.js';
import type { Observable, WireFrame, WireStep } from './wire-steps.js';
import {
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
} from '../opcode.js';

/** One transition the model predicts for one machine. */
export interface ModelTransition {
  readonly machineId: MachineId;
  readonly source: string;
  readonly eventType: string;
  readonly target: string;
  readonly event: ProtocolEvent;
  readonly branch: TransitionBranch;
}

/** What one wire step makes the server do, as the model predicts it. */
export interface StepPrediction {
  readonly events: readonly ProtocolEvent[];
  readonly transitions: readonly ModelTransition[];
  readonly expected: readonly Observable[];
}

/** Event types each machine declares (others it ignores). */
const declaredEvents: Record<MachineId, ReadonlySet<string>> = Object.fromEntries(
  MACHINE_IDS.map((id) => [id, new Set(compiledOf(id).eventTypes)]),
) as unknown as Record<MachineId, ReadonlySet<string>>;

interface MessageInProgress {
  text: boolean;
  compressed: boolean;
  plain: Buffer[];
  utf8: Utf8StreamValidator;
}

export class ProtocolModel {
  /** Every transition predicted so far, in order. */
  readonly transitions: ModelTransition[] = [];

  private readonly snapshots = new Map<MachineId, AnyMachineSnapshot>(
    MACHINE_IDS.map((id) => [id, initialTransition(machinesById[id])[0]]),
  );

  // The connection, as the I/O layer sees it.
  accepted = false;
  deflateAgreed = false;
  /** The subprotocol the server answered with (answerSubprotocol). */
  subprotocol: string | undefined;
  /** The machines said to read no more frames (`ignoreFurtherFrames`), or a frame header broke §5.2. */
  framesIgnored = false;
  serverEnded = false;
  clientEnded = false;
  private dropped = false;
  tcpClosed = false;
  closeTimerRunning = false;

  // The data plane.
  private frame: WireFrame | undefined;
  private message: MessageInProgress | undefined;
  private controlPayload: Buffer = Buffer.alloc(0);
  private closeCodeReceived: number | undefined;

  // The step being predicted.
  private events: ProtocolEvent[] = [];
  private stepTransitions: ModelTransition[] = [];
  private expected: Observable[] = [];
  private readonly pending: ProtocolEvent[] = [];
  private dispatching = false;

  /** The state of a machine, as a dotted path. */
  stateOf(machineId: MachineId): string {
    return statePath(this.snapshots.get(machineId)!.value);
  }

  transitionsOf(machineId: MachineId): ModelTransition[] {
    return this.transitions.filter((t) => t.machineId === machineId);
  }

  /** A text message is in progress. */
  get messageIsText(): boolean {
    return this.message?.text ?? false;
  }

  /** A message is in progress and it is compressed (its continuation frames carry deflate data). */
  get messageIsCompressed(): boolean {
    return this.message?.compressed ?? false;
  }

  /**
   * Predicts what the step makes the server do. For a handshake, `deflateAgreed` says whether the
   * server agreed to permessage-deflate (the server decides; the client only offers).
   */
  apply(step: WireStep, deflateAgreed = step.kind === 'handshake' && step.offerDeflate, subprotocol?: string): StepPrediction {
    this.events = [];
    this.stepTransitions = [];
    this.expected = [];
    switch (step.kind) {
      case 'handshake':
        this.dispatch({
          type: 'HANDSHAKE_REQUEST',
          method: step.method,
          httpVersion: step.httpVersion,
          headers: { ...step.headers },
          perMessageDeflateAgreed: step.offerDeflate && deflateAgreed,
          ...(subprotocol === undefined ? {} : { subprotocol }),
        });
        break;
      case 'frame':
        if (step.part !== 'payload') this.frameHeader(step.frame);
        if (step.part !== 'header') this.framePayload(step.frame);
        break;
      case 'tcp-end':
        this.clientEnded = true;
        // The I/O layer listens for the peer's FIN only on an accepted connection.
        if (this.accepted) this.dispatch({ type: 'TCP_END' });
        break;
      case 'tcp-reset':
        this.dropped = true;
        break;
      case 'await-close-timeout':
        if (this.closeTimerRunning && !this.tcpClosed) {
          this.closeTimerRunning = false;
          this.dispatch({ type: 'CLOSE_TIMEOUT' });
        }
        break;
      case 'request-close':
        // The application may start closing only while the connection is open (ConnectionProtocol.close).
        if (this.stateOf('connection') === 'open') this.dispatch({ type: 'CLOSE_REQUESTED', code: step.code });
        break;
    }
    // TCP is gone once both sides ended it, or either side dropped it.
    if (!this.tcpClosed && (this.dropped || (this.clientEnded && this.serverEnded))) {
      this.tcpClosed = true;
      this.closeTimerRunning = false;
      this.dispatch({ type: 'TCP_CLOSED' });
    }
    return { events: this.events, transitions: this.stepTransitions, expected: this.expected };
  }

  // ------------------------------------------------------------------ frames

  /** RFC 6455 §5.2 header rules; then the frame's first event. */
  private frameHeader(frame: WireFrame): void {
    if (!this.accepted || this.framesIgnored) return;
    this.frame = undefined;
    const opcode = frame.opcode;
    const isControl = opcode >= OPCODE_CLOSE;
    const broken =
      (frame.rsv & 0b011) !== 0 ||
      ((frame.rsv & 0b100) !== 0 && (!this.deflateAgreed || isControl)) ||
      (opcode > OPCODE_BINARY && opcode < OPCODE_CLOSE) ||
      opcode > OPCODE_PONG ||
      (isControl && (!frame.fin || frame.payload.length > 125)) ||
      !frame.masked;
    if (broken) {
      this.framesIgnored = true;
      this.dispatch({ type: 'PROTOCOL_ERROR', closeCode: 1002 });
      return;
    }
    this.frame = frame;
    if (isControl) {
      this.controlPayload = Buffer.alloc(0);
      this.dispatch({ type: 'CONTROL_FRAME' });
      return;
    }
    const type = opcode === OPCODE_TEXT ? 'TEXT_FRAME' : opcode === OPCODE_BINARY ? 'BINARY_FRAME' : 'CONTINUATION_FRAME';
    this.dispatch({ type, fin: frame.fin, rsv1: (frame.rsv & 0b100) !== 0 });
  }

  /** The frame's payload and end: UTF-8 checks, then FRAME_END or the control frame's own event. */
  private framePayload(frame: WireFrame): void {
    if (!this.accepted || this.framesIgnored || this.frame !== frame) return;
    this.frame = undefined;
    if (frame.opcode >= OPCODE_CLOSE) {
      this.controlPayload = frame.payload;
      if (frame.opcode === OPCODE_PING) this.dispatch({ type: 'PING_FRAME' });
      else if (frame.opcode === OPCODE_PONG) this.dispatch({ type: 'PONG_FRAME' });
      else this.dispatch(this.closeFrameEvent(frame.payload));
      return;
    }
    const message = this.message;
    if (message !== undefined) {
      // §8.1: text is checked as UTF-8 as it arrives (compressed text once inflated).
      if (message.text && !message.compressed) {
        if (!message.utf8.push(frame.payload) || (frame.fin && !message.utf8.end())) {
          this.fail(1007);
          return;
        }
      }
      message.plain.push(frame.plain);
    }
    this.dispatch({ type: 'FRAME_END' });
  }

  /** §5.5.1: a Close body is a 2-byte status code and a UTF-8 reason. */
  private closeFrameEvent(body: Buffer): CloseFrameEvent {
    if (body.length < 2) return { type: 'CLOSE_FRAME', payloadLength: body.length, code: 0, reasonIsUtf8: true };
    this.closeCodeReceived = body.readUInt16BE(0);
    return { type: 'CLOSE_FRAME', payloadLength: body.length, code: this.closeCodeReceived, reasonIsUtf8: isValidUtf8(body.subarray(2)) };
  }

  private fail(closeCode: number): void {
    this.dispatch({ type: 'PROTOCOL_ERROR', closeCode });
  }

  // ------------------------------------------------------------------ the machines

  private dispatch(event: ProtocolEvent): void {
    if (this.dispatching) {
      this.pending.push(event);
      return;
    }
    this.dispatching = true;
    try {
      this.step(event);
      while (this.pending.length > 0) this.step(this.pending.shift()!);
    } finally {
      this.dispatching = false;
    }
  }

  private step(event: ProtocolEvent): void {
    this.events.push(event);
    for (const machineId of MACHINE_IDS) {
      if (!declaredEvents[machineId].has(event.type)) continue;
      const machine = machinesById[machineId];
      const snapshot = this.snapshots.get(machineId)!;
      const source = statePath(snapshot.value);
      const branch = branchOf(machineId, source, event);
      if (branch === undefined) continue;
      const [next, actions] = transition(machine, snapshot, event);
      this.snapshots.set(machineId, next);
      const predicted: ModelTransition = { machineId, source, eventType: event.type, target: statePath(next.value), event, branch };
      this.transitions.push(predicted);
      this.stepTransitions.push(predicted);
      for (const action of actions) this.act(action.type, action.params as Record<string, unknown> | undefined, event);
    }
  }

  /** Server output goes out only while its side of TCP is open. */
  private expectWrite(item: Observable): void {
    if (!this.serverEnded && !this.dropped) this.expected.push(item);
  }

  private act(type: string, params: Record<string, unknown> | undefined, event: ProtocolEvent): void {
    switch (type) {
      case 'acceptHandshake':
        this.accepted = true;
        this.expected.push({ kind: 'http', status: 101, deflate: this.deflateAgreed, ...(this.subprotocol ? { subprotocol: this.subprotocol } : {}) });
        return;
      case 'answerSubprotocol':
        this.subprotocol = (event as HandshakeRequestEvent).subprotocol;
        return;
      case 'enablePerMessageDeflate':
        this.deflateAgreed = true;
        return;
      case 'rejectHandshake':
        // The refusal is written and the server ends TCP (RFC 6455 §4.2.2: "abort the handshake").
        this.expected.push({ kind: 'http', status: params!['status'] as number, deflate: false }, { kind: 'fin' });
        this.serverEnded = true;
        return;
      case 'beginTextMessage':
      case 'beginBinaryMessage':
      case 'beginCompressedTextMessage':
      case 'beginCompressedBinaryMessage':
        this.message = { text: type.includes('Text'), compressed: type.includes('Compressed'), plain: [], utf8: new Utf8StreamValidator() };
        return;
      case 'deliverTextMessage':
      case 'deliverBinaryMessage':
      case 'deliverCompressedTextMessage':
      case 'deliverCompressedBinaryMessage': {
        const data = Buffer.concat(this.message?.plain ?? []);
        const binary = type.includes('Binary');
        this.message = undefined;
        if (!binary && !isValidUtf8(data)) {
          this.fail(1007);
          return;
        }
        // The echo server sends every message back while the connection is open.
        if (this.stateOf('connection') === 'open') this.expectWrite({ kind: 'message', binary, data });
        return;
      }
      case 'reportProtocolError':
        this.fail(params!['closeCode'] as number);
        return;
      case 'sendPong':
        // §5.5.3: the Pong carries the Ping's application data.
        this.expectWrite({ kind: 'pong', data: this.controlPayload });
        return;
      case 'echoCloseFrame':
        this.expectWrite({ kind: 'close', code: this.closeCodeReceived });
        return;
      case 'sendCloseFrame': {
        const fromParams = params?.['closeCode'];
        const code =
          typeof fromParams === 'number'
            ? fromParams
            : event.type === 'PROTOCOL_ERROR'
              ? event.closeCode
              : event.type === 'CLOSE_REQUESTED'
                ? event.code
                : undefined;
        this.expectWrite({ kind: 'close', code });
        return;
      }
      case 'ignoreFurtherFrames':
        this.framesIgnored = true;
        return;
      case 'closeTcp':
        if (!this.serverEnded && !this.dropped) this.expected.push({ kind: 'fin' });
        this.serverEnded = true;
        return;
      case 'destroyTcp':
        if (!this.dropped) this.expected.push({ kind: 'drop' });
        this.dropped = true;
        return;
      case 'startCloseTimer':
        this.closeTimerRunning = true;
        return;
      default:
        // reportPing, reportPong, reportClosed: for the application, nothing on the wire.
        return;
    }
  }
}
