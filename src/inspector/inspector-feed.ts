/**
 * The live inspector's server side: it records what every connection's machines do and sends
 * it, batched, to the inspector pages open at `/inspect` over the server's own WebSocket at
 * `/inspect/events` (a connection never inspected itself).
 *
 * Cost. Off, there is no inspector: the hooks are undefined and the core does one `?.` check per
 * transition. On, each transition is recorded into its connection's ring buffer (the last
 * `eventsPerConnection` events) and counted — nothing is formatted or sent then. Every
 * `flushIntervalMs`, and only while a page is open, each page gets one message: the connection
 * list when it changed (its counters at most every LIST_REFRESH_FLUSHES flushes), and the new
 * events of the one connection it selected. A page that does not read is skipped, not queued.
 * What was dropped is counted and shown on the page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { WebSocketConnection } from '../websocket-connection.js';
import { ConnectionRecord } from './connection-record.js';
import type { FrameHook, TransitionHook } from './inspection-hooks.js';
import type { ConnectionSummary, DetailUpdate, FeedUpdate, ListUpdate, PageRequest } from './inspector-messages.js';
import {
  inspectorPageHtml,
  inspectorPageSecurityPolicy,
  statelyBridgeHtml,
  statelyBridgeSecurityPolicy,
} from './inspector-page.js';
import { StatelyForwarder, type StatelyOptions } from './stately-forwarder.js';

export interface InspectOptions {
  /** Closed connections kept for the page. Default 100. */
  historySize?: number;
  /** Events (transitions, frames, the close) kept per connection: the last N. Default 200. */
  eventsPerConnection?: number;
  /** How often pages are sent what changed, in ms. Default 100. */
  flushIntervalMs?: number;
  /** Live connections listed (the most recently opened); the page says how many more there are. Default 200. */
  maxListed?: number;
  /**
   * Also forward the inspection events to Stately's inspector through @statelyai/inspect:
   * `true` for the page at `/inspect/stately` (which embeds Stately's online viewer).
   */
  stately?: boolean | StatelyOptions;
}

export const inspectorPaths = {
  page: '/inspect',
  events: '/inspect/events',
  statelyPage: '/inspect/stately',
  statelyEvents: '/inspect/stately/events',
} as const;

/** Stop sending to a page while this many bytes wait to be written to it. */
const PAGE_HIGH_WATER_MARK = 512 * 1024;
/** The list's counters are sent at most every this many flushes; new and closed connections at every flush. */
const LIST_REFRESH_FLUSHES = 5;

interface Page {
  readonly connection: WebSocketConnection;
  selected: number | undefined;
  follow: boolean;
  /** The seq of the last event of the selected connection sent to the page. */
  sentSeq: number;
  reset: boolean;
  sentMembership: number;
  sentCounters: number;
  flushesSinceList: number;
  skippedUpdates: number;
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0]!;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Browsers may open the inspector's WebSockets only from the inspector's own pages: the Origin
 * must be this Host, and the Host an IP address or localhost, since a DNS name could be rebound to
 * 127.0.0.1 by another site. Clients that send no Origin are not browsers and are let in.
 */
export function isInspectorOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.host !== request.headers.host) return false;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return hostname === 'localhost' || isIP(hostname) !== 0;
}

export class InspectorFeed {
  private readonly historySize: number;
  private readonly eventsPerConnection: number;
  private readonly flushIntervalMs: number;
  private readonly maxListed: number;
  private readonly records = new WeakMap<WebSocketConnection, ConnectionRecord>();
  /** By id, in the order they opened. */
  private readonly live = new Map<number, ConnectionRecord>();
  /** In the order they closed, at most `historySize`. */
  private readonly closed: ConnectionRecord[] = [];
  private readonly pages = new Set<Page>();
  private readonly stately: StatelyForwarder | undefined;
  private nextId = 1;
  private membershipVersion = 0;
  private countersVersion = 0;
  private timer: NodeJS.Timeout | undefined;
  private pageHtml: Promise<string> | undefined;
  /** The time of this turn of the event loop (see `now`). */
  private clock: number | undefined;
  private readonly resetClock = () => (this.clock = undefined);

