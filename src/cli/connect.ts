/**
 * `statesocket connect ws://host:port/path`: a command-line client, as people use wscat or
 * websocat, on statesocket's own client. Each stdin line goes out as a text message (`--binary`:
 * a binary one); each message that arrives is printed on stdout, text as it is, binary as
 * `<binary N bytes> 68656c6c6f` (hex of the first 1,024 bytes, `…` after). What happens to the
 * connection is told on stderr, so stdout carries only the messages. End of stdin closes with
 * 1000 and waits for the server's Close.
 *
 * Exit codes (CONNECT_EXIT): 0 after a closing handshake with 1000, 1001 or no code; 1 when the
 * connection could not be made or was lost without a closing handshake (ECONNREFUSED, a DNS or
 * TLS error, 1006); 3 when the server refused the opening handshake (its HTTP status is
 * printed); 4 when the connection failed (a protocol error found by the client, or a close with
 * another code, which is printed); 2, a usage error, is main.ts's.
 */
import { createInterface } from 'node:readline';
import type { IncomingMessage } from 'node:http';
import { CloseCode } from '../close-code.js';
import { WebSocket, type ClientOptions } from '../index.js';
import type { ConnectArgs } from './connect-args.js';
import { serveClientInspector, type ClientInspector } from './client-inspector.js';

export const CONNECT_EXIT = {
  closed: 0,
  connectionError: 1,
  refused: 3,
  failed: 4,
} as const;

/** No answer to the opening handshake within this long: exit 1, as for a connection that cannot be made. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Binary messages are printed as hex up to this many bytes. */
const HEX_LIMIT = 1024;

export interface ConnectOutput {
  /** A message, as printed on stdout (without the newline). */
  message: (line: string) => void;
  /** What happens to the connection, on stderr. */
  status: (line: string) => void;
}

const processOutput: ConnectOutput = {
  message: (line) => process.stdout.write(`${line}\n`),
  status: (line) => process.stderr.write(`${line}\n`),
};

/** How a message that arrived is printed. */
export function printedMessage(data: Buffer, isBinary: boolean): string {
  if (!isBinary) return data.toString('utf8');
  const hex = data.subarray(0, HEX_LIMIT).toString('hex');
  return `<binary ${data.length} bytes>${data.length > 0 ? ` ${hex}` : ''}${data.length > HEX_LIMIT ? '…' : ''}`;
}

/** `1002 (protocol error)`, from CloseCode's names. */
function closeCodeName(code: number): string | undefined {
  const name = Object.entries(CloseCode).find(([, value]) => value === code)?.[0];
  return name?.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

function describeClose(code: number, reason: Buffer): string {
  const name = closeCodeName(code);
  return `${code}${name === undefined ? '' : ` (${name})`}${reason.length > 0 ? ` "${reason.toString('utf8')}"` : ''}`;
}

type ClientError = Error & { code?: string; syscall?: string; cause?: unknown };

/**
 * For an error that means the connection could not be made or was lost, a few words for it
 * (`ECONNREFUSED`); undefined for a protocol failure. The client reports the system error
 * (ECONNREFUSED, ENOTFOUND, a TLS error …) as the cause of WS_ERR_CONNECTION_FAILED; ws reports it
 * as it is.
 */
function connectionErrorText(error: ClientError): string | undefined {
  if (error.code === 'WS_ERR_HANDSHAKE_TIMEOUT') return 'no answer to the opening handshake in time';
  const cause = (error.code === 'WS_ERR_CONNECTION_FAILED' && error.cause instanceof Error ? error.cause : error) as ClientError;
  if (cause.syscall !== undefined || (cause.code !== undefined && !cause.code.startsWith('WS_ERR_'))) return cause.code ?? cause.message;
  return error.code === 'WS_ERR_CONNECTION_FAILED' ? error.message : undefined;
}

/** Reads what a refusing server says about it, a little, for one line. */
function readRefusalBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    const done = (): void => resolve(body.replace(/\s+/g, ' ').trim().slice(0, 200));
    const timer = setTimeout(done, 1000);
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 200) response.destroy();
    });
    response.on('end', () => (clearTimeout(timer), done()));
    response.on('close', () => (clearTimeout(timer), done()));
    response.on('error', () => (clearTimeout(timer), done()));
  });
}

