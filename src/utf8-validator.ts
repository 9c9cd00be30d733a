/**
 * UTF-8 validation for text messages and close reasons, fail-fast across chunks.
 *
 * RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that
 * the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the
 * WebSocket Connection_. This rule applies both during the opening handshake and during
 * subsequent data exchange."
 *
 * The bulk of each chunk goes to Node's native `isUtf8` (simdutf). Only the 1–3 bytes of a
 * sequence cut by the chunk's end, and the 1–3 bytes that complete it in the next chunk, go
 * through the exact byte-at-a-time automaton below, so a stream fails at the first chunk
 * after which it can no longer be the start of valid UTF-8 (Autobahn cases 6.4.1–6.4.4).
 */
import { isUtf8 } from 'node:buffer';

/** Whether `bytes` are, as a whole, valid UTF-8 (RFC 3629). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

export class Utf8StreamValidator {
  private failed = false;
  /** Continuation bytes the pending sequence still needs (0: at a character boundary). */
  private needed = 0;
  /** The range the next continuation byte must fall in. */
  private lowerBoundary = 0x80;
  private upperBoundary = 0xbf;

  /** False as soon as the bytes pushed so far can no longer be the start of valid UTF-8. */
  push(chunk: Uint8Array): boolean {
    if (this.failed) return false;
    const length = chunk.length;

    // Complete the sequence the previous chunk ended in the middle of.
    let start = 0;
    while (this.needed > 0) {
      if (start === length) return true;
      if (!this.step(chunk[start++])) return this.fail();
    }

    // Find where a sequence cut by the end of this chunk starts: a lead byte among the last
    // three whose sequence is longer than the bytes left after it.
    let tail = length;
    for (let back = 1; back <= 3 && length - back >= start; back++) {
      const byte = chunk[length - back];
      if (byte < 0x80) break;
      if (byte < 0xc0) continue; // a continuation byte: keep looking for its lead
      const sequenceLength = byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4;
      if (sequenceLength > back) tail = length - back;
      break;
    }

    if (tail > start) {
      const bulk = start === 0 && tail === length ? chunk : chunk.subarray(start, tail);
      if (!isUtf8(bulk)) return this.fail();
    }
    for (let i = tail; i < length; i++) {
      if (!this.step(chunk[i])) return this.fail();
    }
    return true;
  }

  /** True when everything pushed so far is complete, valid UTF-8: call at message end. */
  end(): boolean {
    return !this.failed && this.needed === 0;
  }

  /** Ready for the next message. */
  reset(): void {
    this.failed = false;
    this.needed = 0;
    this.lowerBoundary = 0x80;
    this.upperBoundary = 0xbf;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }

  /**
   * One byte through the automaton of RFC 3629 §4 (the UTF8-octets grammar, also Unicode
   * Table 3-7); false when no valid UTF-8 continues the bytes seen so far with it.
   */
  private step(byte: number): boolean {
    if (this.needed > 0) {
      // UTF8-tail = %x80-BF, narrowed for the first one after E0, ED, F0 and F4.
      if (byte < this.lowerBoundary || byte > this.upperBoundary) return false;
      this.needed--;
      this.lowerBoundary = 0x80;
      this.upperBoundary = 0xbf;
      return true;
    }
    // UTF8-1 = %x00-7F
    // Stryker disable next-line BooleanLiteral: equivalent — push() steps a byte only inside a pending sequence or from the lead byte (C0 or above) of a sequence cut by the chunk's end, so this line is never reached (test/mutation/equivalent-mutants.md)
    if (byte < 0x80) return true;
    // UTF8-2 = %xC2-DF UTF8-tail (C0 and C1 could only start overlong forms)
    if (byte >= 0xc2 && byte <= 0xdf) {
      this.needed = 1;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      // UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
      //          %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
      this.needed = 2;
      if (byte === 0xe0) this.lowerBoundary = 0xa0; // no overlong forms
      else if (byte === 0xed) this.upperBoundary = 0x9f; // no surrogates D800–DFFF
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      // UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
      //          %xF4 %x80-8F 2( UTF8-tail )
      this.needed = 3;
      if (byte === 0xf0) this.lowerBoundary = 0x90; // no overlong forms
      else if (byte === 0xf4) this.upperBoundary = 0x8f; // nothing above U+10FFFF
    } else {
      // %x80-BF with no lead byte, C0, C1, F5-FF: "never appear" (RFC 3629 §1).
      return false;
    }
    return true;
  }
}
