/**
 * The client the fuzzingserver-direction suite tests, and the only file that names it: an echo
 * client, as Autobahn|Testsuite's test clients are — it connects to one case's URL, sends back
 * every message it receives with the same opcode (text as text, binary as binary), and does
 * nothing else (Pings are answered by the library, as RFC 6455 §5.5.2 asks).
 *
 * `CLIENT_UNDER_TEST` picks the implementation: statesocket's own client, or `ws`'s client (a dev
 * dependency) as a cross-check of the harness. Both have ws's client API.
 */
import { WebSocket as WsWebSocket } from 'ws';

export type ClientImplementation = 'statesocket' | 'ws';

/** The implementation under test: CLIENT_UNDER_TEST in the environment, else the default. */
export function clientImplementation(): ClientImplementation {
  const chosen = process.env['CLIENT_UNDER_TEST'];
  // statesocket's client is not merged yet: ws is the default until it is.
  if (chosen === undefined || chosen === '' || chosen === 'ws') return 'ws';
  throw new Error(`CLIENT_UNDER_TEST=${chosen}: expected ws (statesocket's client is not merged yet)`);
}

/**
 * The client class under test, for the interop tests: ws's client API (`new WebSocket(address,
 * protocols?, options)`, `open`/`message`/`close`/`ping`/`pong`/`upgrade` events).
 */
export const ClientWebSocket = WsWebSocket;
export const CLIENT_NAME = 'ws (statesocket client not merged yet)';

/** One transition of one of the client's machines, as the client reports it. */
export interface ClientTransition {
  readonly machineId: string;
  readonly eventType: string;
  readonly source: string;
  readonly target: string;
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

/** Starts an echo client connected to `url`. */
export function startEchoClient(url: string, options: EchoClientOptions = {}): EchoClient {
  const implementation = clientImplementation();
  const errors: string[] = [];
  const socket = new WsWebSocket(url, { perMessageDeflate: options.perMessageDeflate ?? false });
  socket.on('message', (data, isBinary) => {
    // Echo with the opcode it came with; sending can only fail once the connection is closing.
    socket.send(data as Buffer, { binary: isBinary }, () => {});
  });
  socket.on('error', (error) => errors.push(error.message));
  const ended = new Promise<EchoClientEnd>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString(), errors }));
  });
  return { implementation, ended, terminate: () => socket.terminate() };
}
