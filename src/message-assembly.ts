/**
 * The data plane: the payload of the message being received, as the message machine's actions
 * direct (begin, continue, deliver). Payload bytes never enter a machine; what the data plane
 * finds in them — a length over the limit, bytes that are not UTF-8, data that does not inflate —
 * it reports as a failure cause (machines/protocol-events.ts), and the connection machine decides.
 *
 * Nothing here decides a close code or touches a socket.
 */
import type { PayloadViolationType } from '../machines/protocol-events.js';
import { Utf8StreamValidator, isValidUtf8 } from './utf8-validator.js';

/** What the I/O layer provides to compress and decompress messages (RFC 7692 §7.2). */
export interface MessageCompressor {
  /** Inflate a whole message; throws `InflatedTooLarge` past `maxSize`, `CorruptDeflateData` on bad data. */
  inflate(compressed: readonly Buffer[], maxSize: number): Buffer;
  deflate(data: Uint8Array): Buffer;
  /** Messages shorter than this are sent uncompressed. */
  readonly threshold: number;
  /** The connection is closed: release the compression contexts. */
  close(): void;
}

/**
 * A data frame at least this long is gathered into one buffer of its length as it arrives,
 * rather than kept as the socket's chunks and joined when the message ends: each chunk is
 * copied while it is still in the cache and let go at once, and a one-frame message needs no
 * join. (At 1 MiB the join, reading chunks that had gone cold into fresh pages, cost several
 * times a plain copy.) The buffer is allocated only once an eighth of the frame has arrived, so
 * a header announcing a large frame makes the server allocate at most eight times what the peer
 * really sent.
 */
// Stryker disable next-line ArithmeticOperator: equivalent — `128 / 1024` gathers every frame that arrives in several pieces once an eighth is in: the same bytes, memory still bounded by eight times what arrived (test/mutation/equivalent-mutants.md)
const GATHER_FRAME_MIN = 128 * 1024;
const GATHER_AFTER_FRACTION = 8;

/**
 * Payload pieces shorter than this are copied into a tail buffer instead of kept as pieces: a
 * piece costs a Buffer object (about 100 bytes) and pins the socket's read buffer it is a view
 * of, so a message sent as 1-byte fragments would otherwise cost ~125 bytes of server memory per
 * byte (issue 14). The copy is deferred: small pieces are kept as they are until PENDING_MAX of
 * them are waiting (or a larger piece, a gathered frame or the message's end comes), and only
 * then copied into the tail together. A message of a few small fragments (4 KiB in 16 pieces of
 * 256 bytes) is then joined once, as before the tail existed, while a message's memory stays its
 * size plus at most one tail and PENDING_MAX - 1 pieces, and twice its size while `take()` joins.
 */
const COALESCE_BELOW = 1024;
/** Small pieces kept uncopied at most (COALESCE_BELOW). */
const PENDING_MAX = 16;
/** The first tail of a message; each next one doubles, up to TAIL_MAX. */
const TAIL_MIN = 1024;
const TAIL_MAX = 64 * 1024;

const NO_CHUNKS: readonly Buffer[] = Object.freeze([]) as readonly Buffer[];

export class MessageAssembly {
  // The message's pieces; NO_CHUNKS while it has at most one, which is then `single` (most
  // messages: no array per message).
  private chunks = NO_CHUNKS as Buffer[];
  private single: Buffer | undefined;
  private length = 0;
  // Stryker disable next-line BooleanLiteral: equivalent — begin() sets isText before add()/endFrame() read it (test/mutation/equivalent-mutants.md)
  private isText = false;
  // Stryker disable next-line BooleanLiteral: equivalent — begin() sets isCompressed before add()/endFrame() read it (test/mutation/equivalent-mutants.md)
  private isCompressed = false;
  private utf8: Utf8StreamValidator | undefined;
  // The data frame being read, for gathering a large one (GATHER_FRAME_MIN).
  private framePayloadLength = 0;
  private frameReceived = 0;
  private frameBuffer: Buffer | undefined;
  // Small pieces (COALESCE_BELOW): the last `pending` chunks are small pieces not yet copied; the
  // tail's bytes tailStart..tailEnd are the chunk at `tailChunk` (-1: no chunk to extend).
  private tail: Buffer | undefined;
  private tailStart = 0;
  private tailEnd = 0;
  // Stryker disable next-line UnaryOperator: equivalent — read only by copyPending()'s `extend`, which is used only while a tail exists, and a new tail sets tailChunk (test/mutation/equivalent-mutants.md)
  private tailChunk = -1;
  private pending = 0;

