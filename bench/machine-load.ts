/**
 * How busy the whole machine was during a measurement, from /proc/stat: the CPU time used
 * beside the server and the load client (other processes) and the share the hypervisor
 * took (steal). A measurement next to other work is noisier, and the report says so.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface MachineCpu {
  /** Seconds of CPU time all cores spent busy (user, nice, system, irq, softirq). */
  busySeconds: number;
  stealSeconds: number;
  totalSeconds: number;
}

const ticksPerSecond = ((): number => {
  const output = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim();
  return Number(output) || 100;
})();

/** The machine's CPU time counters; undefined where /proc/stat does not exist. */
export function readMachineCpu(): MachineCpu | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'latin1');
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const fields = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq;
  return {
    busySeconds: busy / ticksPerSecond,
    stealSeconds: steal / ticksPerSecond,
    totalSeconds: (busy + idle + iowait + steal) / ticksPerSecond,
  };
}

export interface MachineLoad {
  /** Cores' worth of CPU used by anything but the server and the client, on average. */
  otherCores: number;
  /** Share of all CPU time the hypervisor took. */
  stealShare: number;
}

/** What else ran between two readings, given the server's and client's own CPU seconds. */
export function machineLoadBetween(
  before: MachineCpu | undefined,
  after: MachineCpu | undefined,
  ownCpuSeconds: number,
  wallSeconds: number,
): MachineLoad | undefined {
  if (before === undefined || after === undefined || wallSeconds <= 0) return undefined;
  const total = after.totalSeconds - before.totalSeconds;
  return {
    otherCores: Math.max(0, after.busySeconds - before.busySeconds - ownCpuSeconds) / wallSeconds,
    stealShare: total > 0 ? (after.stealSeconds - before.stealSeconds) / total : 0,
  };
}
