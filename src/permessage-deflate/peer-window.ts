/**
 * The peer's LZ77 sliding window, kept as plaintext rather than as a live zlib inflater.
 *
 * RFC 7692 §7.2.2: with context takeover a message may refer back to the peer's earlier
 * messages, "the same LZ77 sliding window" as the last one (§7.1.1.2). What a fresh inflater
 * needs to read the next message is therefore only the last 2^client_max_window_bits octets the
 * peer sent (§7.1.2.2: the peer's window is at most that), not the 40 KiB a zlib inflater holds.
 * Those octets are restored by inflating stored blocks (RFC 1951 §3.2.4, BTYPE 00) that hold
 * them: they leave them in the inflater's window exactly as `inflateSetDictionary` would, through
 * the same synchronous write every message takes.
 *
 * The octets are kept in a ring, so a message costs one copy of what it adds: a full window
 * does not move its older octets to make room (a 256-octet message into a full 32 KiB window
 * used to move 32 KiB). A ring that wraps is restored as two stored blocks, oldest first.
 */

/** RFC 1951 §3.2.4: a stored block's header, BFINAL 0 and BTYPE 00 padded to the octet, then LEN and NLEN. */
const STORED_BLOCK_HEADER = 5;

/**
 * zlib (1.2.9 and later) turns a raw deflate window of 8 bits into 9, so a peer that agreed to
 * client_max_window_bits=8 may still refer back 512 octets: never keep less than that.
 */
const SMALLEST_KEPT_WINDOW_BITS = 9;

/** RFC 1951 §3.2.4: the header of a non-final stored block of `length` octets. */
function storedBlockHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(STORED_BLOCK_HEADER);
  header[0] = 0x00; // BFINAL 0, BTYPE 00, five bits of padding to the octet boundary
  header.writeUInt16LE(length, 1); // LEN
  header.writeUInt16LE(~length & 0xffff, 3); // NLEN, the one's complement of LEN
  return header;
}

export class PeerWindow {
  /** The most octets kept: 2^max(client_max_window_bits, 9). */
  readonly limit: number;
  /** The window's octets as a ring, the oldest at `start`; its capacity grows by doubling up to `limit`. */
  private storage: Buffer | undefined;
  /** Where the oldest octet is in `storage`. */
  private start = 0;
  /** Octets of the window held. */
  length = 0;

  constructor(windowBits: number) {
    this.limit = 2 ** Math.max(windowBits, SMALLEST_KEPT_WINDOW_BITS);
  }

  /** Append what the peer's latest message inflated to, keeping only the last `limit` octets. */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    const added = Math.min(data.length, this.limit);
    const source = data.subarray(data.length - added);
    const needed = Math.min(this.limit, this.length + added);
    const capacity = this.storage === undefined ? 0 : this.storage.length;
    if (needed > capacity) this.resize(Math.min(this.limit, Math.max(needed, 2 * capacity)));
    const storage = this.storage!;
    const size = storage.length;
    // Write after the newest octet, wrapping to the front; what is written over is the oldest.
    const end = (this.start + this.length) % size;
    const beforeWrap = Math.min(added, size - end);
    storage.set(source.subarray(0, beforeWrap), end);
    if (beforeWrap < added) storage.set(source.subarray(beforeWrap), 0);
    const total = this.length + added;
    if (total > size) {
      this.start = (this.start + total - size) % size;
      this.length = size;
    } else this.length = total;
  }

  /** Give back the capacity not in use (an idle connection keeps exactly its window). */
  compact(): void {
    if (this.storage === undefined || this.storage.length === this.length) return;
    if (this.length === 0) {
      this.clear();
      return;
    }
    this.resize(this.length);
  }

  /** Forget the window (the peer's next message starts a new DEFLATE stream). */
  clear(): void {
    this.storage = undefined;
    this.start = 0;
    this.length = 0;
  }

  /** Octets of memory held for the window, for the inspector and the tests. */
  get capacity(): number {
    return this.storage === undefined ? 0 : this.storage.length;
  }

  /**
   * The window as non-final stored blocks, header and octets in turn, to inflate in this order
   * before the peer's next message: one block, or two when the ring wraps (oldest octets first).
   * Empty when there is no window. The octets are views of the ring: use them before the next append.
   */
  storedBlocks(): Buffer[] {
    const parts: Buffer[] = [];
    for (const segment of this.segments()) parts.push(storedBlockHeader(segment.length), segment);
    return parts;
  }

  /** The window's octets, oldest first (a copy, for the tests). */
  get octets(): Buffer {
    return Buffer.concat(this.segments(), this.length);
  }

  /** The window's octets oldest first as views of the ring: none, one, or two when it wraps. */
  private segments(): Buffer[] {
    if (this.storage === undefined || this.length === 0) return [];
    const size = this.storage.length;
    const firstLength = Math.min(this.length, size - this.start);
    const first = this.storage.subarray(this.start, this.start + firstLength);
    return firstLength === this.length ? [first] : [first, this.storage.subarray(0, this.length - firstLength)];
  }

  /** Move the window, oldest first, to new storage of `size` octets (at least `length`). */
  private resize(size: number): void {
    const resized = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (const segment of this.segments()) {
      resized.set(segment, at);
      at += segment.length;
    }
    this.storage = resized;
    this.start = 0;
  }
}
