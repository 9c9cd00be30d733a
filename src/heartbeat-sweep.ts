/**
 * The heartbeat's one timer: a single interval per server sweeps every open connection, instead
 * of a `setTimeout` per connection (10,000 idle connections hold 10,000 flag fields, not 10,000
 * timers). Like the close timer it lives in the I/O layer; the machines decide what a tick means
 * (machines/closing-handshake.machine.ts: HEARTBEAT_DUE sends a Ping and asks for a pong deadline,
 * PONG_TIMEOUT fails the connection with 1011 and drops TCP).
 *
 * Each tick, for each connection:
 * - a byte arrived from the peer since the last tick (a Pong or anything else): it is alive —
 *   clear the marks;
 * - a pong deadline was asked for at the last tick and nothing arrived since: PONG_TIMEOUT;
 * - otherwise it was idle for a whole interval: HEARTBEAT_DUE.
 *
 * So an idle connection is pinged between one and two intervals after its last byte, and failed
 * one interval after the Ping (python-websockets: ping every 20 s, 20 s to answer).
 */

/** The marks the I/O layer sets on a connection, read and cleared by the sweep. */
export const HeartbeatMark = {
  /** A byte arrived from the peer since the last tick. */
  peerActive: 1,
  /** The machines asked for a pong deadline (`startPongDeadline`) at the last tick. */
  awaitingPong: 2,
} as const;

/** What the sweep needs of a connection. */
export interface HeartbeatTarget {
  /** HeartbeatMark bits. */
  heartbeatMarks: number;
  heartbeatDue(): void;
  pongTimeout(): void;
}

export class HeartbeatSweep {
  readonly #targets = new Set<HeartbeatTarget>();
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs: number) {
    if (!Number.isInteger(intervalMs) || intervalMs <= 0) throw new RangeError('heartbeatIntervalMs must be a positive integer');
  }

  /** Connections swept now. */
  get size(): number {
    return this.#targets.size;
  }

  /** Sweep this connection from now on (it has just opened). */
  add(target: HeartbeatTarget): void {
    target.heartbeatMarks = 0;
    this.#targets.add(target);
    if (this.#timer === undefined) {
      this.#timer = setInterval(sweep, this.intervalMs, this);
      // The heartbeat never keeps a process alive by itself.
      this.#timer.unref();
    }
  }

  /** The connection is closed. The interval stops with the last one. */
  delete(target: HeartbeatTarget): void {
    this.#targets.delete(target);
    if (this.#targets.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** @internal One tick. */
  tick(): void {
    for (const target of this.#targets) {
      const marks = target.heartbeatMarks;
      if ((marks & HeartbeatMark.peerActive) !== 0) target.heartbeatMarks = 0;
      else if ((marks & HeartbeatMark.awaitingPong) !== 0) {
        target.heartbeatMarks = 0;
        target.pongTimeout();
      } else target.heartbeatDue();
    }
  }
}

function sweep(heartbeat: HeartbeatSweep): void {
  heartbeat.tick();
}
