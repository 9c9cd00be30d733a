/**
 * RFC 6455 §7.4: which status codes may appear in a Close frame.
 */

/**
 * §7.4.1 defines 1000–1003 and 1007–1011 for use in Close frames; 1004 is reserved and 1005,
 * 1006 and 1015 "MUST NOT be set as a status code in a Close control frame by an endpoint".
 * 1012–1014 are registered with IANA since (service restart, try again later, bad gateway).
 * §7.4.2: 0–999 are not used; 1000–2999 are reserved for the protocol and its extensions;
 * 3000–3999 are registered with IANA; 4000–4999 are for private use.
 */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= 1000 && code <= 1003) return true;
  return code >= 1007 && code <= 1014;
}
