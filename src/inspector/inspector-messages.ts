/**
 * The JSON messages between the inspector feed (inspector-feed.ts) and its page
 * (inspector-page-script.ts), over the WebSocket at `/inspect/events`.
 *
 * The feed sends at most one `update` per flush interval: the connection list (only when it
 * changed, and its counters at most every few flushes) and, for the connection the page selected,
 * the events it has not seen yet. What a connection's buffer no longer holds is counted in
 * `dropped`; flushes skipped because the page was not reading are counted in `skippedUpdates`.
 */
import type { EventDetail, FrameDirection } from './inspection-hooks.js';

/** One connection in the list. Counters count everything, not only what is kept. */
export interface ConnectionSummary {
  readonly id: number;
  /** The request path and query of the opening handshake. */
  readonly path: string;
  /**
   * Which side statesocket is: `server` (a connection of its server) or `client` (a client
   * connection, `new WebSocket(url)`; its machines are in the client role's states).
   */
  readonly role: 'server' | 'client';
  /** The peer: the client's address for a server-side connection, the server's host and port for a client. */
  readonly remoteAddress: string;
  /** ms since the epoch. */
  readonly openedAt: number;
  readonly closedAt: number | undefined;
  /** The state path of the connection, message and closingHandshake machines. */
  readonly states: readonly [string, string, string];
  readonly transitions: number;
  readonly messagesIn: number;
  readonly framesIn: number;
  readonly framesOut: number;
  /** §7.1.5 _The WebSocket Connection Close Code_, once closed after an opening handshake. */
  readonly closeCode: number | undefined;
  readonly closeReason: string | undefined;
  /** The HTTP status of a refused opening handshake. */
  readonly refusedStatus: number | undefined;
  /**
   * When the server failed the connection (§7.1.7): the close code it sent, and the error code and
   * its words (`WS_ERR_INVALID_UTF8`, `invalid UTF-8`) when the failing transition named them. The
   * application's `closeCode` is then 1006 (§7.1.5).
   */
  readonly failure:
    | { readonly closeCode: number | undefined; readonly error: string | undefined; readonly cause: string | undefined }
    | undefined;
  /** permessage-deflate, when agreed (RFC 7692); undefined when not. */
  readonly compression?: CompressionSummary | undefined;
}

/** What compression does on one connection (src/permessage-deflate/zlib-codec.ts). */
export interface CompressionSummary {
  /** The agreed parameters: the |Sec-WebSocket-Extensions| value of the 101 response. */
  readonly parameters: string;
  /** Compressed octets received, and what they inflated to. */
  readonly inflatedFrom: number;
  readonly inflatedTo: number;
  /** Octets of messages sent compressed, and what they were compressed to. */
  readonly deflatedFrom: number;
  readonly deflatedTo: number;
  /** Octets the wire did not carry thanks to compression, both ways (negative when it grew). */
  readonly bytesSaved: number;
  /** Whether the connection holds a deflate context of its own now (it sends often; released when idle). */
  readonly holdsDeflateContext: boolean;
  /** Octets of the peer's window kept for its next message (§7.2.2). */
  readonly peerWindowBytes: number;
}

export interface TransitionEntry {
  readonly kind: 'transition';
  readonly seq: number;
  readonly time: number;
  readonly machine: string;
  readonly event: string;
  readonly source: string;
  readonly target: string;
  /** `sendCloseFrame(closeCode: 1002)`, as the diagrams write them. */
  readonly actions: readonly string[];
  /** The event's fields worth showing (see `eventDetail` in inspection-hooks.ts). */
  readonly detail: EventDetail | undefined;
}

export interface FrameEntry {
  readonly kind: 'frame';
  readonly seq: number;
  readonly time: number;
  readonly direction: FrameDirection;
  readonly opcode: number;
  /** The payload length (compressed, for a compressed message). */
  readonly length: number;
  readonly fin: boolean;
  readonly rsv1: boolean;
  /** The status code of a Close frame that has one. */
  readonly closeCode: number | undefined;
}

export interface ClosedEntry {
  readonly kind: 'closed';
  readonly seq: number;
  readonly time: number;
  readonly code: number;
  readonly reason: string;
}

export type InspectionEntry = TransitionEntry | FrameEntry | ClosedEntry;

export interface ListUpdate {
  /** The most recently opened live connections, newest first, at most `maxListed`. */
  readonly live: readonly ConnectionSummary[];
  readonly liveTotal: number;
  /** Recently closed connections, most recently closed first (the bounded history). */
  readonly closed: readonly ConnectionSummary[];
}

export interface DetailUpdate {
  readonly id: number;
  /** True when the page must start the log over (a new selection). */
  readonly reset: boolean;
  readonly summary: ConnectionSummary;
  readonly entries: readonly InspectionEntry[];
  /** Events that happened but were no longer kept when this update was made. */
  readonly dropped: number;
}

export interface FeedUpdate {
  readonly type: 'update';
  readonly list?: ListUpdate;
  readonly detail?: DetailUpdate;
  /** Flushes not sent so far because the page read too slowly. */
  readonly skippedUpdates: number;
}

/** What the page asks: show one connection, or always the newest one. */
export type PageRequest = { readonly type: 'select'; readonly id: number } | { readonly type: 'follow' };
