/**
 * The part every benchmarked server shares: it answers the orchestrator's requests over IPC
 * about this process's CPU time, memory and open connections, and exits when told to (or
 * when the orchestrator goes away).
 *
 * CPU time comes from `process.cpuUsage()` of this very process, so it counts every thread
 * (the main thread, V8's GC helpers, libuv's pool where zlib runs) and nothing of the client.
 */
import type { ServerReply, ServerRequest } from '../bench-messages.js';

export interface BenchServer {
  port: number;
  description: string;
  warnings: string[];
  /** WebSocket connections (or, for the raw echo, TCP connections) currently open. */
  connectionCount(): number;
}

function reply(message: ServerReply): void {
  process.send?.(message);
}

/** A full collection; several passes, with turns of the event loop between, let finalizers run. */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the server must run with --expose-gc');
  for (let pass = 0; pass < 4; pass++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function answer(server: BenchServer, request: ServerRequest): Promise<void> {
  switch (request.type) {
    case 'cpu': {
      const usage = process.cpuUsage();
      reply({ type: 'cpu', userMicros: usage.user, systemMicros: usage.system });
      return;
    }
    case 'memory': {
      if (request.gc) await collectGarbage();
      const memory = process.memoryUsage();
      reply({
        type: 'memory',
        heapUsed: memory.heapUsed,
        rss: memory.rss,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
        maxRss: process.resourceUsage().maxRSS * 1024,
      });
      return;
    }
    case 'connections':
      reply({ type: 'connections', count: server.connectionCount() });
      return;
    case 'stop':
      process.exit(0);
  }
}

/** Report `ready` to the orchestrator and serve its requests until it stops this process. */
export function serveOrchestrator(server: BenchServer): void {
  if (process.send === undefined) {
    console.log(`${server.description} listening on 127.0.0.1:${server.port} (no orchestrator: Ctrl-C to stop)`);
    for (const warning of server.warnings) console.log(`warning: ${warning}`);
    return;
  }
  process.on('message', (request: ServerRequest) => {
    answer(server, request).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
  process.on('disconnect', () => {
    console.error('the orchestrator closed the IPC channel: exiting');
    process.exit(0);
  });
  process.on('exit', (code) => {
    if (code !== 0) console.error(`server exiting with code ${code}`);
  });
  reply({ type: 'ready', port: server.port, description: server.description, warnings: server.warnings });
}
