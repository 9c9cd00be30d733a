/**
 * A conformance case: what a wire-level client does against the echo server, what it must
 * see come back (graded the way Autobahn|Testsuite grades), and the transition path the
 * server's machines must take.
 *
 * Cases are numbered after the Autobahn|Testsuite fuzzingclient case they reproduce, so that
 * the in-repo result and the real suite's report can be compared case by case.
 */

/** Opcodes of RFC 6455 §5.2 by name (cases also send reserved ones, as numbers, on purpose). */
export { Opcode } from '../../src/opcode.js';

export interface FrameToSend {
  opcode: number;
  /** The payload (a string is sent as UTF-8). */
  payload?: string | Uint8Array;
  /** Default true. */
  fin?: boolean;
  /** RSV bits as a 3-bit number (4 = RSV1, 2 = RSV2, 1 = RSV3). Default 0. */
  rsv?: number;
  /** Default true: a random masking key. False sends the frame unmasked. */
  mask?: boolean;
  /** Send the encoded frame in chunks of this many octets, each flushed on its own. */
  chopSize?: number;
  /** Wait until the bytes are flushed to the socket and a short pause passed before going on. */
  sync?: boolean;
}

/** What a case's script can do: the primitives of Autobahn's fuzzing client. */
export interface CaseClient {
  /**
   * Whether this end masks the frames it sends: true when the case plays the client (RFC 6455
   * §5.3), false when it plays the server against a client under test (§5.1: "A server MUST NOT
   * mask any frames that it sends to the client"). `sendFrame` follows it; raw octets must too.
   */
  readonly masksFrames: boolean;
  /**
   * Send one frame, exactly as given. Raw, like Autobahn's `sendFrame`: a Close frame sent this
   * way does not start the client's closing handshake (if the server answers it, the client takes
   * the server's Close as the server closing first); `sendClose` does. Once the server's Close has
   * arrived, the client writes nothing more (it has answered it).
   */
  sendFrame(frame: FrameToSend): Promise<void>;
  /** Send raw octets (already encoded and masked). */
  sendRaw(bytes: Uint8Array, options?: { chopSize?: number; sync?: boolean }): Promise<void>;
  /**
   * Send a message: one frame, or frames of `fragmentSize` payload octets each
   * (the first with the message opcode, the rest continuation frames).
   * As Autobahn's client cuts it: a payload no longer than `fragmentSize` goes in one frame;
   * a longer one that is a multiple of `fragmentSize` ends with an empty final frame.
   * `sync` applies to every frame.
   *
   * When permessage-deflate was agreed (see `ConformanceCase.extensionOffer`), every message is
   * compressed (RFC 7692 §7.2.1) and RSV1 set on its first frame, like Autobahn's client does;
   * `fragmentSize` then cuts the compressed octets. Resolves with what went on the wire.
   */
  sendMessage(opcode: number, payload: string | Uint8Array, options?: { fragmentSize?: number; sync?: boolean }): Promise<SentMessage>;
  /**
   * Start the closing handshake: send a Close frame with this code and reason (no code: empty
   * body, or the reason's octets alone — Autobahn's `sendCloseFrame`). The server must answer
   * within 1 s, and drop TCP within 1 s after that, or the client drops TCP itself. Nothing is
   * sent if the client already started closing or the server's Close has arrived.
   */
  sendClose(code?: number, reason?: string | Uint8Array): Promise<void>;
  /** Pause the script (Autobahn's "CT"): a `timeout` event with the tag is recorded when it ends, unless the connection closed first. */
  sleep(ms: number, tag?: string): Promise<void>;
  /** Resolve once this many messages (not pongs) have been received in all, or the connection closed. */
  waitForMessages(count: number): Promise<void>;
  /** Resolve once this many pongs have been received in all, or the connection closed. */
  waitForPongs(count: number): Promise<void>;
  /** Autobahn's "KL": if the connection is not closed after `ms`, drop TCP (counts as "failed by client"). */
  killAfter(ms: number): void;
  /** Autobahn's "TI": after `ms`, send a Close 1000 (if not closing already). */
  closeAfter(ms: number): void;
  /** Events received so far. */
  readonly received: readonly ReceivedEvent[];
  /** The messages sent with `sendMessage` so far, in order. */
  readonly sent: readonly SentMessage[];
}