  constructor(private readonly maxMessageSize: number) {}

  /** A new message starts (`begin*Message`). */
  begin(isText: boolean, isCompressed: boolean): void {
    this.isText = isText;
    this.isCompressed = isCompressed;
    this.chunks = NO_CHUNKS as Buffer[];
    this.single = undefined;
    this.length = 0;
    this.tail = undefined;
    this.tailStart = this.tailEnd = 0;
    // Stryker disable next-line UnaryOperator: equivalent — the tail is dropped just above; tailChunk is read only while a tail exists, and a new tail sets it (test/mutation/equivalent-mutants.md)
    this.tailChunk = -1;
    this.pending = 0;
    // Stryker disable next-line LogicalOperator: equivalent — `||` also resets a validator for a message that is not checked (binary or compressed), which is then never read (test/mutation/equivalent-mutants.md)
    if (isText && !isCompressed) (this.utf8 ??= new Utf8StreamValidator()).reset();
  }

  /**
   * A data frame of the message starts. RFC 6455 §10.4: "an implementation ... SHOULD impose a
   * limit on frame sizes and the total message size": a frame that would take the message over
   * the limit is reported before its payload is read.
   */
  startFrame(payloadLength: number): PayloadViolationType | undefined {
    this.framePayloadLength = payloadLength;
    this.frameReceived = 0;
    this.frameBuffer = undefined;
    // A frame that may be gathered (GATHER_FRAME_MIN) starts with no earlier bytes in the tail.
    if (payloadLength >= GATHER_FRAME_MIN) this.closeTail();
    return this.length + payloadLength > this.maxMessageSize ? 'MESSAGE_TOO_BIG' : undefined;
  }

  /**
   * Payload bytes of the current data frame. RFC 6455 §8.1: text is checked as UTF-8 as the bytes
   * arrive, so the failure is as early as possible (compressed text is checked once inflated).
   */
  add(chunk: Buffer): PayloadViolationType | undefined {
    if (this.isText && !this.isCompressed && !this.utf8!.push(chunk)) return 'INVALID_UTF8';
    this.length += chunk.length;
    // Stryker disable next-line AssignmentOperator: equivalent — with `-=` the count goes negative, so no frame is gathered and a whole first piece is coalesced rather than kept: the same bytes, memory still within the bounds tested (test/mutation/equivalent-mutants.md)
    this.frameReceived += chunk.length;
    if (this.frameBuffer !== undefined) {
      this.frameBuffer.set(chunk, this.frameReceived - chunk.length);
      return undefined;
    }
    // A small message whose first frame came whole in one piece is kept as it is (no tail, no copy):
    // one such piece per message, so memory stays bounded by bytes however the message is fragmented.
    if (chunk.length < COALESCE_BELOW && !(this.length === chunk.length && this.frameReceived === this.framePayloadLength)) {
      this.push(chunk);
      // Stryker disable next-line EqualityOperator: equivalent — `!==` copies each small piece into the tail as it comes instead of 16 at a time: more copies, the same bytes, fewer pieces kept (test/mutation/equivalent-mutants.md)
      if (++this.pending === PENDING_MAX) this.copyPending();
    } else {
      if (this.pending !== 0) this.copyPending();
      this.tailChunk = -1;
      this.push(chunk);
    }
    const length = this.framePayloadLength;
    // Stryker disable next-line ArithmeticOperator: equivalent — `frameReceived / 8 >= length` never holds while frameReceived < length: no frame is gathered, its pieces are joined at the end; the same bytes, less memory (test/mutation/equivalent-mutants.md)
    if (length >= GATHER_FRAME_MIN && this.frameReceived < length && this.frameReceived * GATHER_AFTER_FRACTION >= length) {
      this.gatherFrame();
    }
    return undefined;
  }

  /** The current data frame ended; a final frame of text must not end inside a UTF-8 sequence. */
  endFrame(fin: boolean): PayloadViolationType | undefined {
    // The gathered frame is complete and among the message's chunks: hold it no longer here.
    this.frameBuffer = undefined;
    return fin && this.isText && !this.isCompressed && !this.utf8!.end() ? 'INVALID_UTF8' : undefined;
  }

