#!/usr/bin/env node
/**
 * `statesocket [serve] [--port 9001] [--host 127.0.0.1] [--no-deflate] [--tls-cert FILE --tls-key FILE]
 * [--heartbeat-interval-ms 20000] [--inspect[=stately]]`: run the echo server until Ctrl-C, then close
 * every connection with 1001 and exit 0. A port or host it cannot listen on: one line on stderr, exit 1.
 * `statesocket probe ws://host:port/path [options]`: run the paths generated from the machines
 * against any WebSocket echo server (src/probe/run-probe.ts); exit code 1 when a path fails.
 * `statesocket connect ws://host:port/path [options]`: a command-line client, stdin lines out,
 * messages in (src/cli/connect.ts, which lists its exit codes).
 * `--help`: this usage on stdout, exit 0. A bad argument: the problem and the usage on stderr, exit 2.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEchoServer, type EchoServerOptions } from '../echo-server.js';

const USAGE =
  'usage: statesocket [serve] [--port N] [--host ADDRESS] [--no-deflate] [--tls-cert FILE --tls-key FILE]\n' +
  '             [--heartbeat-interval-ms N] [--inspect[=stately]]\n' +
  '       statesocket probe ws://HOST:PORT/PATH [--close-timeout-ms N | --skip-close-timeout] [--concurrency N]\n' +
  '             [--quiet-ms N] [--step-timeout-ms N] [--seed N] [--machine ID] [--only PATH-ID-PREFIX] [--verbose]\n' +
  '       statesocket connect ws://HOST:PORT/PATH [--subprotocol P]... [--header "Name: value"]... [--no-deflate]\n' +
  '             [--binary] [--inspect[=PORT]] [--origin O] [--ca FILE] [--insecure]\n' +
  '       statesocket --help\n' +
  '\n' +
  'serve: an echo server (every message comes back as sent) on ws://127.0.0.1:9001 by default.\n' +
  '  --port N           listen on port N (0: a free port)\n' +
  '  --host ADDRESS     listen on ADDRESS (default 127.0.0.1)\n' +
  '  --no-deflate       never agree to permessage-deflate (on by default for the echo server)\n' +
  '  --tls-cert FILE    serve wss:// with this PEM certificate (needs --tls-key)\n' +
  '  --tls-key FILE     the PEM private key of --tls-cert\n' +
  '  --heartbeat-interval-ms N  ping a connection silent for N ms, fail it with 1011 when no Pong follows (default 20000, 0: off)\n' +
  '  --inspect          serve the live inspector at /inspect; =stately also forwards to Stately\'s viewer\n' +
  'probe: run the paths generated from the machines against a WebSocket echo server.\n' +
  'connect: send each stdin line as a text message, print each message that arrives (binary: <binary N bytes> HEX);\n' +
  '  end of stdin closes with 1000. Status goes to stderr.\n' +
  '  --subprotocol P    offer subprotocol P (repeatable, in order of preference)\n' +
  '  --header "N: v"    add a request header (repeatable)\n' +
  '  --no-deflate       do not offer permessage-deflate\n' +
  '  --binary           send each line as a binary message\n' +
  '  --inspect[=PORT]   serve the live inspector for this connection on 127.0.0.1 (any free port by default)\n' +
  '  --origin O         send Origin: O\n' +
  '  --ca FILE          trust these PEM certificates for wss://; --insecure: accept any certificate\n' +
  '  exit codes: 0 closed normally (1000, 1001, no code); 1 cannot connect or connection lost (1006);\n' +
  '              2 usage; 3 handshake refused (HTTP status printed); 4 failed (protocol error or other close code)';

/** A command-line mistake: reported with the usage, exit 2. */
class UsageError extends Error {}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    // A bare --inspect takes no value; parseArgs wants one for a string option.
    args: args.map((arg) => (arg === '--inspect' ? '--inspect=on' : arg)),
    options: {
      port: { type: 'string', default: '9001' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-deflate': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      inspect: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      'heartbeat-interval-ms': { type: 'string', default: '20000' },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`invalid --port "${values.port}"`);
  const port = Number(values.port);
  if (values.host === '') throw new UsageError('invalid --host ""');
  if (values.inspect !== undefined && values.inspect !== 'on' && values.inspect !== 'stately') {
    throw new UsageError(`invalid --inspect=${values.inspect}`);
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  // Heartbeats are off in the API, on in the echo server (python-websockets' 20 s): half-open TCP is dropped.
  if (!/^\d+$/.test(values['heartbeat-interval-ms'])) {
    throw new UsageError(`invalid --heartbeat-interval-ms "${values['heartbeat-interval-ms']}"`);
  }
  const heartbeatIntervalMs = Number(values['heartbeat-interval-ms']);
  const options: EchoServerOptions = { port, host: values.host, heartbeatIntervalMs };
  if (values['no-deflate']) options.perMessageDeflate = false;
  if (values.inspect !== undefined) options.inspect = { stately: values.inspect === 'stately' };
  if (values['tls-cert'] !== undefined) {
    const read = (flag: 'tls-cert' | 'tls-key') => {
      try {
        return readFileSync(values[flag]!);
      } catch (error) {
        throw new UsageError(`cannot read --${flag} ${values[flag]}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    };
    options.tls = { cert: read('tls-cert'), key: read('tls-key') };
  }
  let echo;
  try {
    echo = await startEchoServer(options);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    console.error(`statesocket: cannot listen on ${values.host}:${port}: ${code ?? message}${code === 'EADDRINUSE' ? ' (the port is in use)' : ''}`);
    process.exit(1);
  }
  console.log(`statesocket echo server listening on ${echo.url}${options.perMessageDeflate === false ? '' : ' (permessage-deflate on)'}`);
  const httpUrl = echo.url.replace(/^ws/, 'http');
  if (options.inspect) console.log(`inspector: ${httpUrl}/inspect`);
  if (values.inspect === 'stately') console.log(`Stately inspector (embeds Stately's online viewer): ${httpUrl}/inspect/stately`);
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
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
  } else if (command === 'serve') await serve(rest);
  else if (command === undefined || command.startsWith('-')) await serve(process.argv.slice(2));
  else if (command === 'probe') {
    // Loaded only here: generating the paths is no business of `serve`.
    const { parseProbeArgs, runProbe } = await import('../probe/run-probe.js');
    const { url, options } = parseProbeArgs(rest);
    process.exit(await runProbe(url, options));
  } else if (command === 'connect') {
    const { parseConnectArgs } = await import('./connect-args.js');
    const args = parseConnectArgs(rest);
    const { runConnect } = await import('./connect.js');
    process.exit(await runConnect(args));
  } else {
    throw new UsageError(`unknown command "${command}"`);
  }
} catch (error) {
  console.error(`statesocket: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
