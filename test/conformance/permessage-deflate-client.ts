/**
 * The conformance client's side of permessage-deflate (RFC 7692), written apart from the
 * server's code so that the two do not share a mistake:
 * - `parseExtensionHeader` reads a |Sec-WebSocket-Extensions| value (RFC 6455 §9.1);
 * - `acceptDeflateResponse` checks the server's answer against the client's offers the way
 *   RFC 7692 §7.1 asks a client to, and says what was agreed;
 * - `ClientDeflate` compresses and inflates messages with persistent zlib streams (the way
 *   Autobahn|Testsuite's client and `ws` do), resetting them between messages when context
 *   takeover is off.
 */
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

/** One element of an extension list: its name and its parameters in order (`true`: no value). */
export interface ExtensionElement {
  name: string;
  params: [string, string | true][];
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * RFC 6455 §9.1: `extension-list = 1#extension`, `extension = token *( ";" param )`,
 * `param = token [ "=" ( token | quoted-string ) ]`. Returns undefined when the text does not
 * follow the grammar. Names are lower-cased; values are kept as written (quotes removed).
 */
export function parseExtensionHeader(text: string): ExtensionElement[] | undefined {
  const elements: ExtensionElement[] = [];
  let at = 0;
  const space = () => {
    while (text[at] === ' ' || text[at] === '\t') at++;
  };
  const token = () => {
    const start = at;
    while (at < text.length && TCHAR.test(text[at]!)) at++;
    return at > start ? text.slice(start, at) : undefined;
  };
  const quoted = () => {
    let value = '';
    for (at++; at < text.length; ) {
      const char = text[at++]!;
      if (char === '"') return value;
      value += char === '\\' ? (text[at++] ?? '') : char;
    }
    return undefined;
  };
  for (;;) {
    space();
    const name = token();
    if (name === undefined) return undefined;
    const element: ExtensionElement = { name: name.toLowerCase(), params: [] };
    space();
    while (text[at] === ';') {
      at++;
      space();
      const param = token();
      if (param === undefined) return undefined;
      space();
      let value: string | true = true;
      if (text[at] === '=') {
        at++;
        space();
        const raw = text[at] === '"' ? quoted() : token();
        if (raw === undefined) return undefined;
        value = raw;
        space();
      }
      element.params.push([param.toLowerCase(), value]);
    }
    elements.push(element);
    if (at >= text.length) return elements;
    if (text[at] !== ',') return undefined;
    at++;
  }
}

/** A list's elements written out in one canonical form: parameters sorted, so that order does not matter. */
export function canonicalExtensions(text: string): string | undefined {
  const elements = parseExtensionHeader(text);
  if (elements === undefined) return undefined;
  return elements
    .map((element) => [element.name, ...element.params.map(([name, value]) => (value === true ? name : `${name}=${value}`)).sort()].join('; '))
    .join(', ');
}

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What the client and the server agreed on (RFC 7692 §7.1). */
export interface AgreedDeflate {
  /** The server starts every message with a fresh LZ77 window: the client inflates each message on its own. */
  serverNoContextTakeover: boolean;
  /** The client starts every message afresh (the server asked for it, or the client's own offer said it would). */
  clientNoContextTakeover: boolean;
  /** The largest window the server compresses with: the client inflates with exactly this window. */
  serverMaxWindowBits: number;
  /** The largest window the client may compress with. */
  clientMaxWindowBits: number;
  /** Which of the client's permessage-deflate offers (0-based) the answer accepts. */
  offerIndex: number;
}

/** §7.1.2: "a decimal integer value without leading zeros between 8 to 15, inclusive". */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** Why one parameter of an answer is invalid whatever was offered; undefined when it is valid. */
function invalidResponseParam(name: string, value: string | true): string | undefined {
  switch (name) {
    case 'server_no_context_takeover':
    case 'client_no_context_takeover':
      return value === true ? undefined : `${name} has a value`;
    case 'server_max_window_bits':
    case 'client_max_window_bits':
      // In an answer both window parameters carry a value (§7.1.2.1, §7.1.2.2).
      return value !== true && WINDOW_BITS.test(value) ? undefined : `${name} is ${value === true ? 'without a value' : `"${value}"`}`;
    default:
      return `the parameter ${name} is not defined for permessage-deflate`;
  }
}

/** Why the answer does not accept this offer; undefined when it does. */
function doesNotAccept(offer: ReadonlyMap<string, string | true>, answer: ReadonlyMap<string, string | true>): string | undefined {
  // §7.1.1.1: a server accepts server_no_context_takeover by including it.
  if (offer.has('server_no_context_takeover') && !answer.has('server_no_context_takeover')) {
    return 'it leaves out server_no_context_takeover';
  }
  // §7.1.2.1: a server accepts server_max_window_bits by answering "the same or smaller value".
  const serverLimit = offer.get('server_max_window_bits');
  if (typeof serverLimit === 'string') {
    const answered = answer.get('server_max_window_bits');
    if (typeof answered !== 'string') return 'it leaves out server_max_window_bits';
    if (Number(answered) > Number(serverLimit)) return `server_max_window_bits=${answered} is above the offered ${serverLimit}`;
  }
  // §7.1.2.2: "If a received extension negotiation offer doesn't have the client_max_window_bits
  // extension parameter, the corresponding extension negotiation response to the offer MUST NOT
  // include" it; with a value in the offer, the answer may not exceed it.
  const clientAnswer = answer.get('client_max_window_bits');
  if (clientAnswer !== undefined) {
    const clientOffer = offer.get('client_max_window_bits');
    if (clientOffer === undefined) return 'it has client_max_window_bits, which the offer did not allow';
    if (typeof clientOffer === 'string' && Number(clientAnswer) > Number(clientOffer)) {
      return `client_max_window_bits=${String(clientAnswer)} is above the offered ${clientOffer}`;
    }
  }
  return undefined;
}

/**
 * RFC 7692 §7.1 from the client's side: is `response` (the server's |Sec-WebSocket-Extensions|,
 * undefined when absent) an acceptable answer to `offerHeader`? Returns what was agreed
 * (`agreed` undefined: the server declined), or the problem — the client then fails the
 * connection (§7.1: "the client MUST _Fail the WebSocket Connection_").
 */
export function acceptDeflateResponse(
  offerHeader: string,
  response: string | undefined,
): { agreed: AgreedDeflate | undefined; problem?: undefined } | { problem: string } {
  if (response === undefined) return { agreed: undefined };
  const offered = parseExtensionHeader(offerHeader);
  if (offered === undefined) return { problem: `the client's own offer "${offerHeader}" does not parse` };
  const answered = parseExtensionHeader(response);
  if (answered === undefined) return { problem: `the Sec-WebSocket-Extensions answer "${response}" does not follow RFC 6455 §9.1` };
  const offeredNames = new Set(offered.map((element) => element.name));
  const stranger = answered.find((element) => !offeredNames.has(element.name));
  // RFC 6455 §4.1: an extension "not present in the client's handshake" fails the connection.
  if (stranger !== undefined) return { problem: `the server answered with ${stranger.name}, which was not offered` };
  const deflates = answered.filter((element) => element.name === PERMESSAGE_DEFLATE);
  if (deflates.length === 0) return { agreed: undefined };
  if (deflates.length > 1) return { problem: 'the server answered with permessage-deflate more than once' };

  const answer = new Map<string, string | true>();
  for (const [name, value] of deflates[0]!.params) {
    // §7.1: a response with "multiple extension parameters with the same name" is invalid.
    if (answer.has(name)) return { problem: `the answer has ${name} twice` };
    const invalid = invalidResponseParam(name, value);
    if (invalid !== undefined) return { problem: `in the answer "${response}": ${invalid}` };
    answer.set(name, value);
  }
  const offers = offered.filter((element) => element.name === PERMESSAGE_DEFLATE).map((element) => new Map(element.params));
  const reasons: string[] = [];
  for (const [offerIndex, offer] of offers.entries()) {
    const reason = doesNotAccept(offer, answer);
    if (reason !== undefined) {
      reasons.push(`offer ${offerIndex + 1}: ${reason}`);
      continue;
    }
    const windowOf = (name: string) => {
      const value = answer.get(name);
      return typeof value === 'string' ? Number(value) : 15;
    };
    return {
      agreed: {
        serverNoContextTakeover: answer.has('server_no_context_takeover'),
        // §7.1.1.2: an offer with client_no_context_takeover tells the server the client "is not
        // going to use context takeover" even if the answer does not ask for it: keep that word.
        clientNoContextTakeover: answer.has('client_no_context_takeover') || offer.has('client_no_context_takeover'),
        serverMaxWindowBits: windowOf('server_max_window_bits'),
        clientMaxWindowBits: windowOf('client_max_window_bits'),
        offerIndex,
      },
    };
  }
  return { problem: `the answer "${response}" accepts none of the offers (${reasons.join('; ')})` };
}

/** §7.2.1: the octets a sync flush ends with, removed from each compressed message and put back to inflate it. */
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/**
 * The level the client compresses with. Autobahn|Testsuite's client uses zlib's default (6);
 * the server inflates any level alike, and the client is not what is measured, so it uses 1,
 * which halves its share of the CPU in a full run of sections 12 and 13 (client and server
 * share one process in the tests).
 */
const CLIENT_LEVEL = 1;

/** Feeds `input` to a zlib stream, sync-flushes it and resolves with everything it put out. */
function throughStream(stream: DeflateRaw | InflateRaw, input: readonly Uint8Array[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    };
    const onError = (error: Error) => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    for (const part of input) stream.write(part);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    });
  });
}

