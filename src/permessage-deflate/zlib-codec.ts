/**
 * RFC 7692 §7.2 with Node's zlib: compressing and decompressing whole messages.
 *
 * zlib runs synchronously (sync-zlib-stream.ts), so a message is compressed or decompressed
 * within the call that hands it over and the sans-I/O core never waits. What a connection
 * holds between messages is kept as small as the RFC allows:
 *
 * - Inflating: one zlib inflater serves every connection of the process. A connection keeps
 *   only the peer's last window of plaintext (peer-window.ts, at most 2^client_max_window_bits
 *   octets, none with client_no_context_takeover) and restores it into the inflater before its
 *   next message when another connection used the inflater in between (§7.2.2).
 * - Deflating: a message is compressed by a context shared by the process and reset after it,
 *   unless the connection already sent a compressed message within the idle time: then it gets
 *   a context of its own and later messages may refer back to earlier ones (§7.1.1.1 context
 *   takeover, a "MAY" for the server). With server_no_context_takeover it never gets one.
 * - After `releaseAfterIdleMs` without a compressed message (idle-release.ts), the connection's
 *   own deflate context is closed and its copy of the peer's window trimmed to size.
 */
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import type { NegotiatedPerMessageDeflate, PerMessageDeflateOptions } from './negotiation.js';
import type { MessageCompressor } from '../connection-protocol.js';
import { SyncZlibStream, ZlibOutputTooLarge } from './sync-zlib-stream.js';
import { PeerWindow } from './peer-window.js';
import { idleSweep, type IdleReleasable, type IdleSweep } from './idle-release.js';

/** §7.2.1: the four octets removed from the end of each compressed message. */
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** §7.2.3.6: an empty message may be sent as this single octet (an empty stored block, tail removed). */
const EMPTY_MESSAGE = Buffer.from([0x00]);
/**
 * The inflater's window: 15 bits takes any client_max_window_bits the client may use (§7.1.2.2:
 * the client's window is at most what it announced, and a larger inflate window reads it).
 */
const INFLATE_WINDOW_BITS = 15;
/** Default idle time after which a connection's compression contexts are released. */
export const DEFAULT_RELEASE_AFTER_IDLE_MS = 5_000;

export class InflatedTooLarge extends Error {
  override readonly name = 'InflatedTooLarge';
}
export class CorruptDeflateData extends Error {
  override readonly name = 'CorruptDeflateData';
}

/** Octets in and out of zlib on one connection, for the inspector. */
export interface CompressionCounts {
  /** Compressed octets received, and what they inflated to. */
  inflatedFrom: number;
  inflatedTo: number;
  /** Octets of messages compressed, and what they were compressed to (tail removed). */
  deflatedFrom: number;
  deflatedTo: number;
}

/**
 * The process's inflater and whose window it holds: a codec (its window is in the inflater's,
 * the next message of that codec needs no restoring), 'fresh' (just reset), 'used' (holds a
 * window nobody will continue).
 */
let sharedInflater: SyncZlibStream | undefined;
let inflaterHolds: PerMessageDeflateCodec | 'fresh' | 'used' = 'fresh';

/** Deflate contexts reset after every message, one per set of parameters. */
const sharedDeflaters = new Map<string, SyncZlibStream>();

function newInflater(): SyncZlibStream {
  return new SyncZlibStream(createInflateRaw({ windowBits: INFLATE_WINDOW_BITS }));
}

export class PerMessageDeflateCodec implements MessageCompressor, IdleReleasable {
  /** The peer's window when it may use context takeover (§7.1.1.2); undefined with client_no_context_takeover. */
  readonly peerWindow: PeerWindow | undefined;
  /** This connection's own deflate context, while it sends often enough to keep one. */
  private deflater: SyncZlibStream | undefined;
  /** A compressed message went out since the last release: the next one gets its own context. */
  private deflatedSinceRelease = false;
  readonly counts: CompressionCounts = { inflatedFrom: 0, inflatedTo: 0, deflatedFrom: 0, deflatedTo: 0 };

  private readonly level: number;
  private readonly memLevel: number;
  readonly threshold: number;
  /** The key of the shared deflate context for this connection's parameters. */
  private readonly sharedDeflaterKey: string;
  /** undefined when `releaseAfterIdleMs` is 0: nothing is kept between messages. */
  private readonly sweep: IdleSweep | undefined;
  /** @internal IdleReleasable */ idleTick = 0;
  /** @internal IdleReleasable */ swept = false;

  constructor(
    readonly agreed: NegotiatedPerMessageDeflate,
    options: PerMessageDeflateOptions,
  ) {
    this.level = options.level ?? 1;
    this.memLevel = options.memLevel ?? 8;
    this.threshold = options.threshold ?? 1024;
    this.sharedDeflaterKey = `${this.level} ${this.memLevel} ${agreed.serverMaxWindowBits}`;
    const idleMs = options.releaseAfterIdleMs ?? DEFAULT_RELEASE_AFTER_IDLE_MS;
    this.sweep = idleMs > 0 ? idleSweep(idleMs) : undefined;
    // §7.1.1.2: with client_no_context_takeover the client starts every message afresh.
    this.peerWindow = agreed.clientNoContextTakeover ? undefined : new PeerWindow(agreed.clientMaxWindowBits);
  }

