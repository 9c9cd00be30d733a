#!/usr/bin/env node
/**
 * `statesocket serve [--port 9001] [--host 127.0.0.1] [--inspect[=stately]] [--heartbeat-interval-ms 20000]`: run the echo server
 * until Ctrl-C, then close every connection with 1001 and exit 0. `--inspect` serves the live
 * inspector at /inspect on the same port; `--inspect=stately` also forwards to Stately's viewer.
 * `statesocket probe ws://host:port/path [options]`: run the paths generated from the machines
 * against any WebSocket echo server (src/probe/run-probe.ts); exit code 1 when a path fails.
 */
import { parseArgs } from 'node:util';
import { startEchoServer } from '../echo-server.js';
import { defaultServerOptions } from '../server.js';

const USAGE =
  'usage: statesocket serve [--port N] [--host ADDRESS] [--inspect[=stately]] [--heartbeat-interval-ms N (default 20000, 0: off)]\n' +
  '       statesocket probe ws://HOST:PORT/PATH [--close-timeout-ms N | --skip-close-timeout] [--concurrency N]\n' +
  '             [--quiet-ms N] [--step-timeout-ms N] [--seed N] [--machine ID] [--only PATH-ID-PREFIX] [--verbose]';

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    // A bare --inspect takes no value; parseArgs wants one for a string option.
    args: args.map((arg) => (arg === '--inspect' ? '--inspect=on' : arg)),
    options: {
      port: { type: 'string', default: String(defaultServerOptions.port) },
      host: { type: 'string', default: defaultServerOptions.host },
      inspect: { type: 'string' },
      'heartbeat-interval-ms': { type: 'string', default: '20000' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  if (values.inspect !== undefined && values.inspect !== 'on' && values.inspect !== 'stately') {
    throw new Error(`invalid --inspect=${values.inspect}`);
  }
  const inspect = values.inspect === undefined ? undefined : { stately: values.inspect === 'stately' };
  // Heartbeats are off in the API, on in the echo server (python-websockets' 20 s): half-open TCP is dropped.
  const heartbeatIntervalMs = Number(values['heartbeat-interval-ms']);
  if (!Number.isInteger(heartbeatIntervalMs) || heartbeatIntervalMs < 0) throw new Error(`invalid --heartbeat-interval-ms ${values['heartbeat-interval-ms']}`);
  const echo = await startEchoServer({ port, host: values.host, inspect, heartbeatIntervalMs });
  console.log(`statesocket echo server listening on ${echo.url}`);
  const httpUrl = echo.url.replace(/^ws:/, 'http:');
  if (inspect) console.log(`inspector: ${httpUrl}/inspect`);
  if (inspect?.stately) console.log(`Stately inspector (embeds Stately's online viewer): ${httpUrl}/inspect/stately`);
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
  else if (command === 'probe') {
    // Loaded only here: generating the paths is no business of `serve`.
    const { parseProbeArgs, runProbe } = await import('../probe/run-probe.js');
    const { url, options } = parseProbeArgs(rest);
    process.exit(await runProbe(url, options));
  } else {
    console.error(USAGE);
    process.exit(2);
  }
} catch (error) {
  console.error(`statesocket: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
