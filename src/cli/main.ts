#!/usr/bin/env node
/**
 * `statesocket serve [--port 9001] [--host 127.0.0.1]`: run the echo server until Ctrl-C,
 * then close every connection with 1001 and exit 0.
 */
import { parseArgs } from 'node:util';
import { startEchoServer } from '../echo-server.js';
import { defaultServerOptions } from '../server.js';

const USAGE = `usage: statesocket serve [--port N] [--host ADDRESS]`;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: String(defaultServerOptions.port) },
      host: { type: 'string', default: defaultServerOptions.host },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const echo = await startEchoServer({ port, host: values.host });
  console.log(`statesocket echo server listening on ${echo.url}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('closing every connection with 1001 (going away)');
    await echo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'serve' || command === undefined) await serve(rest);
  else {
    console.error(USAGE);
    process.exit(2);
  }
} catch (error) {
  console.error(`statesocket: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