/** A message as `sendMessage` put it on the wire. */
export interface SentMessage {
  opcode: number;
  /** The message's length before compression. */
  length: number;
  /** Whether it was compressed (RSV1 on its first frame). */
  compressed: boolean;
  /** Its payload octets on the wire, over all its frames. */
  wireLength: number;
  /** How many frames it took. */
  frames: number;
}

/**
 * A message recorded by its length and SHA-1 instead of its payload (see
 * `ConformanceCase.digestMessages`); text messages were checked as UTF-8 before.
 */
export interface MessageDigest {
  length: number;
  /** SHA-1 of the payload octets, hex. */
  sha1: string;
}

export type ReceivedEvent =
  | readonly ['message', string | Uint8Array, boolean]
  | readonly ['messageDigest', MessageDigest, boolean]
  | readonly ['pong', Uint8Array]
  | readonly ['timeout', string];

/**
 * An expected event. A text message is written as a string, a binary one as a Uint8Array;
 * pongs with their payload; `timeout` events with their tag (see CaseClient.sleep).
 */
export type ExpectedEvent =
  | readonly ['message', string | Uint8Array, boolean]
  | readonly ['pong', string | Uint8Array]
  | readonly ['timeout', string];

export interface ExpectedClose {
  /** Close codes from the server that are accepted. */
  closeCode: readonly number[];
  /** True when the client starts the closing handshake, false when the server must. */
  closedByClient: boolean;
  /** A full closing handshake and the server dropping TCP are required. */
  requireClean: boolean;
}

/**
 * The transition path a case must take, per machine: the transitions in order, each written
 * `EVENT->targetState` (targetless transitions name the state they stay in), separated by
 * single spaces, starting from the machine's initial state. Example for the message machine
 * and one unfragmented text message:
 * `TEXT_FRAME->text.finalFrame FRAME_END->awaitingMessage`.
 */
export interface ExpectedPath {
  connection: string;
  message: string;
  closingHandshake: string;
}

/**
 * What the client did during a run, for cases whose path depends on it: how many frames each
 * message took (compressed sizes vary). Only what test/conformance/compression-frame-counts.json
 * records, so that the same path can be built from the recording without a run.
 */
export interface ClientRecord {
  readonly sent: readonly Pick<SentMessage, 'frames'>[];
}

export interface ConformanceCase {
  /** The Autobahn|Testsuite case number, e.g. '5.15'. */
  id: string;
  /** What the case does, in our own words. */
  title: string;
  script(client: CaseClient): Promise<void>;
  /**
   * The events that grade the case OK: one list, or several acceptable lists. When
   * `checkEvents` is given instead, it decides (for cases with thousands of messages).
   */
  expect: readonly (readonly ExpectedEvent[])[] | { checkEvents(received: readonly ReceivedEvent[]): string | undefined };
  close: ExpectedClose;
  /** The machines' transitions; a function when they depend on what the client sent (e.g. compressed sizes). */
  path: ExpectedPath | ((run: ClientRecord) => ExpectedPath);
  /**
   * The |Sec-WebSocket-Extensions| header the client sends, exactly as written (RFC 6455 §9.1),
   * e.g. `permessage-deflate; client_no_context_takeover; client_max_window_bits`. The client
   * checks the server's answer (RFC 7692 §7.1) and fails the opening handshake on a bad one.
   */
  extensionOffer?: string;
  /**
   * The server's |Sec-WebSocket-Extensions| answer the case requires, compared element by
   * element with parameters in any order; `null`: the server must answer with no extension.
   */
  extensionResponse?: string | null;
  /**
   * Record each message as a `messageDigest` (length and SHA-1) instead of its payload: for cases
   * that exchange hundreds of megabytes. Such cases check their events with `checkEvents`.
   */
  digestMessages?: boolean;
  /**
   * The events the real suite grades NON-STRICT (accepted, but not OK): e.g. an endpoint that
   * checks UTF-8 only once a message is complete (6.4.x), or one that fails the connection
   * before echoing the message sent before the bad frame (3.x, 4.x, 5.15).
   */
  nonStrict?: readonly (readonly ExpectedEvent[])[];
  /** Graded INFORMATIONAL by the real suite: behaviour is not graded, closing behaviour is. */
  informational?: boolean;
  /** Extra time for the case (large payloads), in ms. */
  timeoutMs?: number;
}
