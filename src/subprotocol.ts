/**
 * RFC 6455 §4.1, §4.2.2 item 5, §11.3.4: the |Sec-WebSocket-Protocol| header. The client lists
 * the subprotocols it speaks; the server answers with at most one of them.
 */

/**
 * RFC 2616 §2.2 token characters: "1*<any CHAR except CTLs or separators>". §4.1 says the same of
 * each subprotocol: "characters in the range U+0021 to U+007E not including separator characters".
 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The client's subprotocols in its order of preference, or `undefined` when the header does not
 * follow the grammar. §4.1: "The elements that comprise this value MUST be non-empty strings ...
 * and MUST all be unique strings." A header field that appears several times is one list (Node
 * joins repeated fields with ", "; RFC 6455 §11.3.4 allows the field to appear more than once).
 */
export function parseSubprotocols(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  const protocols: string[] = [];
  for (const element of joined.split(',')) {
    const protocol = element.trim();
    if (!TOKEN.test(protocol) || protocols.includes(protocol)) return undefined;
    protocols.push(protocol);
  }
  return protocols;
}

/** The header is absent or a well-formed list. */
export function hasWellFormedSubprotocols(value: string | string[] | undefined): boolean {
  return parseSubprotocols(value) !== undefined;
}
