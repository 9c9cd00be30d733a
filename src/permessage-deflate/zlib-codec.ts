/**
 * RFC 7692 §7.2 with Node's zlib: compressing and decompressing whole messages.
 *
 * Every call is a synchronous one-shot zlib job, so at most one zlib job runs at a time in the
 * process and no zlib stream is held between messages (no per-connection compressor memory,
 * none of the fragmentation that many concurrent zlib streams cause). Context takeover of the
 * client's messages is kept by handing the inflater the last 32 KiB of earlier messages as its
 * preset dictionary, which is exactly the LZ77 window the client's compressor refers back to.
 * The server compresses each message on its own: never referring to earlier messages is
 * always decodable, whatever context takeover was negotiated.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { NegotiatedPerMessageDeflate, PerMessageDeflateOptions } from './negotiation.js';
import type { MessageCompressor } from '../connection-protocol.js';

/** §7.2.1: the four octets removed from the end of each compressed message. */
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** The largest LZ77 window: what a peer's compressor may refer back to. */
const MAX_WINDOW = 32 * 1024;

export class InflatedTooLarge extends Error {
  override readonly name = 'InflatedTooLarge';
}
export class CorruptDeflateData extends Error {
  override readonly name = 'CorruptDeflateData';
}

export class PerMessageDeflateCodec implements MessageCompressor {
  /** The end of the client's earlier messages, when it may use context takeover. */
  private window: Buffer | undefined;

  private readonly level: number;
  private readonly memLevel: number;
  readonly threshold: number;

  constructor(
    readonly agreed: NegotiatedPerMessageDeflate,
    options: PerMessageDeflateOptions,
  ) {
    this.level = options.level ?? 1;
    this.memLevel = options.memLevel ?? 8;
    this.threshold = options.threshold ?? 1024;
  }

  /**
   * §7.2.2: append 00 00 ff ff and inflate. Throws InflatedTooLarge as soon as the output
   * would pass `maxSize` (zlib stops there), CorruptDeflateData on invalid data.
   */
  inflate(compressed: readonly Buffer[], maxSize: number): Buffer {
    const input = Buffer.concat([...compressed, SYNC_FLUSH_TAIL]);
    let output: Buffer;
    try {
      output = inflateRawSync(input, {
        windowBits: 15,
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(1, maxSize),
        ...(this.window ? { dictionary: this.window } : {}),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new InflatedTooLarge();
      throw new CorruptDeflateData((error as Error).message);
    }
    if (output.length > maxSize) throw new InflatedTooLarge();
    // §7.1.1.2: with client_no_context_takeover the client starts every message afresh.
    if (!this.agreed.clientNoContextTakeover) this.rememberWindow(output);
    return output;
  }

  /** §7.2.1: compress, end with a sync flush, and remove the trailing 00 00 ff ff. */
  deflate(data: Uint8Array): Buffer {
    const output = deflateRawSync(data, {
      level: this.level,
      memLevel: this.memLevel,
      windowBits: this.agreed.serverMaxWindowBits,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    return output.subarray(0, output.length - SYNC_FLUSH_TAIL.length);
  }

  private rememberWindow(output: Buffer): void {
    if (output.length >= MAX_WINDOW) {
      this.window = Buffer.from(output.subarray(output.length - MAX_WINDOW));
    } else if (output.length > 0) {
      const previous = this.window ?? Buffer.alloc(0);
      const keep = Math.min(previous.length, MAX_WINDOW - output.length);
      this.window = Buffer.concat([previous.subarray(previous.length - keep), output]);
    }
  }
}
