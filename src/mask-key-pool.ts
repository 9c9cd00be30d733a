/**
 * RFC 6455 §5.3: masking keys for the frames a client sends. "The masking key is a 32-bit value
 * chosen at random by the client. When preparing a masked frame, the client MUST pick a fresh
 * masking key from the set of allowed 32-bit values. The masking key needs to be unpredictable;
 * thus, the masking key MUST be derived from a strong source of entropy" (§10.3).
 *
 * Keys come from a pool that `crypto.randomFillSync` (the operating system's CSPRNG) fills 1,024
 * keys at a time, one process-wide pool shared by every client connection: one system call per
 * 1,024 frames instead of one `randomBytes` call per frame. A key is never handed out twice.
 */
import { randomFillSync } from 'node:crypto';

/** Keys per refill: 4 KiB of randomness. */
const KEYS_PER_FILL = 1024;

const pool = Buffer.allocUnsafe(KEYS_PER_FILL * 4);
/** The offset of the next unused key; a full pool starts exhausted. */
let next = pool.length;

/**
 * Writes a fresh masking key into `target` at `offset` (the frame's Masking-key field) and into
 * `key` (a 4-byte scratch the masking reads).
 */
export function writeMaskKey(target: Uint8Array, offset: number, key: Uint8Array): void {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const at = next;
  next = at + 4;
  key[0] = target[offset] = pool[at]!;
  key[1] = target[offset + 1] = pool[at + 1]!;
  key[2] = target[offset + 2] = pool[at + 2]!;
  key[3] = target[offset + 3] = pool[at + 3]!;
}