  /**
   * §7.2.2: append 00 00 ff ff and inflate. Throws InflatedTooLarge as soon as the output
   * would pass `maxSize` (zlib stops there), CorruptDeflateData on invalid data.
   */
  inflate(compressed: readonly Buffer[], maxSize: number): Buffer {
    const inflater = (sharedInflater ??= newInflater());
    const window = this.peerWindow;
    let output: Buffer;
    try {
      if (inflaterHolds !== this || window === undefined) {
        if (inflaterHolds !== 'fresh') inflater.reset();
        // §7.2.2: restore the window the peer's compressor refers back to.
        if (window !== undefined) for (const part of window.storedBlocks()) inflater.write(part, constants.Z_SYNC_FLUSH, Infinity, false);
      }
      inflaterHolds = this;
      for (const chunk of compressed) {
        inflater.write(chunk, constants.Z_SYNC_FLUSH, maxSize);
        this.counts.inflatedFrom += chunk.length;
      }
      inflater.write(SYNC_FLUSH_TAIL, constants.Z_SYNC_FLUSH, maxSize);
      output = inflater.take();
    } catch (error) {
      // An inflater stopped in the middle of a message (or closed by zlib) cannot go on.
      inflater.close();
      sharedInflater = undefined;
      inflaterHolds = 'fresh';
      if (error instanceof ZlibOutputTooLarge) throw new InflatedTooLarge();
      throw new CorruptDeflateData((error as Error).message);
    }
    this.counts.inflatedTo += output.length;
    if (inflater.ended) {
      // §7.2.3.3: a sender that cannot sync-flush may end a message with a block that has BFINAL
      // set; zlib then ends the stream and reads nothing more. The next message starts a new
      // stream (as ws does): should it refer back to this one, inflating it fails as corrupt data.
      inflater.reset();
      inflaterHolds = 'fresh';
      window?.clear();
    } else {
      window?.append(output);
    }
    this.sweep?.touch(this);
    return output;
  }

  /** §7.2.1: compress, end with a sync flush, and remove the trailing 00 00 ff ff. */
  deflate(data: Uint8Array): Buffer {
    if (data.length === 0) return EMPTY_MESSAGE;
    const deflater = this.deflater ?? this.deflaterForThisMessage();
    let output: Buffer;
    try {
      deflater.write(data, constants.Z_SYNC_FLUSH);
      output = deflater.take();
    } catch (error) {
      deflater.close();
      if (deflater === this.deflater) this.deflater = undefined;
      else sharedDeflaters.delete(this.sharedDeflaterKey);
      throw error;
    }
    if (deflater !== this.deflater) deflater.reset();
    if (output.length < SYNC_FLUSH_TAIL.length || !output.subarray(output.length - SYNC_FLUSH_TAIL.length).equals(SYNC_FLUSH_TAIL)) {
      throw new Error('zlib ended a sync flush without 00 00 ff ff');
    }
    this.counts.deflatedFrom += data.length;
    this.counts.deflatedTo += output.length - SYNC_FLUSH_TAIL.length;
    if (this.sweep !== undefined) {
      this.deflatedSinceRelease = true;
      this.sweep.touch(this);
    }
    return output.subarray(0, output.length - SYNC_FLUSH_TAIL.length);
  }

  /** Whether the connection holds a deflate context of its own now (for the tests and the inspector). */
  get holdsDeflateContext(): boolean {
    return this.deflater !== undefined;
  }

  /** @internal IdleReleasable: quiet for the idle time; §7.1.1.1 lets the server drop its history. */
  releaseIdle(): void {
    this.deflater?.close();
    this.deflater = undefined;
    this.deflatedSinceRelease = false;
    this.peerWindow?.compact();
  }

  /** The connection is gone: free its contexts now rather than at garbage collection. */
  close(): void {
    this.releaseIdle();
    this.peerWindow?.clear();
    this.sweep?.remove(this);
    if (inflaterHolds === this) inflaterHolds = 'used';
  }

  /**
   * §7.1.1.1: a connection that sent a compressed message within the idle time gets a context
   * of its own, kept across messages; otherwise (and always with server_no_context_takeover)
   * the message is compressed on its own by the shared context, reset after it.
   */
  private deflaterForThisMessage(): SyncZlibStream {
    if (this.deflatedSinceRelease && !this.agreed.serverNoContextTakeover) return (this.deflater = this.newDeflater());
    let shared = sharedDeflaters.get(this.sharedDeflaterKey);
    if (shared === undefined) sharedDeflaters.set(this.sharedDeflaterKey, (shared = this.newDeflater()));
    return shared;
  }

  private newDeflater(): SyncZlibStream {
    return new SyncZlibStream(
      createDeflateRaw({ level: this.level, memLevel: this.memLevel, windowBits: this.agreed.serverMaxWindowBits }),
    );
  }
}
