/**
 * The peer's LZ77 sliding window, kept as plaintext rather than as a live zlib inflater.
 *
 * RFC 7692 §7.2.2: with context takeover a message may refer back to the peer's earlier
 * messages, "the same LZ77 sliding window" as the last one (§7.1.1.2). What a fresh inflater
 * needs to read the next message is therefore only the last 2^client_max_window_bits octets the
 * peer sent (§7.1.2.2: the peer's window is at most that), not the 40 KiB a zlib inflater holds.
 * Those octets are restored by inflating one stored block (RFC 1951 §3.2.4, BTYPE 00) that holds
 * them: it leaves them in the inflater's window exactly as `inflateSetDictionary` would, through
 * the same synchronous write every message takes. The block's five-octet header lives in front
 * of the window, so restoring it copies nothing in JavaScript.
 */

/** RFC 1951 §3.2.4: a stored block's header, BFINAL 0 and BTYPE 00 padded to the octet, then LEN and NLEN. */
const STORED_BLOCK_HEADER = 5;

/**
 * zlib (1.2.9 and later) turns a raw deflate window of 8 bits into 9, so a peer that agreed to
 * client_max_window_bits=8 may still refer back 512 octets: never keep less than that.
 */
const SMALLEST_KEPT_WINDOW_BITS = 9;

export class PeerWindow {
  /** The most octets kept: 2^max(client_max_window_bits, 9). */
  readonly limit: number;
  /** The stored block's header, then the window's octets; its capacity grows by doubling up to `limit`. */
  private storage: Buffer | undefined;
  /** Octets of the window held. */
  length = 0;

  constructor(windowBits: number) {
    this.limit = 2 ** Math.max(windowBits, SMALLEST_KEPT_WINDOW_BITS);
  }

  /** Append what the peer's latest message inflated to, keeping only the last `limit` octets. */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    const keep = Math.min(this.length, this.limit - Math.min(data.length, this.limit));
    const added = Math.min(data.length, this.limit);
    const needed = keep + added;
    const capacity = this.storage === undefined ? 0 : this.storage.length - STORED_BLOCK_HEADER;
    if (needed > capacity) {
      const grown = Buffer.allocUnsafeSlow(STORED_BLOCK_HEADER + Math.min(this.limit, Math.max(needed, 2 * capacity)));
      if (keep > 0) this.storage!.copy(grown, STORED_BLOCK_HEADER, STORED_BLOCK_HEADER + this.length - keep, STORED_BLOCK_HEADER + this.length);
      this.storage = grown;
    } else if (keep < this.length) {
      // Slide the part kept to the front (Buffer#copy moves overlapping ranges correctly).
      this.storage!.copy(this.storage!, STORED_BLOCK_HEADER, STORED_BLOCK_HEADER + this.length - keep, STORED_BLOCK_HEADER + this.length);
    }
    this.storage!.set(data.subarray(data.length - added), STORED_BLOCK_HEADER + keep);
    this.length = needed;
  }

  /** Give back the capacity not in use (an idle connection keeps exactly its window). */
  compact(): void {
    if (this.storage === undefined || this.storage.length === STORED_BLOCK_HEADER + this.length) return;
    if (this.length === 0) {
      this.storage = undefined;
      return;
    }
    const exact = Buffer.allocUnsafeSlow(STORED_BLOCK_HEADER + this.length);
    this.storage.copy(exact, 0, 0, STORED_BLOCK_HEADER + this.length);
    this.storage = exact;
  }

  /** Forget the window (the peer's next message starts a new DEFLATE stream). */
  clear(): void {
    this.storage = undefined;
    this.length = 0;
  }

  /** Octets of memory held for the window, for the inspector and the tests. */
  get capacity(): number {
    return this.storage === undefined ? 0 : this.storage.length;
  }

  /** The window as one non-final stored block, to inflate before the peer's next message; empty when there is none. */
  storedBlock(): Buffer {
    if (this.storage === undefined || this.length === 0) return Buffer.alloc(0);
    const storage = this.storage;
    storage[0] = 0x00; // BFINAL 0, BTYPE 00, five bits of padding to the octet boundary
    storage.writeUInt16LE(this.length, 1); // LEN
    storage.writeUInt16LE(~this.length & 0xffff, 3); // NLEN, the one's complement of LEN
    return storage.subarray(0, STORED_BLOCK_HEADER + this.length);
  }

  /** The window's octets (a view, for the tests). */
  get octets(): Buffer {
    return this.storage === undefined ? Buffer.alloc(0) : this.storage.subarray(STORED_BLOCK_HEADER, STORED_BLOCK_HEADER + this.length);
  }
}