/**
 * Connects, relays stdin and messages until the connection ends, and resolves with the exit
 * code. With `--inspect` the inspector stays up after the end, until Ctrl-C.
 */
export async function runConnect(args: ConnectArgs, output: ConnectOutput = processOutput): Promise<number> {
  let inspector: ClientInspector | undefined;
  if (args.inspectPort !== undefined) {
    inspector = await serveClientInspector(args.inspectPort);
    output.status(`inspector: ${inspector.url}`);
  }
  const options: ClientOptions = { headers: args.headers, perMessageDeflate: args.deflate, handshakeTimeout: HANDSHAKE_TIMEOUT_MS };
  if (args.origin !== undefined) options.origin = args.origin;
  if (args.ca !== undefined) options.ca = args.ca;
  if (args.insecure) options.rejectUnauthorized = false;
  if (inspector !== undefined) {
    options.onTransition = inspector.feed.onTransition;
    options.onFrame = inspector.feed.onFrame;
  }

  const exitCode = await new Promise<number>((resolve) => {
    const socket = new WebSocket(args.url, args.subprotocols, options);
    let opened = false;
    let failure: string | undefined;
    let connectionError: string | undefined;
    let closing = false;
    const lines = createInterface({ input: process.stdin, terminal: false });
    lines.pause();
    const stopReading = (): void => {
      lines.close();
      process.stdin.destroy();
    };
    const closeNormally = (): void => {
      if (closing) return;
      closing = true;
      if (socket.readyState === 1) socket.close(1000);
      else socket.terminate();
    };
    process.once('SIGINT', closeNormally);

    socket.on('open', () => {
      opened = true;
      const agreed = [socket.protocol && `subprotocol ${socket.protocol}`, socket.extensions && `extensions ${socket.extensions}`].filter(Boolean);
      output.status(`connected to ${args.url}${agreed.length > 0 ? ` (${agreed.join(', ')})` : ''}`);
      lines.on('line', (line) => {
        if (socket.readyState !== 1) return;
        if (args.binary) socket.send(Buffer.from(line, 'utf8'), { binary: true });
        else socket.send(line);
      });
      lines.on('close', closeNormally);
      lines.resume();
    });
    socket.on('message', (data, isBinary) => output.message(printedMessage(data as Buffer, isBinary)));
    socket.on('unexpected-response', (_request, response) => {
      void readRefusalBody(response).then((body) => {
        output.status(
          `statesocket: ${args.url} refused the opening handshake: HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trimEnd() +
            (body === '' ? '' : `: ${body}`),
        );
        stopReading();
        socket.terminate();
        resolve(CONNECT_EXIT.refused);
      });
    });
    socket.on('error', (error: ClientError) => {
      const text = connectionErrorText(error);
      if (text !== undefined) connectionError ??= text;
      else failure ??= error.code === undefined ? error.message : `${error.code}: ${error.message}`;
    });
    socket.on('close', (code, reason) => {
      stopReading();
      process.off('SIGINT', closeNormally);
      if (failure !== undefined) {
        output.status(`statesocket: the connection failed: ${failure} (close code ${describeClose(code, reason)})`);
        resolve(CONNECT_EXIT.failed);
      } else if (!opened) {
        output.status(`statesocket: cannot connect to ${args.url}: ${connectionError ?? 'the connection closed during the opening handshake'}`);
        resolve(CONNECT_EXIT.connectionError);
      } else if (code === 1000 || code === 1001 || code === 1005) {
        output.status(`closed: ${describeClose(code, reason)}`);
        resolve(CONNECT_EXIT.closed);
      } else if (code === 1006) {
        output.status(`statesocket: the connection was lost without a closing handshake (1006)${connectionError ? `: ${connectionError}` : ''}`);
        resolve(CONNECT_EXIT.connectionError);
      } else {
        output.status(`statesocket: the connection closed with ${describeClose(code, reason)}`);
        resolve(CONNECT_EXIT.failed);
      }
    });
  });

  if (inspector !== undefined) {
    output.status(`the inspector stays up at ${inspector.url}: Ctrl-C to exit`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await inspector.close();
  }
  return exitCode;
}
