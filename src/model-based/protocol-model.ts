/**
 * The model of one connection: what the three machines, side by side, predict a server does
 * when a client takes a wire step. It is the oracle of the wire executions.
 *
 * A wire step becomes the events the protocol core derives from it (src/connection-protocol.ts
 * documents which bytes produce which events); each event goes to every machine that declares
 * it, in the core's order (connection, message, closingHandshake), stepped with XState's pure
 * `transition()`; events raised meanwhile (`acceptHandshake` raises CONNECTION_OPENED,
 * `failConnection` CONNECTION_FAILED, the echo application's send SEND_REQUESTED) wait their turn.
 * The actions the transitions name become what the client must see: `sendPong` a Pong with the
 * Ping's payload, `sendFailureCloseFrame` a Close with the code `failConnection` named, `closeTcp`
 * the server's FIN, `sendMessage` the message echoed back (the server under test is an echo
 * server), and so on.
 *
 * Beyond the machines, the model knows only what the I/O layer does around them: frames are read
 * between the machines' `startReadingFrames` and `stopReadingFrames`, nothing is written after the
 * server's FIN, and TCP is gone (TCP_CLOSED) once both sides ended it or one dropped it. Which
 * failure cause a broken frame is, the wire step says (its cause is the event the core's parser or
 * data plane derives from it, src/frame-events.ts); the machines decide the rest, as in the core.
 */
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { FailureCauseType, ProtocolEvent } from '../../machines/protocol-events.js';
import { declaredAction, statePath } from '../compiled-machine.js';
import { EVENT, readCloseBody } from '../frame-events.js';
import type { MachineAction } from '../protocol-machines.js';
import { ERROR_CLOSE_CODES } from '../protocol-error.js';
import { MACHINE_IDS, type MachineId } from './event-samples.js';
import { machinesById } from './model-paths.js';
import { branchOf, compiledOf, type TransitionBranch } from './transition-branches.js';
import type { Observable, WireFrame, WireStep } from './wire-steps.js';
import { OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from '../opcode.js';

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
  /** The subprotocol the server answered with (`answerSubprotocol`), and the one the handshake step carries. */
  subprotocol: string | undefined;
  private handshakeSubprotocol: string | undefined;
  /** Frames are read: between `startReadingFrames` and `stopReadingFrames` (or a header violation). */
  readingFrames = false;
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
  private requestedCloseCode: number | undefined;
  /** The message the echo server's application sends back. */
  private echo: Observable | undefined;
  /** The cause the next compressed delivery fails with (a violation step found when inflating). */
  private inflateFailure: FailureCauseType | undefined;
  /** The close code of the failure `failConnection` recorded. */
  private failureCloseCode: number | undefined;

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
        this.handshakeSubprotocol = subprotocol;
        this.dispatch({
          type: 'HANDSHAKE_REQUEST',
          method: step.method,
          httpVersion: step.httpVersion,
          headers: { ...step.headers },
          perMessageDeflateAgreed: step.offerDeflate && deflateAgreed,
          ...(subprotocol === undefined ? {} : { subprotocol }),
        });
        this.handshakeSubprotocol = undefined;
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
        this.requestedCloseCode = step.code;
        // The machines accept or refuse the application's close() (a refusal shows nothing on the wire).
        this.dispatch({ type: 'CLOSE_REQUESTED', code: step.code });
        break;
      case 'violation':
        // The frame parser or the data plane finds the cause as the bytes arrive, while frames are read.
        if (!this.readingFrames) break;
        if (step.atHeader) {
          // A header violation stops the parser at once, whatever the machines do next.
          this.readingFrames = false;
          this.dispatch(EVENT[step.cause]);
          break;
        }
        // A data frame: its header is the message machine's event first.
        this.dispatch(step.opening!);
        if (!this.readingFrames) break;
        if (step.inflated) {
          // Found when the message, complete at the frame's end, is inflated (deliverCompressed*Message).
          this.inflateFailure = step.cause;
          this.dispatch(EVENT.FRAME_END);
        } else {
          this.dispatch(EVENT[step.cause]);
        }
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

  /** The frame's first event (the wire adapter sends only frames whose header is valid). */
  private frameHeader(frame: WireFrame): void {
    if (!this.readingFrames) return;
    this.frame = frame;
    const opcode = frame.opcode;
    if (opcode >= OPCODE_CLOSE) {
      this.controlPayload = Buffer.alloc(0);
      this.dispatch(EVENT.CONTROL_FRAME);
      return;
    }
    const type = opcode === OPCODE_TEXT ? 'TEXT_FRAME' : opcode === OPCODE_BINARY ? 'BINARY_FRAME' : 'CONTINUATION_FRAME';
    this.dispatch({ type, fin: frame.fin, rsv1: (frame.rsv & 0b100) !== 0 });
  }

  /** The frame's payload and end: FRAME_END, or the control frame's own event. */
  private framePayload(frame: WireFrame): void {
    if (!this.readingFrames || this.frame !== frame) return;
    this.frame = undefined;
    if (frame.opcode >= OPCODE_CLOSE) {
      this.controlPayload = frame.payload;
      if (frame.opcode === OPCODE_PING) this.dispatch(EVENT.PING_FRAME);
      else if (frame.opcode === OPCODE_PONG) this.dispatch(EVENT.PONG_FRAME);
      else {
        const close = readCloseBody(frame.payload);
        this.closeCodeReceived = close.code;
        this.dispatch(close.event);
      }
      return;
    }
    this.message?.plain.push(frame.plain);
    this.dispatch(EVENT.FRAME_END);
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
      for (const action of actions) this.act(declaredAction<MachineAction>(action));
    }
  }

  /** Server output goes out only while its side of TCP is open. */
  private expectWrite(item: Observable): void {
    if (!this.serverEnded && !this.dropped) this.expected.push(item);
  }

  /** What each action makes the server do, as the client can see it (the echo server's application). */
  private act(action: MachineAction): void {
    switch (action.type) {
      case 'answerSubprotocol':
        this.subprotocol = this.handshakeSubprotocol;
        return;
      case 'acceptHandshake':
        this.accepted = true;
        this.expected.push({ kind: 'http', status: 101, deflate: this.deflateAgreed, ...(this.subprotocol ? { subprotocol: this.subprotocol } : {}) });
        this.dispatch(EVENT.CONNECTION_OPENED);
        return;
      case 'enablePerMessageDeflate':
        this.deflateAgreed = true;
        return;
      case 'rejectHandshake':
        // The refusal is written and the server ends TCP (RFC 6455 §4.2.2: "abort the handshake").
        this.expected.push({ kind: 'http', status: action.params.status, deflate: false }, { kind: 'fin' });
        this.serverEnded = true;
        return;
      case 'startReadingFrames':
        this.readingFrames = true;
        return;
      case 'stopReadingFrames':
        this.readingFrames = false;
        return;
      case 'beginTextMessage':
      case 'beginBinaryMessage':
      case 'beginCompressedTextMessage':
      case 'beginCompressedBinaryMessage':
        this.message = { text: action.type.includes('Text'), compressed: action.type.includes('Compressed'), plain: [] };
        return;
      case 'deliverTextMessage':
      case 'deliverBinaryMessage':
      case 'deliverCompressedTextMessage':
      case 'deliverCompressedBinaryMessage': {
        const data = Buffer.concat(this.message?.plain ?? []);
        const binary = action.type.includes('Binary');
        this.message = undefined;
        const failure = this.inflateFailure;
        if (failure !== undefined) {
          this.inflateFailure = undefined;
          this.dispatch(EVENT[failure]);
          return;
        }
        // The echo server sends every message back while the connection is open: a `send` the
        // connection machine decides (SEND_REQUESTED → sendMessage).
        if (this.stateOf('connection') === 'open') {
          this.echo = { kind: 'message', binary, data };
          this.dispatch(EVENT.SEND_REQUESTED);
        }
        return;
      }
      case 'sendMessage': {
        if (this.echo !== undefined) this.expectWrite(this.echo);
        this.echo = undefined;
        return;
      }
      case 'failConnection':
        this.failureCloseCode ??= ERROR_CLOSE_CODES[action.params.error];
        this.dispatch(EVENT.CONNECTION_FAILED);
        return;
      case 'sendPong':
        // §5.5.3: the Pong carries the Ping's application data.
        this.expectWrite({ kind: 'pong', data: this.controlPayload });
        return;
      case 'echoCloseFrame':
        this.expectWrite({ kind: 'close', code: this.closeCodeReceived });
        return;
      case 'sendCloseFrame':
        this.expectWrite({ kind: 'close', code: this.requestedCloseCode });
        return;
      case 'sendFailureCloseFrame':
        this.expectWrite({ kind: 'close', code: this.failureCloseCode });
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
        // For the application only, nothing on the wire: reportOpen, reportPing, reportPong,
        // reportFailure, reportClosed, recordCloseCode, refuseRequest, continueMessage; and the
        // application's Pings and Pongs (sendPing, sendUnsolicitedPong), which an echo server never sends.
        return;
    }
  }
}
