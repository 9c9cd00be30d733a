/**
 * The servers the statesocket client is tried against — `ws`'s server, a Python `websockets`
 * server (test/interop/python-server.py, Debian's python3-websockets) and statesocket's own —
 * each over ws:// and wss:// (a test certificate made by openssl), each speaking the same small
 * echo protocol: every message is echoed with its type, except the text commands
 * - "fragments please": the text "fragmented", sent by the server in three fragments (RFC 6455 §5.4);
 * - "ping me": a Ping with the payload "server ping"; "ponged" once its Pong came back (§5.5.2);
 * - "close me": the server closes with 4001 "server bye" (§5.5.1).
 * Each picks the subprotocol chat.v2 when offered and accepts permessage-deflate.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer as StatesocketServer } from '../../src/index.js';
import { testCertificate } from '../tls-certificate.js';

export type ServerKind = 'ws' | 'python' | 'statesocket';
export const SERVER_KINDS: readonly ServerKind[] = ['ws', 'python', 'statesocket'];

export interface InteropServer {
  /** ws://127.0.0.1:port or wss://127.0.0.1:port */
  url: string;
  /** The server's name and version, for the matrix. */
  name: string;
  /** Whether the server's API can send a fragmented message (statesocket's server API cannot). */
  sendsFragments: boolean;
  close(): Promise<void>;
}

/** This file runs as dist/test/interop/client-interop-servers.js. */
const pythonScript = fileURLToPath(new URL('../../../test/interop/python-server.py', import.meta.url));
const python = process.env['INTEROP_PYTHON'] ?? '/usr/bin/python3';

/** The subprotocol every server picks when it is offered. */
export const CHOSEN_SUBPROTOCOL = 'chat.v2';

/** What a ws-API server socket does with one message (ws's and statesocket's servers share the API). */
interface ServerSocket {
  send(data: unknown, options?: { binary?: boolean; fin?: boolean }): void;
  ping(data?: unknown): void;
  close(code?: number, reason?: string): void;
  on(event: 'pong', listener: (data: Buffer) => void): unknown;
}

function onMessage(socket: ServerSocket, data: Buffer, isBinary: boolean, canFragment: boolean): void {
  const text = isBinary ? undefined : data.toString();
  if (text === 'fragments please' && canFragment) {
    socket.send('frag', { fin: false });
    socket.send('ment', { fin: false });
    socket.send('ed', { fin: true });
  } else if (text === 'ping me') {
    socket.on('pong', (payload) => {
      if (payload.toString() === 'server ping') socket.send('ponged');
    });
    socket.ping('server ping');
  } else if (text === 'close me') {
    socket.close(4001, 'server bye');
  } else {
    socket.send(data, { binary: isBinary });
  }
}

function httpServer(tls: boolean): HttpServer {
  if (!tls) return createHttpServer();
  const { cert, key } = testCertificate();
  return createHttpsServer({ cert, key });
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const handleProtocols = (protocols: Set<string>) => (protocols.has(CHOSEN_SUBPROTOCOL) ? CHOSEN_SUBPROTOCOL : false);

async function startWsServer(tls: boolean): Promise<InteropServer> {
  const http = httpServer(tls);
  const wss = new WsServer({ server: http, perMessageDeflate: true, handleProtocols, maxPayload: 64 * 1024 * 1024 });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => onMessage(socket, data as Buffer, isBinary, true)));
  const port = await listen(http);
  const { version } = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('ws/package.json'), 'utf8')) as { version: string };
  return {
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    name: `ws ${version}`,
    sendsFragments: true,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => http.close(() => resolve())));
    },
  };
}

async function startStatesocketServer(tls: boolean): Promise<InteropServer> {
  const http = httpServer(tls);
  const wss = new StatesocketServer({ server: http, perMessageDeflate: true, handleProtocols, maxPayload: 64 * 1024 * 1024 });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => onMessage(socket as unknown as ServerSocket, data as Buffer, isBinary, false)));
  const port = await listen(http);
  return {
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    name: 'statesocket',
    sendsFragments: false,
    close: async () => {
      for (const client of wss.clients ?? []) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => http.close(() => resolve())));
    },
  };
}

async function startPythonServer(tls: boolean): Promise<InteropServer> {
  const args = [pythonScript, ...(tls ? [testCertificate().certPath, testCertificate().keyPath] : [])];
  const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const version = await new Promise<string>((resolve, reject) =>
    spawn(python, ['-c', 'import websockets; print(websockets.__version__)']).stdout.on('data', (d: Buffer) => resolve(d.toString().trim())).on('error', reject),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Python server did not start within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`the Python server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^PORT (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return {
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    name: `Python websockets ${version}`,
    sendsFragments: true,
    close: async () => {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function startInteropServer(kind: ServerKind, tls: boolean): Promise<InteropServer> {
  switch (kind) {
    case 'ws':
      return startWsServer(tls);
    case 'statesocket':
      return startStatesocketServer(tls);
    case 'python':
      return startPythonServer(tls);
  }
}
