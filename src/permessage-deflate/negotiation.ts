/**
 * RFC 7692 §5 and §7.1: negotiating permessage-deflate from the client's offers.
 *
 * The server accepts the first offer it can honour and answers with exactly the parameters it
 * commits to; an offer it cannot honour is declined, and if none is left the connection simply
 * proceeds without compression (§5: "the server ... MAY decline").
 */
import type { ExtensionOffer } from './extension-header.js';

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

export interface PerMessageDeflateOptions {
  /** Always answer with server_no_context_takeover (§7.1.1.1). Default false. */
  serverNoContextTakeover?: boolean;
  /** Always ask the client not to use context takeover: client_no_context_takeover (§7.1.1.2). Default false. */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window the server compresses with, 9–15 (zlib cannot make raw deflate with 8). Default 15. */
  serverMaxWindowBits?: number;
  /** The largest window the client may compress with, when its offer lets the server choose, 8–15. Default 15. */
  clientMaxWindowBits?: number;
  /**
   * zlib compression level 0–9. Default 1: the cheapest on varied data (`npm run
   * bench:deflate-levels`: JSON and HTML corpora at 16 KiB cost 1.5–1.8× more at level 3, 2.5–4×
   * at level 6, for 8–15 % fewer bytes). Level 3 pays off when messages repeat earlier ones
   * (the same 16 KiB message again: 31 µs at level 3, 131 µs at level 1).
   */
  level?: number;
  /** zlib memLevel 1–9. Default 8. */
  memLevel?: number;
  /** Messages shorter than this are sent uncompressed. Default 1024 bytes. */
  threshold?: number;
  /**
   * After this long without a compressed message, a connection gives back its deflate context
   * and keeps only the peer's window as plaintext (zlib-codec.ts, idle-release.ts). 0: never
   * keep a deflate context of its own (the server compresses each message on its own). Default 5000 ms.
   */
  releaseAfterIdleMs?: number;
}

export interface NegotiatedPerMessageDeflate {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** The window the server compresses with. */
  serverMaxWindowBits: number;
  /** The window the client was told to stay within (15 when not limited). */
  clientMaxWindowBits: number;
  /** The |Sec-WebSocket-Extensions| value of the response. */
  response: string;
}

/** §7.1.2: window bits are "a decimal integer value without leading zeros between 8 to 15, inclusive". */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** The smallest server window zlib can really keep for raw deflate (it turns 8 into 9). */
const SMALLEST_SERVER_WINDOW = 9;

/** The first offer the server can honour, with its response; undefined when it declines them all. */
export function negotiatePerMessageDeflate(
  offers: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions,
): NegotiatedPerMessageDeflate | undefined {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const accepted = acceptOffer(offer, options);
    if (accepted !== undefined) return accepted;
  }
  return undefined;
}

function acceptOffer(offer: ExtensionOffer, options: PerMessageDeflateOptions): NegotiatedPerMessageDeflate | undefined {
  const params = new Map<string, string | true>();
  for (const [name, value] of offer.params) {
    // §7.1: decline an offer with "multiple parameters with the same name".
    if (params.has(name)) return undefined;
    params.set(name, value);
  }
  let serverNoContextTakeover = options.serverNoContextTakeover ?? false;
  let clientNoContextTakeover = options.clientNoContextTakeover ?? false;
  let serverMaxWindowBits = options.serverMaxWindowBits ?? 15;
  let clientMaxWindowBits = 15;
  let announceServerWindow = false;
  let announceClientWindow = false;

  for (const [name, value] of params) {
    switch (name) {
      case 'server_no_context_takeover':
        // §7.1.1.1: a client "MAY include the server_no_context_takeover"; it takes no value.
        if (value !== true) return undefined;
        serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        // §7.1.1.2: a hint that the client will not use context takeover; we make it binding.
        if (value !== true) return undefined;
        clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // §7.1.2.1: the offer limits the server's window; the response carries a value "equal to
        // or smaller than the received value". A window we cannot keep is declined.
        if (value === true || !WINDOW_BITS.test(value)) return undefined;
        const limit = Number(value);
        if (limit < SMALLEST_SERVER_WINDOW) return undefined;
        serverMaxWindowBits = Math.min(serverMaxWindowBits, limit);
        announceServerWindow = true;
        break;
      }
      case 'client_max_window_bits': {
        // §7.1.2.2: the client may be limited only if its offer has this parameter; with a value,
        // not beyond that value.
        if (value !== true && !WINDOW_BITS.test(value)) return undefined;
        const limit = value === true ? 15 : Number(value);
        clientMaxWindowBits = Math.min(options.clientMaxWindowBits ?? 15, limit);
        announceClientWindow = clientMaxWindowBits < 15 || value !== true;
        break;
      }
      default:
        // §7.1: decline an offer with "an extension parameter not defined for use in an offer".
        return undefined;
    }
  }

  const response = [PERMESSAGE_DEFLATE];
  if (serverNoContextTakeover) response.push('server_no_context_takeover');
  if (clientNoContextTakeover) response.push('client_no_context_takeover');
  if (announceServerWindow) response.push(`server_max_window_bits=${serverMaxWindowBits}`);
  if (announceClientWindow) response.push(`client_max_window_bits=${clientMaxWindowBits}`);
  return {
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
    response: response.join('; '),
  };
}
