/**
 * What the statesocket client checks against each interop server (client-interop-servers.ts),
 * one feature per column of the matrix the interop run prints: text, binary, 1 MiB, a fragmented
 * message from the server, Ping/Pong both ways, close codes and reasons both ways, the
 * subprotocol, permessage-deflate and each of its RFC 7692 parameters offered on its own.
 */
import type { IncomingMessage } from 'node:http';
import { ClientWebSocket } from '../client-conformance/client-under-test.js';
import { testCertificate } from '../tls-certificate.js';
import { CHOSEN_SUBPROTOCOL, type InteropServer } from './client-interop-servers.js';

export const FEATURES = [
  'text',
  'binary',
  '1 MiB',
  'fragmented',
  'ping',
  'server ping',
  'close (client)',
  'close (server)',
  'subprotocol',
  'deflate',
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
] as const;
export type Feature = (typeof FEATURES)[number];
/** true: passed; false: failed; '—': the server cannot do it; a string: failed, and why. */
export type Cell = boolean | '—' | string;

const STEP_TIMEOUT_MS = 5000;

type Client = InstanceType<typeof ClientWebSocket>;

interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** A connected client and what it received, in order. */
class Connection {
  private readonly inbox: Received[] = [];
  private wake: (() => void) | undefined;
  closeEvent: Promise<{ code: number; reason: string }>;

  constructor(
    readonly client: Client,
    readonly response: IncomingMessage,
  ) {
    client.on('message', (data, isBinary) => {
      this.inbox.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary });
      this.wake?.();
    });
    this.closeEvent = new Promise((resolve) => client.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The |Sec-WebSocket-Extensions| of the server's 101. */
  get extensions(): string {
    const value = this.response.headers['sec-websocket-extensions'];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  }

  async next(): Promise<Received> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (this.inbox.length === 0) {
      if (Date.now() > deadline) throw new Error(`no message within ${STEP_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.inbox.shift()!;
  }

  async roundTrip(data: string | Buffer): Promise<Received> {
    this.client.send(data, { binary: typeof data !== 'string' });
    return this.next();
  }

  async close(code = 1000, reason = ''): Promise<{ code: number; reason: string }> {
    this.client.close(code, reason);
    return within(this.closeEvent, 'the close event');
  }
}

function within<T>(promise: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not come within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

function connect(url: string, options: { protocols?: string[]; perMessageDeflate?: boolean | Record<string, unknown> }): Promise<Connection> {
  const tls = url.startsWith('wss:') ? { ca: testCertificate().cert } : {};
  const client = new ClientWebSocket(url, options.protocols ?? [], { perMessageDeflate: options.perMessageDeflate ?? false, ...tls });
  return within(
    new Promise<Connection>((resolve, reject) => {
      let response: IncomingMessage | undefined;
      client.on('upgrade', (message) => (response = message));
      client.on('open', () => resolve(new Connection(client, response!)));
      client.on('error', reject);
    }),
    'the opening handshake',
  );
}

/** Runs one check; a thrown error is a failed cell with its message. */
async function attempt(check: () => Promise<boolean>): Promise<Cell> {
  try {
    return await check();
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

/** RFC 7692 parameters, each offered on its own, and what the server's answer must then say. */
const PARAMETER_OFFERS: readonly [Feature, Record<string, unknown>, (answer: string) => boolean][] = [
  // §7.1.1.1: a server that accepts the offer includes server_no_context_takeover.
  ['server_no_context_takeover', { serverNoContextTakeover: true }, (answer) => /server_no_context_takeover/.test(answer)],
  // §7.1.1.2: a hint from the client; the server may or may not repeat it.
  ['client_no_context_takeover', { clientNoContextTakeover: true }, () => true],
  // §7.1.2.1: accepted with "the same or smaller value".
  ['server_max_window_bits', { serverMaxWindowBits: 10 }, (answer) => Number(/server_max_window_bits=(\d+)/.exec(answer)?.[1] ?? 99) <= 10],
  // §7.1.2.2: the server may answer client_max_window_bits no larger than the offer, or leave it out.
  ['client_max_window_bits', { clientMaxWindowBits: 10 }, (answer) => Number(/client_max_window_bits=(\d+)/.exec(answer)?.[1] ?? 10) <= 10],
];

/** Three different, compressible 16 KiB text messages: each must come back as sent. */
function compressibleMessages(): string[] {
  return [0, 1, 2].map((n) => JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i * (n + 1), name: `item ${i}`, ok: i % 3 === n }))).slice(0, 16 * 1024));
}

/** Every feature of the matrix, against one server. */
export async function runClientScenario(server: InteropServer): Promise<Map<Feature, Cell>> {
  const cells = new Map<Feature, Cell>();
  const { url } = server;

  const main = await connect(`${url}/interop`, { protocols: [CHOSEN_SUBPROTOCOL, 'chat.v1'], perMessageDeflate: true });
  cells.set('subprotocol', main.client.protocol === CHOSEN_SUBPROTOCOL);
  cells.set('deflate', /permessage-deflate/.test(main.extensions));
  cells.set('text', await attempt(async () => {
    const echo = await main.roundTrip('hello');
    return !echo.isBinary && echo.data.toString() === 'hello';
  }));
  cells.set('binary', await attempt(async () => {
    const echo = await main.roundTrip(Buffer.from([0, 1, 2, 255]));
    return echo.isBinary && echo.data.equals(Buffer.from([0, 1, 2, 255]));
  }));
  cells.set('1 MiB', await attempt(async () => {
    const big = 'x'.repeat(1 << 20);
    const echo = await main.roundTrip(big);
    return !echo.isBinary && echo.data.toString() === big;
  }));
  cells.set('fragmented', server.sendsFragments
    ? await attempt(async () => {
        const message = await main.roundTrip('fragments please');
        return !message.isBinary && message.data.toString() === 'fragmented';
      })
    : '—');
  cells.set('ping', await attempt(async () => {
    const pong = within(new Promise<Buffer>((resolve) => main.client.once('pong', resolve)), 'the Pong');
    main.client.ping('are you there');
    return (await pong).toString() === 'are you there';
  }));
  cells.set('server ping', await attempt(async () => {
    const ping = within(new Promise<Buffer>((resolve) => main.client.once('ping', resolve)), 'the server\'s Ping');
    const answer = await main.roundTrip('ping me');
    return (await ping).toString() === 'server ping' && answer.data.toString() === 'ponged';
  }));
  cells.set('close (client)', await attempt(async () => {
    const closed = await main.close(4000, 'bye');
    return closed.code === 4000 && closed.reason === 'bye';
  }));

  cells.set('close (server)', await attempt(async () => {
    const second = await connect(`${url}/closed-by-server`, {});
    second.client.send('close me');
    const closed = await within(second.closeEvent, 'the close event');
    return closed.code === 4001 && closed.reason === 'server bye';
  }));

  for (const [feature, offer, answerIsRight] of PARAMETER_OFFERS) {
    cells.set(feature, await attempt(async () => {
      const connection = await connect(`${url}/${feature}`, { perMessageDeflate: offer });
      const answer = connection.extensions;
      if (!/permessage-deflate/.test(answer) || !answerIsRight(answer)) throw new Error(`the server answered "${answer}"`);
      for (const message of compressibleMessages()) {
        const echo = await connection.roundTrip(message);
        if (echo.data.toString() !== message) throw new Error('an echo differs from the message sent');
      }
      await connection.close();
      return true;
    }));
  }
  return cells;
}
