/**
 * RFC 7692 §7.2 with Node's zlib: compressing and decompressing whole messages.
 *
 * Each direction has one zlib context, driven synchronously (sync-zlib-stream.ts), so a message
 * is compressed or decompressed within the call that hands it over and the sans-I/O core never
 * waits. Where context takeover is agreed (§7.1.1), the context lives as long as the connection
 * and each message may refer back to the earlier ones; where it is not, the context is reset
 * after every message and one context per set of parameters serves every connection of the
 * process, so a connection holds no zlib memory between messages.
 */
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import type { NegotiatedPerMessageDeflate, PerMessageDeflateOptions } from './negotiation.js';
import type { MessageCompressor } from '../connection-protocol.js';
import { SyncZlibStream, ZlibOutputTooLarge } from './sync-zlib-stream.js';

/** §7.2.1: the four octets removed from the end of each compressed message. */
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** §7.2.3.6: an empty message may be sent as this single octet (an empty stored block, tail removed). */
const EMPTY_MESSAGE = Buffer.from([0x00]);
/**
 * The inflater's window: 15 bits takes any client_max_window_bits the client may use (§7.1.2.2:
 * the client's window is at most what it announced, and a larger inflate window reads it).
 */
const INFLATE_WINDOW_BITS = 15;

export class InflatedTooLarge extends Error {
  override readonly name = 'InflatedTooLarge';
}
export class CorruptDeflateData extends Error {
  override readonly name = 'CorruptDeflateData';
}

/** Contexts reset after every message, shared by all connections with the same parameters. */
const sharedStreams = new Map<string, SyncZlibStream>();

function sharedStream(key: string, create: () => SyncZlibStream): SyncZlibStream {
  let stream = sharedStreams.get(key);
  if (stream === undefined) sharedStreams.set(key, (stream = create()));
  return stream;
}

function newInflater(): SyncZlibStream {
  return new SyncZlibStream(createInflateRaw({ windowBits: INFLATE_WINDOW_BITS }));
}

export class PerMessageDeflateCodec implements MessageCompressor {
  /** This connection's own contexts, when context takeover keeps them between messages. */
  private inflater: SyncZlibStream | undefined;
  private deflater: SyncZlibStream | undefined;

  private readonly level: number;
  private readonly memLevel: number;
  readonly threshold: number;
  /** The key of the shared deflate context, for server_no_context_takeover. */
  private readonly sharedDeflaterKey: string;

  constructor(
    readonly agreed: NegotiatedPerMessageDeflate,
    options: PerMessageDeflateOptions,
  ) {
    this.level = options.level ?? 1;
    this.memLevel = options.memLevel ?? 8;
    this.threshold = options.threshold ?? 1024;
    this.sharedDeflaterKey = `deflate ${this.level} ${this.memLevel} ${agreed.serverMaxWindowBits}`;
  }

  /**
   * §7.2.2: append 00 00 ff ff and inflate. Throws InflatedTooLarge as soon as the output
   * would pass `maxSize` (zlib stops there), CorruptDeflateData on invalid data.
   */
  inflate(compressed: readonly Buffer[], maxSize: number): Buffer {
    // §7.1.1.2: with client_no_context_takeover the client starts every message afresh.
    const noContext = this.agreed.clientNoContextTakeover;
    const inflater = noContext ? sharedStream('inflate', newInflater) : (this.inflater ??= newInflater());
    try {
      for (const chunk of compressed) inflater.write(chunk, constants.Z_SYNC_FLUSH, maxSize);
      inflater.write(SYNC_FLUSH_TAIL, constants.Z_SYNC_FLUSH, maxSize);
    } catch (error) {
      // A context stopped in the middle of a message (or closed by zlib) cannot go on.
      this.discard(inflater, noContext ? 'inflate' : undefined);
      if (error instanceof ZlibOutputTooLarge) throw new InflatedTooLarge();
      throw new CorruptDeflateData((error as Error).message);
    }
    const output = inflater.take();
    // §7.2.3.3: a sender that cannot sync-flush may end a message with a block that has BFINAL
    // set; zlib then ends the stream and reads nothing more. The next message starts a new
    // stream (as ws does): should it refer back to this one, inflating it fails as corrupt data.
    if (noContext || inflater.ended) inflater.reset();
    return output;
  }

  /** §7.2.1: compress, end with a sync flush, and remove the trailing 00 00 ff ff. */
  deflate(data: Uint8Array): Buffer {
    if (data.length === 0) return EMPTY_MESSAGE;
    // §7.1.1.1: with server_no_context_takeover the server starts every message afresh.
    const noContext = this.agreed.serverNoContextTakeover;
    const deflater = noContext ? sharedStream(this.sharedDeflaterKey, () => this.newDeflater()) : (this.deflater ??= this.newDeflater());
    let output: Buffer;
    try {
      deflater.write(data, constants.Z_SYNC_FLUSH);
      output = deflater.take();
    } catch (error) {
      this.discard(deflater, noContext ? this.sharedDeflaterKey : undefined);
      throw error;
    }
    if (noContext) deflater.reset();
    if (output.length < SYNC_FLUSH_TAIL.length || !output.subarray(output.length - SYNC_FLUSH_TAIL.length).equals(SYNC_FLUSH_TAIL)) {
      throw new Error('zlib ended a sync flush without 00 00 ff ff');
    }
    return output.subarray(0, output.length - SYNC_FLUSH_TAIL.length);
  }

  /** The connection is gone: free its contexts now rather than at garbage collection. */
  close(): void {
    this.inflater?.close();
    this.deflater?.close();
    this.inflater = undefined;
    this.deflater = undefined;
  }

  private newDeflater(): SyncZlibStream {
    return new SyncZlibStream(
      createDeflateRaw({ level: this.level, memLevel: this.memLevel, windowBits: this.agreed.serverMaxWindowBits }),
    );
  }

  /** Close a context that failed; a shared one is replaced on next use. */
  private discard(stream: SyncZlibStream, sharedKey: string | undefined): void {
    stream.close();
    if (sharedKey !== undefined) sharedStreams.delete(sharedKey);
    else if (stream === this.inflater) this.inflater = undefined;
    else if (stream === this.deflater) this.deflater = undefined;
  }
}
