/**
 * Child processes of the benchmark: a Node script with an IPC channel, started through
 * `sh -c 'ulimit -n …; exec taskset -c CORE node …'` so that it gets the file-descriptor limit
 * it needs and runs on its own core (where `taskset` and a second core exist).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  /** Whether processes are pinned at all. */
  enabled: boolean;
  serverCore: number;
  clientCore: number;
  /** Why not, when not. */
  reason: string;
}

/** Server on core 0, clients on core 1, when taskset exists and there are two cores. */
export function choosePinning(): Pinning {
  const cores = availableParallelism();
  if (cores < 2) return { enabled: false, serverCore: 0, clientCore: 0, reason: `only ${cores} core` };
  const taskset = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  if (taskset.error !== undefined || taskset.status !== 0) {
    return { enabled: false, serverCore: 0, clientCore: 1, reason: 'taskset is not available' };
  }
  return { enabled: true, serverCore: 0, clientCore: 1, reason: '' };
}

/** The open-file limit a child can be given: the hard limit (what `ulimit -n` may raise to). */
export function fileDescriptorLimit(): { soft: number; hard: number } {
  const read = (flag: string): number => {
    const output = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
    return output === 'unlimited' ? 1_048_576 : Number(output) || 1024;
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

export interface BenchProcessOptions {
  script: string;
  args?: string[];
  nodeFlags?: string[];
  /** Pin to this core (null: do not pin). */
  core: number | null;
  fileDescriptors: number;
  env?: NodeJS.ProcessEnv;
}

const running = new Set<BenchProcess>();

/** Kills every child still running (at exit, on Ctrl-C). */
export function killAllBenchProcesses(): void {
  for (const child of running) child.kill();
}

/** A child process and the messages it sent that nobody has taken yet. */
export class BenchProcess<Incoming extends { type: string } = { type: string }, Outgoing = unknown> {
  private readonly child: ChildProcess;
  private readonly queue: Incoming[] = [];
  private waiter: (() => void) | undefined;
  private exited: string | undefined;
  private stderrTail = '';

  constructor(readonly name: string, options: BenchProcessOptions) {
    const command = [process.execPath, ...(options.nodeFlags ?? []), options.script, ...(options.args ?? [])];
    if (options.core !== null) command.unshift('taskset', '-c', String(options.core));
    this.child = spawn(
      'sh',
      ['-c', 'ulimit -n "$1" 2>/dev/null; shift; exec "$@"', 'sh', String(options.fileDescriptors), ...command],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: options.env ?? process.env },
    );
    running.add(this);
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
    });
    this.child.on('message', (message: Incoming) => {
      this.queue.push(message);
      this.waiter?.();
    });
    this.child.on('exit', (code, signal) => {
      running.delete(this);
      this.exited = `${this.name} exited (${signal ?? `code ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`;
      this.waiter?.();
    });
    this.child.on('error', (error) => {
      this.exited = `${this.name} could not start: ${error.message}`;
      this.waiter?.();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: Outgoing): void {
    if (this.child.connected) this.child.send(message as object);
  }

  /** The next message of one of `types` (others stay queued); rejects on exit or after `timeoutMs`. */
  async next<T extends Incoming['type']>(types: readonly T[], timeoutMs: number): Promise<Extract<Incoming, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.queue.findIndex((message) => (types as readonly string[]).includes(message.type));
      if (index >= 0) return this.queue.splice(index, 1)[0] as Extract<Incoming, { type: T }>;
      if (this.exited !== undefined) throw new Error(this.exited);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${types.join('/')} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Ends the process (its process group is its own `sh` → `exec` chain: one pid). */
  kill(): void {
    if (this.exited === undefined) this.child.kill('SIGKILL');
  }

  /** Resolves when the process has exited (after kill() or on its own). */
  async exit(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.exited === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
