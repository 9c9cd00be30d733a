/**
 * RFC 7692 §5 and §7.1, the client's side: the permessage-deflate offer it sends and the reading
 * of the server's answer.
 *
 * The parameters a response may carry are bounded by the offer (§7.1): `server_no_context_takeover`
 * always ("the server MAY include it even if the client did not offer it", §7.1.1.1),
 * `client_no_context_takeover` always (§7.1.1.2), `server_max_window_bits` with a value not above
 * the one offered, or any value if none was offered (§7.1.2.1), and `client_max_window_bits` only
 * if the offer had it, with a value not above the one offered (§7.1.2.2).
 */
import { parseExtensionOffers } from './permessage-deflate/extension-header.js';
import { PERMESSAGE_DEFLATE, type NegotiatedPerMessageDeflate, type PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
import type { HandshakeResponseEvent } from '../machines/protocol-events.js';

/** The client's permessage-deflate settings: the offer's parameters and the compressor's own. */
export interface ClientPerMessageDeflateOptions extends Omit<PerMessageDeflateOptions, 'serverMaxWindowBits' | 'clientMaxWindowBits'> {
  /** Offer `server_max_window_bits` with this value (8–15), or with none: the server's choice is any. */
  serverMaxWindowBits?: number;
  /** Offer `client_max_window_bits`: `true` without a value (the server may choose), or a value 8–15. Default true, as ws. */
  clientMaxWindowBits?: number | boolean;
}

/** §7.1.2: "a decimal integer value without leading zeros between 8 to 15, inclusive". */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

function checkWindowBits(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 8 || value > 15) throw new RangeError(`${name} must be an integer from 8 to 15, got ${value}`);
}

/** The |Sec-WebSocket-Extensions| value of the offer (§5: "permessage-deflate" with its parameters). */
export function perMessageDeflateOffer(options: ClientPerMessageDeflateOptions): string {
  const params = [PERMESSAGE_DEFLATE];
  if (options.serverNoContextTakeover) params.push('server_no_context_takeover');
  if (options.clientNoContextTakeover) params.push('client_no_context_takeover');
  if (options.serverMaxWindowBits !== undefined) {
    checkWindowBits('serverMaxWindowBits', options.serverMaxWindowBits);
    params.push(`server_max_window_bits=${options.serverMaxWindowBits}`);
  }
  const clientWindow = options.clientMaxWindowBits ?? true;
  if (clientWindow === true) params.push('client_max_window_bits');
  else if (typeof clientWindow === 'number') {
    checkWindowBits('clientMaxWindowBits', clientWindow);
    params.push(`client_max_window_bits=${clientWindow}`);
  }
  return params.join('; ');
}

/** What the response says of the offer, and the parameters agreed (from the client's view). */
export interface ExtensionAnswer {
  verdict: HandshakeResponseEvent['extensions'];
  agreed?: AgreedAsClient;
}

/** The parameters agreed, named as RFC 7692 names them (server = the peer, client = us). */
export interface AgreedAsClient {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** Reads the response's |Sec-WebSocket-Extensions| against the offer (undefined: none was made). */
export function readExtensionAnswer(header: string | string[] | undefined, offer: ClientPerMessageDeflateOptions | undefined): ExtensionAnswer {
  // An absent header reads as no extensions ([]).
  const extensions = parseExtensionOffers(header);
  // §9.1 grammar broken: nothing the client offered can be read in it.
  if (extensions === undefined) return { verdict: 'invalidParameters' };
  if (extensions.length === 0) return { verdict: 'none' };
  // §4.1: only what was offered; RFC 7692 §7: one permessage-deflate answer.
  if (offer === undefined || extensions.length > 1 || extensions[0]!.name !== PERMESSAGE_DEFLATE) return { verdict: 'notOffered' };
  const seen = new Set<string>();
  const agreed: AgreedAsClient = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const clientWindowOffered = offer.clientMaxWindowBits ?? true;
  for (const [name, value] of extensions[0]!.params) {
    // §7.1: "a response with multiple parameters with the same name" is invalid.
    if (seen.has(name)) return { verdict: 'invalidParameters' };
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return { verdict: 'invalidParameters' };
        if (name === 'server_no_context_takeover') agreed.serverNoContextTakeover = true;
        else agreed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        if (value === true || !WINDOW_BITS.test(value)) return { verdict: 'invalidParameters' };
        const bits = Number(value);
        // §7.1.2.1: not larger than the value offered.
        if (offer.serverMaxWindowBits !== undefined && bits > offer.serverMaxWindowBits) return { verdict: 'invalidParameters' };
        agreed.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // §7.1.2.2: "If a received extension negotiation response includes the
        // "client_max_window_bits" extension parameter and the client did not include it in the
        // offer, the client MUST _Fail the WebSocket Connection_" — and the server's value is not above ours.
        if (clientWindowOffered === false || value === true || !WINDOW_BITS.test(value)) return { verdict: 'invalidParameters' };
        const bits = Number(value);
        if (typeof clientWindowOffered === 'number' && bits > clientWindowOffered) return { verdict: 'invalidParameters' };
        agreed.clientMaxWindowBits = bits;
        break;
      }
      default:
        // §7.1: "an extension parameter not defined for use in a response".
        return { verdict: 'invalidParameters' };
    }
  }
  // §7.1.1.1: the client asked the server not to use context takeover; the answer must say so.
  if (offer.serverNoContextTakeover && !agreed.serverNoContextTakeover) return { verdict: 'invalidParameters' };
  return { verdict: 'agreed', agreed };
}

/**
 * The agreement in the codec's terms (zlib-codec.ts speaks as the server: "server" is the
 * compressing side, "client" the peer whose messages it inflates): mirrored for the client.
 * zlib cannot compress raw deflate with an 8-bit window and uses 9 (as ws does).
 */
export function codecParametersForClient(agreed: AgreedAsClient): NegotiatedPerMessageDeflate {
  return {
    serverNoContextTakeover: agreed.clientNoContextTakeover,
    clientNoContextTakeover: agreed.serverNoContextTakeover,
    serverMaxWindowBits: Math.max(9, agreed.clientMaxWindowBits),
    clientMaxWindowBits: agreed.serverMaxWindowBits,
    response: '',
  };
}