/**
 * The client's compressor and decompressor for one connection. Calls are carried out in the
 * order they are made (each direction is one zlib stream), so messages keep their order.
 */
export class ClientDeflate {
  private deflater: DeflateRaw | undefined;
  private inflater: InflateRaw | undefined;
  private compressing: Promise<unknown> = Promise.resolve();
  private inflating: Promise<unknown> = Promise.resolve();

  constructor(readonly agreed: AgreedDeflate) {}

  /** §7.2.1: compress a whole message, sync-flush, drop the trailing 00 00 ff ff. */
  compress(message: Uint8Array): Promise<Buffer> {
    const result = this.compressing.then(async () => {
      const deflater = (this.deflater ??= this.newDeflater());
      const output = await throughStream(deflater, [message]);
      // §7.1.1.2: without context takeover the next message must not refer to this one.
      if (this.agreed.clientNoContextTakeover) deflater.reset();
      return output.subarray(0, output.length - SYNC_FLUSH_TAIL.length);
    });
    this.compressing = result.catch(() => {});
    return result;
  }

  /** §7.2.2: append 00 00 ff ff to a compressed message's payload and inflate it. */
  inflate(payload: Uint8Array): Promise<Buffer> {
    const result = this.inflating.then(async () => {
      const inflater = (this.inflater ??= createInflateRaw({ windowBits: this.agreed.serverMaxWindowBits }));
      try {
        const output = await throughStream(inflater, [payload, SYNC_FLUSH_TAIL]);
        // A message that ended the DEFLATE stream (BFINAL) leaves nothing to continue from.
        if (inflater.readableEnded || inflater.destroyed) this.dropInflater();
        else if (this.agreed.serverNoContextTakeover) inflater.reset();
        return output;
      } catch (error) {
        this.dropInflater();
        throw error;
      }
    });
    this.inflating = result.catch(() => {});
    return result;
  }

  /** Releases the zlib streams once the calls already made are done. */
  close(): void {
    void this.compressing.then(() => {
      this.deflater?.close();
      this.deflater = undefined;
    });
    void this.inflating.then(() => this.dropInflater());
  }

  private dropInflater(): void {
    this.inflater?.close();
    this.inflater = undefined;
  }

  private newDeflater(): DeflateRaw {
    const windowBits = this.agreed.clientMaxWindowBits;
    // zlib cannot make raw deflate with an 8-bit window (it quietly uses 9): a server that asked
    // for 8 gets stored blocks, which refer back to nothing and so keep any window.
    if (windowBits < 9) return createDeflateRaw({ level: 0, windowBits: 9 });
    return createDeflateRaw({ level: CLIENT_LEVEL, windowBits });
  }
}
