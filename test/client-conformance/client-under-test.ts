/**
 * The client the fuzzingserver-direction suite and the client interop tests test, and the only
 * file that names it: statesocket's client (`new WebSocket(address, protocols, options)`, ws's
 * client API), or — with CLIENT_UNDER_TEST=ws — `ws`'s client (a dev dependency), as a
 * cross-check of the harness.
 *
 * `startEchoClient` makes an echo client, as Autobahn|Testsuite's test clients are: it connects
 * to one case's URL, sends back every message it receives with the same opcode (text as text,
 * binary as binary), and does nothing else (Pings are answered by the library, as RFC 6455
 * §5.5.2 asks). statesocket's client reports each machine transition, with the guard branch it
 * took where the declared steps name one (src/model-based/declared-steps.ts).
 */
import { WebSocket as WsWebSocket } from 'ws';
import { WebSocket as StatesocketWebSocket } from '../../src/index.js';
import { guardToName } from '../../src/model-based/declared-steps.js';

export type ClientImplementation = 'statesocket' | 'ws';

/** The implementation under test: CLIENT_UNDER_TEST in the environment, else statesocket. */
export function clientImplementation(): ClientImplementation {
  const chosen = process.env['CLIENT_UNDER_TEST'];
  if (chosen === undefined || chosen === '' || chosen === 'statesocket') return 'statesocket';
  if (chosen === 'ws') return 'ws';
  throw new Error(`CLIENT_UNDER_TEST=${chosen}: expected statesocket or ws`);
}

/**
 * The client class under test, for the interop tests: ws's client API (`open`, `message`,
 * `close`, `ping`, `pong`, `upgrade` events; `send`, `ping`, `close`; `protocol`).
 */
export const ClientWebSocket = (clientImplementation() === 'ws' ? WsWebSocket : StatesocketWebSocket) as unknown as typeof WsWebSocket;
export const CLIENT_NAME = clientImplementation() === 'ws' ? 'ws' : 'statesocket';

/** One transition of one of the client's machines, as the client reports it. */
export interface ClientTransition {
  readonly machineId: string;
  readonly eventType: string;
  readonly source: string;
  readonly target: string;
  /** The guard branch taken, where the declared steps name one. */
  readonly guard?: string | undefined;
}

export interface EchoClientOptions {
  /** The `perMessageDeflate` option, as ws's client takes it. Default false (no offer). */
  perMessageDeflate?: boolean | Record<string, unknown>;
  /** Hears every machine transition (statesocket only; ws has no machines). */
  onTransition?: (transition: ClientTransition) => void;
}

/** How the client under test saw the connection end. */
export interface EchoClientEnd {
  /** The code of the `close` event (1005: no code; 1006: no Close frame). */
  code: number;
  reason: string;
  /** `error` events, in order (their messages). */
  errors: string[];
}

export interface EchoClient {
  readonly implementation: ClientImplementation;
  /** Resolves when the client's `close` event fired. */
  readonly ended: Promise<EchoClientEnd>;
  /** Drops the connection (after a case, should the client still hold it). */
  terminate(): void;
}

/** The events and methods the echo client uses: the same in both implementations. */
interface ClientSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  send(data: Buffer, options: { binary: boolean }, callback: (error?: Error) => void): void;
  terminate(): void;
}

function openClient(url: string, options: EchoClientOptions, implementation: ClientImplementation): ClientSocket {
  const perMessageDeflate = options.perMessageDeflate ?? false;
  if (implementation === 'ws') return new WsWebSocket(url, { perMessageDeflate }) as unknown as ClientSocket;
  const onTransition = options.onTransition;
  return new StatesocketWebSocket(url, [], {
    perMessageDeflate,
    ...(onTransition === undefined
      ? {}
      : {
          onTransition: (_connection, transition, event) => {
            const { machineId, eventType, source, target } = transition;
            // Read the guard from the event at once: the connection may reuse the event object.
            onTransition({ machineId, eventType, source, target, guard: guardToName(machineId, source, event, target) });
          },
        }),
  }) as unknown as ClientSocket;
}

/** Starts an echo client connected to `url`. */
export function startEchoClient(url: string, options: EchoClientOptions = {}): EchoClient {
  const implementation = clientImplementation();
  const errors: string[] = [];
  const socket = openClient(url, options, implementation);
  socket.on('message', (data, isBinary) => {
    // Echo with the opcode it came with; sending can only fail once the connection is closing.
    socket.send(data, { binary: isBinary }, () => {});
  });
  socket.on('error', (error) => errors.push(error.message));
  const ended = new Promise<EchoClientEnd>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString(), errors }));
  });
  return { implementation, ended, terminate: () => socket.terminate() };
}
