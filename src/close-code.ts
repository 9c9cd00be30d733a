/**
 * RFC 6455 §7.4: the status codes of a Close frame, in one table: their names, which an
 * endpoint may send, and which exist only locally (§7.1.5, §7.4.1: 1005, 1006 and 1015
 * "MUST NOT be set as a status code in a Close control frame by an endpoint").
 *
 * Every close code statesocket uses comes from here (src/, machines/, tests and bench).
 */

/** §7.4.1 status codes by name (1012–1014 are registered with IANA since). */
export const CloseCode = {
  /** 1000: "a normal closure, meaning that the purpose for which the connection was established has been fulfilled". */
  normalClosure: 1000,
  /** 1001: "an endpoint is "going away", such as a server going down". */
  goingAway: 1001,
  /** 1002: "an endpoint is terminating the connection due to a protocol error". */
  protocolError: 1002,
  /** 1003: "it has received a type of data it cannot accept". */
  unsupportedData: 1003,
  /** 1005: local only — "no status code was actually present" in the Close frame received. */
  noStatusReceived: 1005,
  /** 1006: local only — "the connection was closed abnormally", without a Close frame. */
  abnormalClosure: 1006,
  /** 1007: "data within a message that was not consistent with the type of the message" (e.g. non-UTF-8 text). */
  invalidPayloadData: 1007,
  /** 1008: "a message that violates its policy". */
  policyViolation: 1008,
  /** 1009: "a message that is too big for it to process". */
  messageTooBig: 1009,
  /** 1010: the client expected an extension the server did not negotiate. */
  mandatoryExtension: 1010,
  /** 1011: "an unexpected condition that prevented it from fulfilling the request". */
  internalError: 1011,
  /** 1012–1014 (IANA registry): service restart, try again later, bad gateway. */
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badGateway: 1014,
  /** 1015: local only — the TLS handshake failed. */
  tlsHandshake: 1015,
} as const;

/** §7.4.1: codes that exist only locally and never appear in a Close frame. */
export const LOCAL_ONLY_CLOSE_CODES: readonly number[] = [
  CloseCode.noStatusReceived,
  CloseCode.abnormalClosure,
  CloseCode.tlsHandshake,
];

/**
 * Whether an endpoint may put `code` in a Close frame (and so whether a received one is valid).
 * §7.4.1 defines 1000–1003 and 1007–1011 for use in Close frames; 1004 is reserved; 1005, 1006
 * and 1015 are local only; 1012–1014 are registered with IANA since. §7.4.2: 0–999 are not
 * used; 1000–2999 are reserved for the protocol and its extensions; 3000–3999 are registered
 * with IANA; 4000–4999 are for private use.
 */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= CloseCode.normalClosure && code <= CloseCode.unsupportedData) return true;
  return code >= CloseCode.invalidPayloadData && code <= CloseCode.badGateway;
}
