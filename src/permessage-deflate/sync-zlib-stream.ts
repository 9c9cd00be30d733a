/**
 * One zlib deflate or inflate context, kept from message to message and driven synchronously.
 *
 * RFC 7692 §7.2.3.2 lets both ends keep their LZ77 sliding window between messages ("context
 * takeover"), so a message may refer back to the previous ones. That needs a zlib stream that
 * outlives one message. Node's public zlib API has one-shot synchronous calls (a fresh context
 * each time) and asynchronous streams (one job per write on the libuv thread pool). A WebSocket
 * server wants neither: a fresh context costs its set-up on every message and throws the window
 * away, and an asynchronous job per message costs a thread hop and makes the sans-I/O core wait.
 *
 * So this drives a zlib stream's native handle the way Node's own synchronous one-shot calls do
 * (`processChunkSync` in lib/zlib.js): `handle.writeSync(flush, in, inOff, inLen, out, outOff,
 * outLen)`, then read what is left of input and output from the stream's `_writeState`. Those
 * members are internal, but unchanged from Node 10 to Node 24; `syncZlibStreamsWork`
 * checks for them once, with a round trip, and where they are missing the server declines
 * permessage-deflate (RFC 7692 §5: a server may always decline) rather than misbehave.
 */
import { constants, createDeflateRaw, inflateRawSync, type DeflateRaw, type InflateRaw } from 'node:zlib';

/** The internal members of a Node zlib stream this module uses. */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void;
}
interface ZlibStreamInternals {
  _handle: ZlibHandle | null;
  /** [avail_out, avail_in] after the last write. */
  _writeState: Uint32Array;
}

/** zlib failed (corrupt input, out of memory): the stream is closed. */
export class ZlibStreamError extends Error {
  override readonly name = 'ZlibStreamError';
}
/** The output passed the caller's limit: the stream stopped there, in the middle of its input. */
export class ZlibOutputTooLarge extends Error {
  override readonly name = 'ZlibOutputTooLarge';
}

/**
 * Output is produced into one scratch buffer shared by every stream (JavaScript runs one write
 * at a time) and copied out at the exact size, so a stream holds no output memory between
 * messages and a small message does not pin a large buffer.
 */
const SCRATCH_SIZE = 64 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);

function ignoreError(): void {
  // zlib errors are read from `stream.errored` right after the write; the 'error' event that
  // Node also emits on the next tick must not become an uncaught exception.
}

/** Compress a word through a SyncZlibStream and decompress it with the public API. */
function roundTripWorks(): boolean {
  try {
    const stream = createDeflateRaw();
    const internals = stream as unknown as Partial<ZlibStreamInternals>;
    const shaped = typeof internals._handle?.writeSync === 'function' && internals._writeState instanceof Uint32Array;
    if (!shaped) {
      stream.close();
      return false;
    }
    const sync = new SyncZlibStream(stream);
    sync.write(Buffer.from('statesocket'), constants.Z_SYNC_FLUSH);
    const compressed = sync.take();
    sync.close();
    return inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH }).toString() === 'statesocket';
  } catch {
    return false;
  }
}

export class SyncZlibStream {
  private stream: (DeflateRaw | InflateRaw) & Partial<ZlibStreamInternals>;
  /** The output of the current message so far: what each zlib call wrote, copied out of the scratch buffer. */
  private pieces: Buffer[] = [];
  private produced = 0;
  /**
   * The stream ended (an inflater read a block with BFINAL set): zlib takes no more input
   * until `reset()`. Read after each write.
   */
  ended = false;

  constructor(stream: DeflateRaw | InflateRaw) {
    this.stream = stream;
    stream.on('error', ignoreError);
  }

  /**
   * Feed `input` and flush with `flush` (e.g. Z_SYNC_FLUSH); the output is kept until `take()`.
   * Throws ZlibOutputTooLarge once the output of the current message passes `maxOutput`, and
   * ZlibStreamError if zlib fails; either way the current message is lost. With `keepOutput`
   * false the output is dropped uncounted (an inflater primed with a window it already knows).
   */
  write(input: Uint8Array, flush: number, maxOutput = Infinity, keepOutput = true): void {
    const stream = this.stream as ZlibStreamInternals & (DeflateRaw | InflateRaw);
    const handle = stream._handle;
    if (handle === null) throw new ZlibStreamError('the zlib stream is closed');
    const state = stream._writeState;
    let inOffset = 0;
    let inLength = input.length;
    for (;;) {
      handle.writeSync(flush, input, inOffset, inLength, scratch, 0, SCRATCH_SIZE);
      if (stream.errored) throw new ZlibStreamError(stream.errored.message);
      const outLeft = state[0]!;
      const inLeft = state[1]!;
      const have = SCRATCH_SIZE - outLeft;
      if (have > 0 && keepOutput) {
        this.produced += have;
        if (this.produced > maxOutput) {
          this.pieces = [];
          this.produced = 0;
          throw new ZlibOutputTooLarge();
        }
        this.pieces.push(Buffer.from(scratch.subarray(0, have)));
      }
      inOffset += inLength - inLeft;
      inLength = inLeft;
      // zlib stops when it runs out of output space: go on until it leaves some unused.
      if (outLeft === 0) continue;
      // Output space left but input refused: the stream has ended (as Node's own zlib streams
      // conclude in the same case); what follows the end is not read.
      if (inLeft !== 0) this.ended = true;
      return;
    }
  }

  /** The output written since the last `take()`, as one buffer. */
  take(): Buffer {
    const pieces = this.pieces;
    const output = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, this.produced);
    this.pieces = [];
    this.produced = 0;
    return output;
  }

  /** Forget the window: the next message starts afresh (no context takeover). */
  reset(): void {
    this.pieces = [];
    this.produced = 0;
    this.ended = false;
    this.stream.reset();
  }

  /** Free zlib's memory now rather than at garbage collection. */
  close(): void {
    this.pieces = [];
    this.produced = 0;
    this.stream.close();
  }
}

/** Whether this Node has the internal members SyncZlibStream drives (checked once, at load). */
export const syncZlibStreamsWork: boolean = roundTripWorks();
