/**
 * What the inspector keeps about one connection: the current state of each machine, counters,
 * and the last N events (transitions, frame summaries, the close) in a ring buffer.
 *
 * Recording is the only work done per transition and per frame while the inspector is on, so it
 * allocates nothing (but the handshake's detail, once per connection): the ring's slots are
 * objects made as the ring first fills and overwritten as it wraps; a transition is kept as a
 * reference to the shared CompiledTransition and the event's fields as numbers. (Entries made as
 * new objects would live for a whole ring, long enough to be promoted to the old generation: with
 * hundreds of busy connections, a steady stream of old-generation garbage.) Formatting and JSON
 * happen at flush time, only for the connection a page has selected.
 *
 * Frames come from the core's frame hook, which reports headers only; a Close frame's row also
 * gets its status code, from the transition that read it or wrote it.
 *
 * A connection the server fails keeps the close code and error code of its first failing
 * transition, read from the action params that name them (`failConnection(error, closeCode)`), so
 * that the page lists it as `1007 invalid UTF-8` rather than as the 1006 the application is told.
 */
import type { MachineAction, ProtocolTransition } from '../protocol-machines.js';
import { compiledMachines, MachineSlot, type MachineId } from '../protocol-machines.js';
import { failureCause, failureParams, type FailureParams } from '../diagrams/failure-cause.js';
import { formatAction } from '../diagrams/machine-graph.js';
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import { eventDetail, type EventDetail, type FrameDirection } from './inspection-hooks.js';
import type { CompressionSummary, ConnectionSummary, InspectionEntry } from './inspector-messages.js';
import type { PerMessageDeflateCodec } from '../permessage-deflate/zlib-codec.js';

const OPCODE_CLOSE = 0x8;

const enum Kind {
  Transition,
  Frame,
  Closed,
}

/** A number not known or not there (a Close without a code). */
const UNKNOWN = -1;

/** One entry of the ring, overwritten when the ring wraps. Which fields mean what depends on `kind`. */
class Slot {
  kind = Kind.Transition;
  seq = 0;
  time = 0;
  transition: ProtocolTransition | undefined = undefined;
  /** FIN and RSV1 of a frame or a data-frame event: 1, 0 or UNKNOWN. */
  fin = UNKNOWN;
  rsv1 = UNKNOWN;
  /** Frame: the opcode. */
  opcode = 0;
  /** Frame: the payload length; CLOSE_FRAME: the body's length. */
  length = UNKNOWN;
  /** A close code: of a Close frame, of the close, or of CLOSE_FRAME, CLOSE_REQUESTED. */
  code = UNKNOWN;
  /** CLOSE_FRAME: reasonIsUtf8. */
  reasonIsUtf8 = false;
  outbound = false;
  /** What is not a number: a handshake's detail (once per connection), the close reason. */
  extra: EventDetail | string | undefined = undefined;
}

/** Keep the fields `eventDetail` shows, without allocating for the events that come per frame. */
function copyEventFields(slot: Slot, event: ProtocolEvent): void {
  slot.fin = slot.rsv1 = slot.length = slot.code = UNKNOWN;
  slot.reasonIsUtf8 = false;
  slot.extra = undefined;
  switch (event.type) {
    case 'TEXT_FRAME':
    case 'BINARY_FRAME':
    case 'CONTINUATION_FRAME':
      slot.fin = event.fin ? 1 : 0;
      slot.rsv1 = event.rsv1 ? 1 : 0;
      return;
    case 'CLOSE_FRAME':
      slot.length = event.payloadLength;
      slot.code = event.code;
      slot.reasonIsUtf8 = event.reasonIsUtf8;
      return;
    case 'CLOSE_REQUESTED':
      slot.code = event.code;
      return;
    default:
      slot.extra = eventDetail(event);
  }
}

/** The inverse of `copyEventFields`: what `eventDetail` gave for the event. */
function detailOf(slot: Slot): EventDetail | undefined {
  switch (slot.transition!.eventType) {
    case 'TEXT_FRAME':
    case 'BINARY_FRAME':
    case 'CONTINUATION_FRAME':
      return { fin: slot.fin === 1, rsv1: slot.rsv1 === 1 };
    case 'CLOSE_FRAME':
      return { payloadLength: slot.length, code: slot.code, reasonIsUtf8: slot.reasonIsUtf8 };
    case 'CLOSE_REQUESTED':
      return { code: slot.code };
    default:
      return slot.extra as EventDetail | undefined;
  }
}

const actionLabels = new WeakMap<ProtocolTransition, readonly string[]>();