  constructor(options: InspectOptions = {}) {
    this.historySize = options.historySize ?? 100;
    this.eventsPerConnection = Math.max(1, options.eventsPerConnection ?? 200);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxListed = options.maxListed ?? 200;
    if (options.stately) this.stately = new StatelyForwarder(options.stately === true ? {} : options.stately);
  }

  /** For the server's `onTransition`: record one transition of an inspected connection. */
  readonly onTransition: TransitionHook = (connection, transition, event) => {
    const record = this.records.get(connection) ?? this.register(connection);
    record.recordTransition(transition, event, this.now());
    this.countersVersion++;
    this.stately?.transition(record, transition, event);
    if (transition.machineId === 'connection' && transition.target === 'closed') this.retire(record);
  };

  /** For the server's `onFrame`: record one frame header in or out. */
  readonly onFrame: FrameHook = (connection, direction, opcode, payloadLength, fin, rsv1) => {
    const record = this.records.get(connection) ?? this.register(connection);
    record.recordFrame(direction, opcode, payloadLength, fin, rsv1, this.now());
    this.countersVersion++;
  };

  /** Serve the inspector's pages; false for any other request. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = pathOf(request.url);
    if (path === inspectorPaths.page) {
      this.pageHtml ??= inspectorPageHtml({
        eventsPath: inspectorPaths.events,
        flushIntervalMs: this.flushIntervalMs,
        eventsPerConnection: this.eventsPerConnection,
        historySize: this.historySize,
      });
      this.pageHtml.then(
        (html) => respond(request, response, 200, html, inspectorPageSecurityPolicy),
        (error: Error) => {
          this.pageHtml = undefined;
          respond(request, response, 500, `the inspector page could not be drawn: ${error.message}\n`, "default-src 'none'");
        },
      );
      return true;
    }
    if (path === inspectorPaths.statelyPage && this.stately?.bridge !== undefined) {
      respond(request, response, 200, statelyBridgeHtml(inspectorPaths.statelyEvents), statelyBridgeSecurityPolicy);
      return true;
    }
    return false;
  }

  /**
   * For an upgrade request: undefined when it is not for one of the inspector's WebSockets;
   * 'refused' when it is but may not have it (a 403 is sent); else what to do with the
   * connection once open. The server opens it without inspection hooks.
   */
  pageUpgrade(request: IncomingMessage, socket: Socket): ((connection: WebSocketConnection) => void) | 'refused' | undefined {
    const path = pathOf(request.url);
    const bridge = this.stately?.bridge;
    let attach: ((connection: WebSocketConnection) => void) | undefined;
    if (path === inspectorPaths.events) attach = (connection) => this.addPage(connection);
    else if (path === inspectorPaths.statelyEvents && bridge !== undefined) attach = (connection) => bridge.addPage(connection);
    if (attach === undefined) return undefined;
    if (!isInspectorOrigin(request)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return 'refused';
    }
    return attach;
  }

  /** Connections inspected so far, live and kept closed (for tests and tools). */
  get connectionIds(): { live: number[]; closed: number[] } {
    return { live: [...this.live.keys()], closed: this.closed.map((record) => record.id) };
  }

  /** The summary of a connection inspected so far, live or kept closed (for tests and tools). */
  summaryOf(id: number): ConnectionSummary | undefined {
    return (this.live.get(id) ?? this.closed.find((record) => record.id === id))?.summary();
  }

  /**
   * Date.now(), read once per turn of the event loop: on some virtual machines it costs 100 ns, more
   * than recording a transition, and the log shows milliseconds. Events handled in one turn share
   * its time.
   */
  private now(): number {
    if (this.clock === undefined) {
      this.clock = Date.now();
      setImmediate(this.resetClock);
    }
    return this.clock;
  }

  private register(connection: WebSocketConnection): ConnectionRecord {
    const record = new ConnectionRecord(
      this.nextId++,
      connection.requestUrl,
      // A client is registered on its first transition, before it has a socket: its peer is the URL's host.
      connection.role === 'client' ? new URL(connection.url).host : (connection.remoteAddress ?? ''),
      Date.now(),
      this.eventsPerConnection,
      connection.role,
    );
    record.compressor = () => connection.compressor;
    this.records.set(connection, record);
    this.live.set(record.id, record);
    this.membershipVersion++;
    connection.once('close', (code, reason) => {
      record.recordClosed(code, reason.toString(), Date.now());
      this.countersVersion++;
    });
    for (const page of this.pages) if (page.follow) select(page, record.id);
    this.stately?.track(record);
    return record;
  }

