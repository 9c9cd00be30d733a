/**
 * The probe's TCP client: performs wire steps on one connection exactly as asked (frames in any
 * chopping, a half-close, a reset) and records what the server does, as observables, and every
 * byte exchanged, for the report.
 *
 * The client never reacts on its own — it does not answer a Close or a Ping, nor end TCP when the
 * server does (`allowHalfOpen`) — so that the generated path alone decides what happens.
 */
import { connect, type Socket } from 'node:net';
import type { Chopping, Observable } from '../model-based/wire-steps.js';
import { ServerFrameReader } from './server-frame-reader.js';
import { secWebSocketAccept } from '../opening-handshake.js';

/** RFC 6455 §1.3. */
/** RFC 7692: the offer; with server_no_context_takeover every message of the server inflates on its own. */
export const DEFLATE_OFFER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
const MAX_LOGGED_OCTETS = 96;

export interface WireLogEntry {
  /** Milliseconds since the connection was opened. */
  readonly at: number;
  /** → sent by the client, ← received from the server, · a TCP happening. */
  readonly direction: '→' | '←' | '·';
  readonly text: string;
}

function hex(bytes: Buffer): string {
  const shown = bytes.subarray(0, MAX_LOGGED_OCTETS).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return bytes.length > MAX_LOGGED_OCTETS ? `${shown} … (${bytes.length} octets)` : shown;
}

export class ProbeClient {
  /** Everything the server was seen to do, in order. */
  readonly observed: Observable[] = [];
  readonly log: WireLogEntry[] = [];
  /** The server's FIN has arrived. */
  finReceived = false;
  /** The client ended or reset its side. */
  clientEnded = false;
  closed = false;
  /** The HTTP response's head has arrived (or the connection closed before). */
  responded = false;
  private reader: ServerFrameReader | undefined;
  private head: Buffer = Buffer.alloc(0);
  private expectedAccept = '';
  private readonly started = performance.now();
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.finReceived = true;
      this.note('·', 'server FIN');
      this.observed.push({ kind: 'fin' });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.note('·', `error ${error.code ?? error.message}`);
      if (!this.clientEnded && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) this.observed.push({ kind: 'reset' });
    });
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.responded = true;
        this.note('·', 'TCP closed');
        resolve();
      }),
    );
  }

  /** Opens a TCP connection. */
  static connect(host: string, port: number, timeoutMs: number): Promise<ProbeClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, allowHalfOpen: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ProbeClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  note(direction: WireLogEntry['direction'], text: string): void {
    this.log.push({ at: this.elapsed, direction, text });
  }

  /** Sends the opening handshake request (RFC 6455 §4.1). */
  sendRequest(method: string, target: string, httpVersion: string, headers: Readonly<Record<string, string>>, offerDeflate: boolean): void {
    const lines = [`${method} ${target} HTTP/${httpVersion}`];
    for (const [name, value] of Object.entries(headers)) if (value !== '') lines.push(`${name}: ${value}`);
    if (offerDeflate) lines.push(`sec-websocket-extensions: ${DEFLATE_OFFER}`);
    const key = headers['sec-websocket-key'] ?? '';
    this.expectedAccept = secWebSocketAccept(key);
    const request = `${lines.join('\r\n')}\r\n\r\n`;
    this.note('→', request.trimEnd().replace(/\r\n/g, ' | '));
    this.socket.write(request);
  }

  /** Writes the octets, chopped as asked; resolves once each piece was handed to TCP. */
  async write(bytes: Buffer, chopping: Chopping = 'whole'): Promise<void> {
    if (this.clientEnded || this.closed || bytes.length === 0) return;
    const pieces: Buffer[] =
      chopping === 'octets'
        ? Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1))
        : chopping === 'halves' && bytes.length > 1
          ? [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)]
          : [bytes];
    this.note('→', `${hex(bytes)}${pieces.length > 1 ? ` (in ${pieces.length} writes)` : ''}`);
    for (const piece of pieces) {
      if (this.socket.destroyed) return;
      await new Promise<void>((resolve) => this.socket.write(piece, () => resolve()));
    }
  }

  /** Half-closes: sends FIN, keeps reading. */
  end(): void {
    if (this.clientEnded || this.closed) return;
    this.clientEnded = true;
    this.note('→', 'FIN');
    this.socket.end();
  }

  /** Drops the connection with RST. */
  reset(): void {
    if (this.closed) return;
    this.clientEnded = true;
    this.note('→', 'RST');
    this.socket.resetAndDestroy();
  }

  /** One octet to find out whether the server still has the connection (a dropped one answers with RST). */
  poke(): void {
    if (this.clientEnded || this.closed) return;
    this.note('→', '00 (is the connection still there?)');
    this.socket.write(Buffer.from([0x00]), () => {});
  }

  /** Resolves once TCP is closed, or after `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([this.closedPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  private onData(chunk: Buffer): void {
    if (this.reader !== undefined) {
      this.note('←', hex(chunk));
      this.observed.push(...this.reader.push(chunk));
      return;
    }
    if (this.responded) {
      this.note('←', JSON.stringify(chunk.toString('latin1'))); // the body of a refusal
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) return;
    this.responded = true;
    const headText = this.head.subarray(0, end).toString('latin1');
    this.note('←', headText.replace(/\r\n/g, ' | '));
    const [statusLine = '', ...headerLines] = headText.split('\r\n');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const deflate = status === 101 && /(^|,)\s*permessage-deflate\b/i.test(headers.get('sec-websocket-extensions') ?? '');
    let problem: string | undefined;
    if (status === 101 && headers.get('sec-websocket-accept') !== this.expectedAccept) problem = 'wrong Sec-WebSocket-Accept';
    const subprotocol = status === 101 ? headers.get('sec-websocket-protocol') : undefined;
    this.observed.push({ kind: 'http', status, deflate, ...(subprotocol ? { subprotocol } : {}), ...(problem ? { problem } : {}) });
    const rest = this.head.subarray(end + 4);
    if (status === 101) {
      this.reader = new ServerFrameReader(deflate);
      if (rest.length > 0) {
        this.note('←', hex(rest));
        this.observed.push(...this.reader.push(rest));
      }
    } else if (rest.length > 0) {
      this.note('←', JSON.stringify(rest.toString('latin1')));
    }
  }
}