function labelsOf(transition: ProtocolTransition): readonly string[] {
  let labels = actionLabels.get(transition);
  if (labels === undefined) actionLabels.set(transition, (labels = transition.actions.map(formatAction)));
  return labels;
}

const failures = new WeakMap<ProtocolTransition, FailureParams | null>();

/**
 * What a transition says about failing the connection: the error code and close code in the
 * params of its first action that names either (`failConnection(error: 'WS_ERR_INVALID_UTF8',
 * closeCode: 1007)`); null when none does. Worked out once per compiled transition.
 */
function failureOf(transition: ProtocolTransition): FailureParams | null {
  let failure = failures.get(transition);
  if (failure === undefined) {
    failure = null;
    for (const action of transition.actions) {
      const found = failureParams(action.params);
      if (found.error !== undefined || found.closeCode !== undefined) {
        failure = found;
        break;
      }
    }
    failures.set(transition, failure);
  }
  return failure;
}

/** The code of the Close frame an action writes (`failureCode`: the code the first failure named). */
function closeCodeSent(action: MachineAction, event: ProtocolEvent, failureCode: number): number {
  // §5.5.1: the echo carries the code received, if the Close had one.
  if (action.type === 'echoCloseFrame') return event.type === 'CLOSE_FRAME' && event.payloadLength >= 2 ? event.code : UNKNOWN;
  if (action.type === 'sendFailureCloseFrame') return failureCode;
  if (event.type === 'CLOSE_REQUESTED') return event.code;
  return UNKNOWN;
}

const known = (value: number): number | undefined => (value === UNKNOWN ? undefined : value);

export class ConnectionRecord {
  /** The current state path of each machine, by MachineSlot. */
  readonly states: [string, string, string];
  closedAt: number | undefined;
  closeCode: number | undefined;
  closeReason: string | undefined;
  refusedStatus: number | undefined;
  /** The close code the server failed the connection with (§7.1.7), and the error code, when known. */
  failureCloseCode: number | undefined;
  failureError: string | undefined;
  transitions = 0;
  messagesIn = 0;
  framesIn = 0;
  framesOut = 0;
  /** Entries ever recorded; entry n (1-based) is in slot (n - 1) % capacity. */
  private seq = 0;
  /** Grows to `capacity` as the first entries come, then is reused. */
  private readonly slots: Slot[] = [];
  /** The seq of the last Close frame read: its code comes with the CLOSE_FRAME event, after the header. */
  private closeFrameInSeq = 0;
  /** The code of the Close frame an action is about to write: the frame hook comes after the transition. */
  private closeCodeOut = UNKNOWN;
  /** The connection's permessage-deflate codec, once agreed (set by the feed). */
  compressor: (() => PerMessageDeflateCodec | undefined) | undefined = undefined;

  constructor(
    readonly id: number,
    readonly path: string,
    readonly remoteAddress: string,
    readonly openedAt: number,
    private readonly capacity: number,
    /** Which side of the connection statesocket is: the server's connections, or a client. */
    readonly role: 'server' | 'client' = 'server',
  ) {
    this.states = compiledMachines.map((machine) => machine.states[machine.initialState]!) as [string, string, string];
  }

