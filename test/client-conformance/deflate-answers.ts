/**
 * The harness's answer to the client's permessage-deflate offer (RFC 7692 §5, §7.1), per case,
 * as Autobahn|Testsuite's fuzzingserver answers in sections 12 and 13: in section 12 and 13.1 it
 * accepts the first offer as it is; in 13.2–13.7 it also asks the client for
 * `client_no_context_takeover` and/or `client_max_window_bits` (9 or 15 — the real suite asks for
 * 8, which zlib cannot honour for raw deflate; the server-direction cases use 9 likewise), and
 * accepts only an offer that allows what it asks for. Sections 1–10 decline every offer.
 *
 * The harness honours what the client asked of the server (`server_no_context_takeover`,
 * `server_max_window_bits`) and holds the client to what it answered: it inflates the client's
 * messages with exactly the agreed window, and each one on its own when it asked for
 * `client_no_context_takeover`.
 */
import { parseExtensionHeader, PERMESSAGE_DEFLATE, type AgreedDeflate } from '../conformance/permessage-deflate-client.js';

/** What the server asks of the client in its answer. */
interface ServerRequest {
  clientNoContextTakeover: boolean;
  /** 0: nothing asked. */
  clientMaxWindowBits: number;
}

/** RFC 7692 §7.1.2.1: "a decimal integer value without leading zeros between 8 to 15, inclusive". */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/**
 * What the server asks for, in order of preference (13.7 tries three), per case group; an empty
 * list declines permessage-deflate.
 */
function requestsFor(caseId: string): readonly ServerRequest[] {
  const plain: ServerRequest = { clientNoContextTakeover: false, clientMaxWindowBits: 0 };
  const noTakeover: ServerRequest = { clientNoContextTakeover: true, clientMaxWindowBits: 0 };
  const [section, group] = caseId.split('.');
  if (section === '12') return [plain];
  if (section !== '13') return [];
  switch (group) {
    case '1':
      return [plain];
    case '2':
      return [noTakeover];
    case '3':
      return [{ clientNoContextTakeover: false, clientMaxWindowBits: 9 }];
    case '4':
      return [{ clientNoContextTakeover: false, clientMaxWindowBits: 15 }];
    case '5':
      return [{ clientNoContextTakeover: true, clientMaxWindowBits: 9 }];
    case '6':
      return [{ clientNoContextTakeover: true, clientMaxWindowBits: 15 }];
    case '7':
      return [{ clientNoContextTakeover: true, clientMaxWindowBits: 9 }, noTakeover, plain];
    default:
      return [];
  }
}

/** What the harness answered and what it holds both sides to; undefined: no permessage-deflate. */
export interface DeflateAnswer {
  /** The |Sec-WebSocket-Extensions| header value of the 101. */
  header: string;
  agreed: AgreedDeflate;
}

/** Whether the case's connection is meant to have permessage-deflate. */
export function expectsDeflate(caseId: string): boolean {
  return requestsFor(caseId).length > 0;
}

/**
 * The answer to `offerHeader` (the client's |Sec-WebSocket-Extensions|, undefined when absent) for
 * this case: the first request the case makes that one of the client's offers allows, taking the
 * first such offer; undefined when none does (or the case declines).
 */
export function answerDeflateOffer(caseId: string, offerHeader: string | undefined): DeflateAnswer | undefined {
  if (offerHeader === undefined) return undefined;
  const offers = (parseExtensionHeader(offerHeader) ?? []).filter((element) => element.name === PERMESSAGE_DEFLATE);
  for (const request of requestsFor(caseId)) {
    for (const [offerIndex, element] of offers.entries()) {
      const params = new Map(element.params);
      if (params.size !== element.params.length) continue;
      // §7.1.2.2: client_max_window_bits may be in the answer only if the offer had it.
      const clientWindow = params.get('client_max_window_bits');
      if (request.clientMaxWindowBits > 0 && clientWindow === undefined) continue;
      if (request.clientMaxWindowBits > 0 && typeof clientWindow === 'string' && Number(clientWindow) < request.clientMaxWindowBits) continue;
      const serverWindow = params.get('server_max_window_bits');
      if (serverWindow !== undefined && (serverWindow === true || !WINDOW_BITS.test(serverWindow))) continue;
      const serverNoContextTakeover = params.has('server_no_context_takeover');
      const parts = [PERMESSAGE_DEFLATE];
      // §7.1.1.1, §7.1.2.1: the server accepts what the client asked of it by repeating it.
      if (serverNoContextTakeover) parts.push('server_no_context_takeover');
      if (typeof serverWindow === 'string') parts.push(`server_max_window_bits=${serverWindow}`);
      if (request.clientNoContextTakeover) parts.push('client_no_context_takeover');
      if (request.clientMaxWindowBits > 0) parts.push(`client_max_window_bits=${request.clientMaxWindowBits}`);
      return {
        header: parts.join('; '),
        agreed: {
          serverNoContextTakeover,
          clientNoContextTakeover: request.clientNoContextTakeover,
          serverMaxWindowBits: typeof serverWindow === 'string' ? Number(serverWindow) : 15,
          clientMaxWindowBits: request.clientMaxWindowBits > 0 ? request.clientMaxWindowBits : 15,
          offerIndex,
        },
      };
    }
  }
  return undefined;
}

/**
 * The agreement seen from the harness's end, for the conformance client's deflate streams
 * (which compress with the "client" parameters and inflate with the "server" ones): the roles
 * swapped, so that the harness compresses as the server agreed and inflates as the client must.
 */
export function asHarnessStreams(agreed: AgreedDeflate): AgreedDeflate {
  return {
    serverNoContextTakeover: agreed.clientNoContextTakeover,
    clientNoContextTakeover: agreed.serverNoContextTakeover,
    serverMaxWindowBits: agreed.clientMaxWindowBits,
    clientMaxWindowBits: agreed.serverMaxWindowBits,
    offerIndex: agreed.offerIndex,
  };
}
