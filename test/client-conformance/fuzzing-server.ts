/**
 * The loopback test server of the fuzzingserver direction: the client under test connects to
 * `/case/<id>`, the server checks its opening handshake the way Autobahn|Testsuite's
 * fuzzingserver does (RFC 6455 §4.1's client requirements), answers it — with the case's
 * permessage-deflate answer (deflate-answers.ts) — and hands the connection to whoever waits for
 * that case (`expectCase`), which then plays the case's script from the server's end.
 *
 * A handshake the server refuses gets a 400 with the reason, and the waiting case learns why.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';
import type { ConformanceCase } from '../conformance/case.js';
import { ClientDeflate } from '../conformance/permessage-deflate-client.js';
import { answerDeflateOffer, asHarnessStreams, type DeflateAnswer } from './deflate-answers.js';
import { FuzzingConnection } from './fuzzing-connection.js';

/** RFC 6455 §1.3's GUID, written here apart from the server's copy. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** How long a case waits for the client under test to connect (Autobahn: the opening handshake's 5 s). */
export const CONNECT_TIMEOUT_MS = 5000;

/** A connection the server accepted for a case. */
export interface AcceptedCase {
  connection: FuzzingConnection;
  /** The client's |Sec-WebSocket-Extensions| offer, as sent; undefined when it made none. */
  extensionOffer: string | undefined;
  /** What the server answered; undefined when it declined. */
  deflate: DeflateAnswer | undefined;
  /** The request head as received, for reports. */
  request: string;
}

export const casePathOf = (id: string) => `/case/${id}`;

interface Waiting {
  testCase: ConformanceCase;
  resolve: (accepted: AcceptedCase) => void;
  reject: (error: Error) => void;
}

function tokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value).split(',').map((token) => token.trim().toLowerCase());
}

/**
 * What a client's opening handshake gets wrong by RFC 6455 §4.1 ("The handshake MUST be a valid
 * HTTP request", GET, HTTP/1.1 or higher, |Host|, |Upgrade: websocket|, |Connection: Upgrade|, a
 * |Sec-WebSocket-Key| of 16 random octets in base64, |Sec-WebSocket-Version: 13|); undefined when
 * nothing is.
 */
export function handshakeProblem(request: IncomingMessage): string | undefined {
  if (request.method !== 'GET') return `the method is ${request.method}, not GET`;
  if (request.httpVersionMajor < 1 || (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)) {
    return `HTTP/${request.httpVersion}, not 1.1 or higher`;
  }
  if (!request.headers.host) return 'no Host header';
  if (!tokens(request.headers.upgrade).includes('websocket')) return 'no "Upgrade: websocket"';
  if (!tokens(request.headers.connection).includes('upgrade')) return 'no "Connection: Upgrade"';
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16 || Buffer.from(key, 'base64').toString('base64') !== key) {
    return `Sec-WebSocket-Key "${String(key)}" is not 16 octets in base64`;
  }
  if (request.headers['sec-websocket-version'] !== '13') return `Sec-WebSocket-Version is "${String(request.headers['sec-websocket-version'])}", not 13`;
  return undefined;
}

export class FuzzingServer {
  private readonly waiting = new Map<string, Waiting>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(request, socket, head));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<FuzzingServer> {
    const server = createServer((_request, response) => response.writeHead(426).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FuzzingServer(server);
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}`;
  }

  /** Resolves with the connection the client under test opens for this case; rejects when its handshake is refused or it does not come. */
  expectCase(testCase: ConformanceCase): Promise<AcceptedCase> {
    return new Promise<AcceptedCase>((resolve, reject) => {
      const path = casePathOf(testCase.id);
      const timer = setTimeout(() => {
        this.waiting.delete(path);
        reject(new Error(`the client did not complete an opening handshake for ${path} within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      this.waiting.set(path, {
        testCase,
        resolve: (accepted) => {
          clearTimeout(timer);
          resolve(accepted);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  private onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {});
    const path = request.url ?? '';
    const waiting = this.waiting.get(path);
    const refuse = (problem: string) => {
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(problem)}\r\n\r\n${problem}`);
      waiting?.reject(new Error(`the harness refused the opening handshake: ${problem}`));
      this.waiting.delete(path);
    };
    if (waiting === undefined) return refuse(`no case waits for ${path}`);
    const problem = handshakeProblem(request);
    if (problem !== undefined) return refuse(problem);
    this.waiting.delete(path);
    const offerHeader = request.headers['sec-websocket-extensions'];
    const extensionOffer = Array.isArray(offerHeader) ? offerHeader.join(', ') : offerHeader;
    const deflate = answerDeflateOffer(waiting.testCase.id, extensionOffer);
    // §4.2.2 item 5.4: |Sec-WebSocket-Accept| is base64(SHA-1(key + GUID)).
    const accept = createHash('sha1').update(`${request.headers['sec-websocket-key']}${GUID}`).digest('base64');
    socket.setNoDelay(true);
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        ...(deflate !== undefined ? [`Sec-WebSocket-Extensions: ${deflate.header}`] : []),
        '',
        '',
      ].join('\r\n'),
    );
    const connection = new FuzzingConnection(socket, {
      digestMessages: waiting.testCase.digestMessages,
      deflate: deflate === undefined ? undefined : new ClientDeflate(asHarnessStreams(deflate.agreed)),
    });
    connection.feed(head);
    const requestHead = [`${request.method} ${path} HTTP/${request.httpVersion}`, ...rawHeaderLines(request)].join('\r\n');
    waiting.resolve({ connection, extensionOffer, deflate, request: requestHead });
  }

  async close(): Promise<void> {
    for (const [, waiting] of this.waiting) waiting.reject(new Error('the fuzzing server closed'));
    this.waiting.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function rawHeaderLines(request: IncomingMessage): string[] {
  const lines: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  return lines;
}