  private retire(record: ConnectionRecord): void {
    if (!this.live.delete(record.id)) return;
    this.closed.push(record);
    if (this.closed.length > this.historySize) this.closed.shift();
    this.membershipVersion++;
  }

  private find(id: number): ConnectionRecord | undefined {
    return this.live.get(id) ?? this.closed.find((record) => record.id === id);
  }

  private newest(): ConnectionRecord | undefined {
    let newest: ConnectionRecord | undefined;
    for (const record of this.live.values()) newest = record;
    const lastClosed = this.closed.reduce<ConnectionRecord | undefined>((a, b) => (a === undefined || b.id > a.id ? b : a), undefined);
    return newest === undefined || (lastClosed !== undefined && lastClosed.id > newest.id) ? lastClosed : newest;
  }

  private addPage(connection: WebSocketConnection): void {
    const page: Page = {
      connection,
      selected: undefined,
      follow: true,
      sentSeq: 0,
      reset: true,
      sentMembership: -1,
      sentCounters: -1,
      flushesSinceList: 0,
      skippedUpdates: 0,
    };
    const newest = this.newest();
    if (newest !== undefined) select(page, newest.id);
    this.pages.add(page);
    connection.on('message', (data, isBinary) => {
      if (!isBinary) this.onPageRequest(page, String(data));
    });
    connection.once('close', () => {
      this.pages.delete(page);
      if (this.pages.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  private onPageRequest(page: Page, text: string): void {
    let request: PageRequest;
    try {
      request = JSON.parse(text) as PageRequest;
    } catch {
      return;
    }
    if (request.type === 'follow') {
      page.follow = true;
      const newest = this.newest();
      if (newest !== undefined && newest.id !== page.selected) select(page, newest.id);
    } else if (request.type === 'select' && Number.isInteger(request.id)) {
      page.follow = false;
      select(page, request.id);
    }
  }

  /** Send each page what changed since its last update. */
  private flush(): void {
    let list: ListUpdate | undefined;
    for (const page of this.pages) {
      const connection = page.connection;
      if (connection.readyState !== connection.OPEN) continue;
      if (connection.bufferedAmount > PAGE_HIGH_WATER_MARK) {
        page.skippedUpdates++;
        continue;
      }
      page.flushesSinceList++;
      const listDue =
        page.sentMembership !== this.membershipVersion ||
        (page.sentCounters !== this.countersVersion && page.flushesSinceList >= LIST_REFRESH_FLUSHES);
      const detail = this.detailFor(page);
      if (!listDue && detail === undefined) continue;
      const update: { -readonly [K in keyof FeedUpdate]: FeedUpdate[K] } = { type: 'update', skippedUpdates: page.skippedUpdates };
      if (listDue) {
        update.list = list ??= this.listUpdate();
        page.sentMembership = this.membershipVersion;
        page.sentCounters = this.countersVersion;
        page.flushesSinceList = 0;
      }
      if (detail !== undefined) update.detail = detail;
      connection.send(JSON.stringify(update));
    }
  }

  private listUpdate(): ListUpdate {
    const live: ConnectionRecord[] = [];
    for (const record of this.live.values()) live.push(record);
    return {
      live: live.slice(-this.maxListed).reverse().map((record) => record.summary()),
      liveTotal: live.length,
      closed: this.closed.slice().reverse().map((record) => record.summary()),
    };
  }

  private detailFor(page: Page): DetailUpdate | undefined {
    if (page.selected === undefined) return undefined;
    const record = this.find(page.selected);
    if (record === undefined || (!page.reset && record.lastSeq === page.sentSeq)) return undefined;
    const { entries, dropped } = record.entriesSince(page.sentSeq);
    const reset = page.reset;
    page.reset = false;
    page.sentSeq = record.lastSeq;
    return { id: record.id, reset, summary: record.summary(), entries, dropped };
  }
}

function select(page: Page, id: number): void {
  page.selected = id;
  page.sentSeq = 0;
  page.reset = true;
}

function respond(request: IncomingMessage, response: ServerResponse, status: number, body: string, policy: string): void {
  response.writeHead(status, {
    'Content-Type': status === 200 ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