  /** The message's payload, handed over (the assembly lets go of it). */
  take(): Buffer {
    this.dropTail();
    const chunks = this.chunks;
    let data: Buffer;
    if (chunks === NO_CHUNKS) {
      data = this.single ?? Buffer.alloc(0);
      this.single = undefined;
    } else {
      data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.length);
    }
    this.chunks = NO_CHUNKS as Buffer[];
    this.length = 0;
    return data;
  }

  /**
   * RFC 7692 §7.2.2: inflate the message; text must then be UTF-8 (RFC 6455 §8.1). Returns the
   * payload, or the cause that fails the connection.
   */
  inflate(compressor: MessageCompressor, isText: boolean): Buffer | PayloadViolationType {
    this.dropTail();
    const compressed = this.all();
    this.chunks = NO_CHUNKS as Buffer[];
    this.length = 0;
    let data: Buffer;
    try {
      data = compressor.inflate(compressed, this.maxMessageSize);
    } catch (error) {
      return (error as Error).name === 'InflatedTooLarge' ? 'INFLATED_TOO_BIG' : 'CORRUPT_COMPRESSED_DATA';
    }
    return isText && !isValidUtf8(data) ? 'INFLATED_TEXT_NOT_UTF8' : data;
  }

  /** Move the chunks of the frame being read into one buffer of the frame's length (GATHER_FRAME_MIN). */
  private gatherFrame(): void {
    this.closeTail();
    const chunks = this.all();
    const buffer = Buffer.allocUnsafe(this.framePayloadLength);
    let first = chunks.length;
    for (let gathered = 0; gathered < this.frameReceived; ) gathered += chunks[--first]!.length;
    let offset = 0;
    for (let i = first; i < chunks.length; i++) {
      buffer.set(chunks[i]!, offset);
      offset += chunks[i]!.length;
    }
    chunks.length = first;
    chunks.push(buffer);
    this.frameBuffer = buffer;
  }

  private push(chunk: Buffer): void {
    if (this.chunks !== NO_CHUNKS) {
      this.chunks.push(chunk);
    } else if (this.single === undefined) {
      this.single = chunk;
    } else {
      this.chunks = [this.single, chunk];
      this.single = undefined;
    }
  }

  /** The message's pieces as an array (made now if the message had at most one). */
  private all(): Buffer[] {
    if (this.chunks === NO_CHUNKS) {
      this.chunks = this.single === undefined ? [] : [this.single];
      this.single = undefined;
    }
    return this.chunks;
  }

  /** The pending small pieces become bytes of the tail, and no later piece extends its chunk. */
  private closeTail(): void {
    if (this.pending !== 0) this.copyPending();
    this.tailChunk = -1;
  }

  private dropTail(): void {
    this.tail = undefined;
    // Stryker disable next-line UnaryOperator: equivalent — the tail is dropped just above, and begin() sets tailChunk before the next message (test/mutation/equivalent-mutants.md)
    this.tailChunk = -1;
    this.pending = 0;
  }

  /**
   * Copy the pending small pieces (the last `pending` chunks) into the tail: onto the end of the
   * tail's chunk when it is the chunk before them and they fit, else as a new chunk of the tail
   * (a new, larger tail when they do not fit).
   */
  private copyPending(): void {
    const chunks = this.all();
    const first = chunks.length - this.pending;
    let bytes = 0;
    for (let i = first; i < chunks.length; i++) bytes += chunks[i]!.length;
    let tail = this.tail;
    const extend = this.tailChunk === first - 1 && this.tailChunk >= 0;
    if (tail === undefined || this.tailEnd + bytes > tail.length) {
      // Stryker disable next-line ArithmeticOperator: equivalent — `/ 2` keeps every tail at TAIL_MIN instead of doubling: more, smaller tails, the same bytes and the same bound (test/mutation/equivalent-mutants.md)
      const size = Math.max(bytes, Math.min(TAIL_MAX, Math.max(TAIL_MIN, (tail?.length ?? 0) * 2)));
      tail = this.tail = Buffer.allocUnsafe(size);
      this.tailStart = this.tailEnd = 0;
      this.tailChunk = -1;
    } else if (!extend) {
      this.tailStart = this.tailEnd;
      this.tailChunk = -1;
    }
    let end = this.tailEnd;
    for (let i = first; i < chunks.length; i++) {
      tail.set(chunks[i]!, end);
      end += chunks[i]!.length;
    }
    this.tailEnd = end;
    chunks.length = first;
    const view = tail.subarray(this.tailStart, end);
    if (this.tailChunk >= 0) {
      chunks[this.tailChunk] = view;
    } else {
      this.tailChunk = chunks.length;
      chunks.push(view);
    }
    this.pending = 0;
  }
}
