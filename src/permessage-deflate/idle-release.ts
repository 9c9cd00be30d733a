/**
 * Letting go of compression state once a connection goes quiet, with one timer per process.
 *
 * RFC 7692 §7.1.1.1: without server_no_context_takeover the server "MAY" use context takeover,
 * so it may drop its compressor's history whenever it likes and start the next message afresh.
 * A connection that has been quiet for the idle time therefore gives back its deflate context
 * (about 260 KiB of zlib memory at windowBits 15, memLevel 8) and trims its copy of the peer's
 * window (peer-window.ts) to the octets it holds.
 *
 * Timers must scale to tens of thousands of connections: instead of a timer per connection,
 * one unref'd interval per idle time walks the set of connections used recently. Each use
 * stamps the connection with the current tick (no clock read); a sweep every half idle time
 * releases those not stamped in the last two ticks, so a connection is released between one
 * and one and a half idle times after its last message. The interval runs only while the set
 * is not empty, so an idle server has no timer at all.
 */

/** What the sweep releases: a connection's compressor. */
export interface IdleReleasable {
  /** The sweep's tick at the compressor's last use; set by `IdleSweep.touch`. */
  idleTick: number;
  /** Whether it is in the sweep's set; set by `IdleSweep`. */
  swept: boolean;
  /** It has been idle for the idle time: give back what can be rebuilt. */
  releaseIdle(): void;
}

export class IdleSweep {
  private tick = 0;
  private readonly members = new Set<IdleReleasable>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly idleMs: number) {}

  /** The compressor was used now. */
  touch(member: IdleReleasable): void {
    member.idleTick = this.tick;
    if (member.swept) return;
    member.swept = true;
    this.members.add(member);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), Math.max(1, Math.ceil(this.idleMs / 2)));
      this.timer.unref();
    }
  }

  /** The compressor is closed: forget it. */
  remove(member: IdleReleasable): void {
    if (!member.swept) return;
    member.swept = false;
    this.members.delete(member);
    this.stopWhenEmpty();
  }

  /** Compressors used recently (for the tests and the inspector). */
  get size(): number {
    return this.members.size;
  }

  /** One pass: release what was not used during the last two ticks. Public for the tests. */
  sweep(): void {
    for (const member of this.members) {
      if (member.idleTick >= this.tick - 1) continue;
      this.members.delete(member);
      member.swept = false;
      member.releaseIdle();
    }
    this.tick++;
    this.stopWhenEmpty();
  }

  private stopWhenEmpty(): void {
    if (this.members.size > 0 || this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** One sweep per idle time in the process (servers with the same setting share it). */
const sweeps = new Map<number, IdleSweep>();

export function idleSweep(idleMs: number): IdleSweep {
  let sweep = sweeps.get(idleMs);
  if (sweep === undefined) sweeps.set(idleMs, (sweep = new IdleSweep(idleMs)));
  return sweep;
}
