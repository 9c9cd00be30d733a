/**
 * RFC 6455 §9.1: the |Sec-WebSocket-Extensions| header grammar.
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * "When using the quoted-string syntax variant, the value after quoted-string unescaping MUST
 * conform to the 'token' ABNF." Several header lines are one list (Node joins them with ", ").
 */

export interface ExtensionOffer {
  name: string;
  /** Parameters in order; `true` for a parameter without a value. */
  params: [string, string | true][];
}

/** RFC 7230 §3.2.6 tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The offers in the header, in order, or undefined when the header does not follow the grammar
 * (the server then declines every extension and the connection proceeds without them).
 */
export function parseExtensionOffers(header: string | string[] | undefined): ExtensionOffer[] | undefined {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const offers: ExtensionOffer[] = [];
  let position = 0;

  // RFC 7230 §3.2.3: OWS = *( SP / HTAB ). (Past the end, `text[position]` is undefined: no space.)
  const skipSpace = () => {
    while (text[position] === ' ' || text[position] === '\t') position++;
  };
  const readToken = (): string | undefined => {
    const start = position;
    while (position < text.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(text[position]!)) position++;
    return position > start ? text.slice(start, position) : undefined;
  };
  // RFC 7230 §3.2.6: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
  const readQuotedString = (): string | undefined => {
    position++; // opening quote
    let value = '';
    for (;;) {
      const char = text[position++];
      // The text ends before the closing DQUOTE (after a quoted-pair's backslash too): no quoted-string.
      if (char === undefined) return undefined;
      if (char === '"') return value;
      // A quoted-pair stands for the character after the backslash (undefined at the end: the next turn ends the string).
      value += char === '\\' ? text[position++] : char;
    }
  };

  for (;;) {
    skipSpace();
    const name = readToken();
    if (name === undefined) return undefined;
    const offer: ExtensionOffer = { name: name.toLowerCase(), params: [] };
    skipSpace();
    while (text[position] === ';') {
      position++;
      skipSpace();
      const paramName = readToken();
      if (paramName === undefined) return undefined;
      skipSpace();
      let value: string | true = true;
      if (text[position] === '=') {
        position++;
        skipSpace();
        const raw = text[position] === '"' ? readQuotedString() : readToken();
        if (raw === undefined || !TOKEN.test(raw)) return undefined;
        value = raw;
        skipSpace();
      }
      offer.params.push([paramName.toLowerCase(), value]);
    }
    offers.push(offer);
    if (position >= text.length) return offers;
    if (text[position] !== ',') return undefined;
    position++;
  }
}