  /** The seq of the newest entry (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** A transition one of the machines took, and the event it took it on. */
  recordTransition(transition: ProtocolTransition, event: ProtocolEvent, time: number): void {
    this.states[MachineSlot[transition.machineId as MachineId]] = transition.target;
    this.transitions++;
    if (this.failureError === undefined) this.recordFailure(transition);
    const slot = this.nextSlot(Kind.Transition, time);
    slot.transition = transition;
    copyEventFields(slot, event);
    if (event.type === 'CLOSE_FRAME') {
      const frame = this.slots[(this.closeFrameInSeq - 1) % this.capacity];
      if (frame?.seq === this.closeFrameInSeq) frame.code = event.payloadLength >= 2 ? event.code : UNKNOWN;
    }
    const actions = transition.actions;
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      switch (action.type) {
        case 'deliverTextMessage':
        case 'deliverBinaryMessage':
        case 'deliverCompressedTextMessage':
        case 'deliverCompressedBinaryMessage':
          this.messagesIn++;
          break;
        case 'rejectHandshake':
          this.refusedStatus = action.params.status;
          break;
        case 'echoCloseFrame':
        case 'sendCloseFrame':
        case 'sendFailureCloseFrame':
          this.closeCodeOut = closeCodeSent(action, event, this.failureCloseCode ?? UNKNOWN);
          break;
      }
    }
    if (transition.machineId === 'connection' && transition.target === 'closed') this.closedAt = time;
  }

  /**
   * The first failure wins its close code (the Close `sendFailureCloseFrame` writes); a later
   * transition on the same failure may still name the error code.
   */
  private recordFailure(transition: ProtocolTransition): void {
    const failure = failureOf(transition);
    if (failure === null) return;
    this.failureCloseCode ??= failure.closeCode;
    if (failure.error !== undefined && (failure.closeCode === undefined || failure.closeCode === this.failureCloseCode)) {
      this.failureError = failure.error;
    }
  }

  /** A frame header the core read or wrote. */
  recordFrame(direction: FrameDirection, opcode: number, length: number, fin: boolean, rsv1: boolean, time: number): void {
    const outbound = direction === 'out';
    if (outbound) this.framesOut++;
    else this.framesIn++;
    const slot = this.nextSlot(Kind.Frame, time);
    slot.outbound = outbound;
    slot.opcode = opcode;
    slot.length = length;
    slot.fin = fin ? 1 : 0;
    slot.rsv1 = rsv1 ? 1 : 0;
    slot.code = UNKNOWN;
    if (opcode !== OPCODE_CLOSE) return;
    if (!outbound) this.closeFrameInSeq = slot.seq;
    else {
      slot.code = this.closeCodeOut;
      this.closeCodeOut = UNKNOWN;
    }
  }

  /** The connection reported itself closed with §7.1.5's close code and reason. */
  recordClosed(code: number, reason: string, time: number): void {
    this.closeCode = code;
    this.closeReason = reason;
    const slot = this.nextSlot(Kind.Closed, time);
    slot.code = code;
    slot.extra = reason;
  }

  summary(): ConnectionSummary {
    return {
      id: this.id,
      path: this.path,
      role: this.role,
      remoteAddress: this.remoteAddress,
      openedAt: this.openedAt,
      closedAt: this.closedAt,
      states: [...this.states],
      transitions: this.transitions,
      messagesIn: this.messagesIn,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      closeCode: this.closeCode,
      closeReason: this.closeReason,
      refusedStatus: this.refusedStatus,
      failure:
        this.failureCloseCode === undefined && this.failureError === undefined
          ? undefined
          : {
              closeCode: this.failureCloseCode,
              error: this.failureError,
              cause: this.failureError === undefined ? undefined : failureCause(this.failureError),
            },
      compression: compressionSummary(this.compressor?.()),
    };
  }

  /** The entries after `seq` that are still kept, oldest first, and how many are no longer kept. */
  entriesSince(seq: number): { entries: InspectionEntry[]; dropped: number } {
    const first = Math.max(seq + 1, this.seq - this.capacity + 1);
    const entries: InspectionEntry[] = [];
    for (let n = first; n <= this.seq; n++) entries.push(toEntry(this.slots[(n - 1) % this.capacity]!));
    return { entries, dropped: first - (seq + 1) };
  }

  private nextSlot(kind: Kind, time: number): Slot {
    const seq = ++this.seq;
    const index = (seq - 1) % this.capacity;
    let slot = this.slots[index];
    if (slot === undefined) this.slots.push((slot = new Slot()));
    slot.kind = kind;
    slot.seq = seq;
    slot.time = time;
    return slot;
  }
}

function compressionSummary(codec: PerMessageDeflateCodec | undefined): CompressionSummary | undefined {
  if (codec === undefined) return undefined;
  const { inflatedFrom, inflatedTo, deflatedFrom, deflatedTo } = codec.counts;
  return {
    parameters: codec.agreed.response,
    inflatedFrom,
    inflatedTo,
    deflatedFrom,
    deflatedTo,
    bytesSaved: inflatedTo - inflatedFrom + deflatedFrom - deflatedTo,
    holdsDeflateContext: codec.holdsDeflateContext,
    peerWindowBytes: codec.peerWindow?.length ?? 0,
  };
}

/** A slot as the page reads it. */
function toEntry(slot: Slot): InspectionEntry {
  const { seq, time } = slot;
  switch (slot.kind) {
    case Kind.Transition: {
      const transition = slot.transition!;
      return {
        kind: 'transition',
        seq,
        time,
        machine: transition.machineId,
        event: transition.eventType,
        source: transition.source,
        target: transition.target,
        actions: labelsOf(transition),
        detail: detailOf(slot),
      };
    }
    case Kind.Frame:
      return {
        kind: 'frame',
        seq,
        time,
        direction: slot.outbound ? 'out' : 'in',
        opcode: slot.opcode,
        length: slot.length,
        fin: slot.fin === 1,
        rsv1: slot.rsv1 === 1,
        closeCode: known(slot.code),
      };
    case Kind.Closed:
      return { kind: 'closed', seq, time, code: slot.code, reason: slot.extra as string };
  }
}
