/**
 * The load client: one process, started by the orchestrator for each measurement (pinned to
 * a core the server does not use where `taskset` exists), that runs one job and reports what
 * it counted. The same client drives every server; a client row's job names the client library
 * to drive ws's echo server with instead.
 *
 * Conversation: job → (echo, churn) warm → go → result; (idle) open → stop.
 */
import type { ClientJob, ClientToOrchestrator, OrchestratorToClient } from './bench-messages.js';
import { runEchoLoad, UnsupportedWorkload, type EchoControl } from './echo-load.js';
import { openIdleConnections, runChurnLoad } from './connection-load.js';
import { runLibraryEchoLoad } from './library-echo-load.js';

/** Resolves once the message is handed to the channel, so that disconnecting cannot lose it. */
let lastSent: Promise<void> = Promise.resolve();

function tell(message: ClientToOrchestrator): void {
  lastSent = new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

function nextMessage(type: OrchestratorToClient['type']): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: OrchestratorToClient): void => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve();
    };
    process.on('message', listener);
  });
}

const control: EchoControl = {
  warm: () => {
    const go = nextMessage('go');
    tell({ type: 'warm' });
    return go;
  },
};

async function run(job: ClientJob): Promise<void> {
  switch (job.kind) {
    case 'echo': {
      const { result, closeAll } =
        job.library === undefined ? await runEchoLoad(job, control) : await runLibraryEchoLoad(job, job.library, control);
      if (job.holdOpen) {
        const stop = nextMessage('stop');
        tell({ type: 'result', result });
        await stop;
      } else tell({ type: 'result', result });
      closeAll();
      return;
    }
    case 'churn':
      tell({ type: 'result', result: await runChurnLoad(job, control) });
      return;
    case 'idle': {
      const idle = await openIdleConnections(job);
      // (the active connections keep sending until closeAll)
      const stop = nextMessage('stop');
      tell({ type: 'open', opened: idle.opened, failed: idle.failed, firstError: idle.firstError });
      await stop;
      idle.closeAll();
      return;
    }
  }
}

if (process.send === undefined) {
  console.error('load-client.js is started by run-bench.js (it needs the IPC channel)');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
process.once('message', (message: OrchestratorToClient) => {
  if (message.type !== 'job') return;
  run(message.job)
    .catch((error: unknown) => {
      if (error instanceof UnsupportedWorkload) tell({ type: 'unsupported', reason: error.message });
      else tell({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    })
    .finally(async () => {
      await lastSent;
      process.disconnect();
    });
});
