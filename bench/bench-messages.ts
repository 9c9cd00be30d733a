/**
 * What the benchmark's processes say to each other over Node's IPC channel.
 *
 * Rules of this file: types only. The orchestrator (run-bench.ts) starts one server process
 * (servers/*.ts) and one or more load-client processes (load-client.ts) per measurement;
 * the server answers requests about its own CPU time, memory and connection count, the
 * client runs one job and reports what it counted.
 */

/** The four servers compared, in the order their columns appear. */
export const SERVER_NAMES = ['statesocket', 'ws', 'ws+bufferutil', 'net'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/**
 * The client libraries of the client rows (issue 15): a client row's columns are the client
 * that drives ws's echo server, named as the server columns are (`net` has no library).
 */
export type ClientLibrary = Exclude<ServerName, 'net'>;

// ---------------------------------------------------------------- orchestrator ⇄ server

export type ServerRequest =
  | { type: 'cpu' }
  /** With `gc`, the server runs a full garbage collection first (it runs with --expose-gc). */
  | { type: 'memory'; gc: boolean }
  | { type: 'connections' }
  | { type: 'stop' };

export interface ServerReady {
  type: 'ready';
  port: number;
  /** What exactly runs, e.g. `ws 8.23.0, unmask: bufferutil 4.1.0 (native)`. */
  description: string;
  /** Conditions that make the measurement not what its column claims (shown in the report). */
  warnings: string[];
}

export interface ServerCpu {
  type: 'cpu';
  /** `process.cpuUsage()` of the server process: every thread, user and system, in µs. */
  userMicros: number;
  systemMicros: number;
}

export interface ServerMemory {
  type: 'memory';
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** Peak resident set size since the process started, bytes. */
  maxRss: number;
}

export interface ServerConnections {
  type: 'connections';
  count: number;
}

export type ServerReply = ServerReady | ServerCpu | ServerMemory | ServerConnections;

// ---------------------------------------------------------------- orchestrator ⇄ load client

/** Echo round trips: every connection keeps `inFlight` messages outstanding. */
export interface EchoJob {
  kind: 'echo';
  port: number;
  connections: number;
  inFlight: number;
  /** Payload bytes of one message (text, valid UTF-8). */
  payloadSize: number;
  /** Frames per message: 1, or a first frame and continuations of equal size. */
  fragments: number;
  /** Offer permessage-deflate and send each message compressed (RSV1). */
  deflate: boolean;
  /**
   * Different payloads sent in turn (1: the same message every time). With context takeover a
   * compressor finds a repeated message in its window; varied ones are what most traffic looks like.
   */
  variants: number;
  /** Connect over TLS (wss://; the server's certificate is made for the run and not verified). */
  tls?: boolean;
  warmupMessages: number;
  messages: number;
  /** Each phase (warm-up, measurement) stops after this long, counted or not. */
  maxSeconds: number;
  /** Keep the connections open after the result until told to stop (the server's memory is read meanwhile). */
  holdOpen: boolean;
  /** Drive the load through this client library's WebSocket (library-echo-load.ts) instead of raw frames. */
  library?: ClientLibrary;
}

/** Open `connections` WebSocket connections and hold them, idle, until told to stop. */
export interface IdleJob {
  kind: 'idle';
  port: number;
  connections: number;
  /** Opening handshakes under way at once. */
  concurrency: number;
  /**
   * Offer permessage-deflate, and before going idle send one compressed message and wait for
   * its echo, so that each connection holds what compression leaves in it.
   */
  deflate: boolean;
  /**
   * Then open this many more connections that keep sending (compressed, 1 in flight, with
   * `deflate`) until told to stop; `open` is reported once each has had two echoes.
   */
  activeConnections: number;
  maxSeconds: number;
  /**
   * Open the connections with this client library (library-websocket.ts), which answers the
   * server's Pings as a correct client does; only without deflate and active connections.
   */
  library?: ClientLibrary;
}

/** Connect, upgrade, Close handshake, TCP close; `concurrency` such cycles at a time. */
export interface ChurnJob {
  kind: 'churn';
  port: number;
  concurrency: number;
  warmupCycles: number;
  cycles: number;
  maxSeconds: number;
}

export type ClientJob = EchoJob | IdleJob | ChurnJob;

export type OrchestratorToClient = { type: 'job'; job: ClientJob } | { type: 'go' } | { type: 'stop' };

export interface EchoResult {
  kind: 'echo';
  messages: number;
  wallSeconds: number;
  latencyP50Micros: number;
  latencyP99Micros: number;
  /** Payload bytes echoed back (one direction), per wall-clock second. */
  payloadBytes: number;
  clientCpuMicros: number;
  timedOut: boolean;
}

export interface ChurnResult {
  kind: 'churn';
  cycles: number;
  failedCycles: number;
  wallSeconds: number;
  clientCpuMicros: number;
  timedOut: boolean;
}

export type ClientToOrchestrator =
  /** Warm-up done, connections quiet: take the server's CPU reading, then say `go`. */
  | { type: 'warm' }
  /** Idle job: this many connections are open (handshake answered); `failed` could not be. */
  | { type: 'open'; opened: number; failed: number; firstError: string | undefined }
  | { type: 'result'; result: EchoResult | ChurnResult }
  /** The workload cannot run against this server (e.g. permessage-deflate not negotiated). */
  | { type: 'unsupported'; reason: string }
  | { type: 'error'; message: string };
