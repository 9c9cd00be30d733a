/**
 * Failures in words: an action whose static params name an error code and a close code
 * (`{ error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }`) is drawn `fail 1007 invalid UTF-8`, in the
 * diagrams and in the inspector's connection list alike.
 *
 * Driven by the params, not by action names: any string param that reads as an error code
 * (`WS_ERR_…`, as src/protocol-error.ts spells them) names the cause, and a numeric param whose
 * key ends in `closeCode` (any case) names the status code of RFC 6455 §7.4. The cause is the
 * error code's words, lower-cased, with the few protocol acronyms kept (`UTF-8`, `RSV1`).
 */

/** What an action's params say about a failure; both undefined when they say nothing. */
export interface FailureParams {
  /** The error code, e.g. `WS_ERR_INVALID_UTF8`. */
  readonly error: string | undefined;
  /** The status code the connection fails with, e.g. 1007. */
  readonly closeCode: number | undefined;
}

const ERROR_CODE = /^WS_ERR_[A-Z0-9_]+$/;
const CLOSE_CODE_KEY = /closecode$/i;

/** Words of an error code spelled as RFC 6455 spells them; the rest are lower-cased. */
const ACRONYMS: Readonly<Record<string, string>> = { UTF8: 'UTF-8', RSV: 'RSV', TCP: 'TCP', HTTP: 'HTTP' };

export function failureParams(params: unknown): FailureParams {
  let error: string | undefined;
  let closeCode: number | undefined;
  if (typeof params === 'object' && params !== null) {
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === 'string' && ERROR_CODE.test(value)) error ??= value;
      else if (typeof value === 'number' && CLOSE_CODE_KEY.test(key)) closeCode ??= value;
    }
  }
  return { error, closeCode };
}

/**
 * `WS_ERR_INVALID_UTF8` → `invalid UTF-8`, `WS_ERR_UNEXPECTED_RSV_1` → `unexpected RSV1`,
 * `WS_ERR_UNEXPECTED_RSV_2_3` → `unexpected RSV2/3`.
 */
export function failureCause(error: string): string {
  const words: string[] = [];
  let afterNumber = false;
  for (const part of error.replace(/^WS_ERR_/, '').split('_').filter(Boolean)) {
    if (/^\d+$/.test(part) && words.length > 0) {
      words[words.length - 1] += afterNumber ? `/${part}` : part;
      afterNumber = true;
      continue;
    }
    afterNumber = false;
    words.push(ACRONYMS[part] ?? part.toLowerCase());
  }
  return words.join(' ');
}

/** `fail 1007 invalid UTF-8`, or `fail invalid UTF-8` without a close code; undefined without an error code. */
export function failureLabel({ error, closeCode }: FailureParams): string | undefined {
  if (error === undefined) return undefined;
  return ['fail', ...(closeCode === undefined ? [] : [String(closeCode)]), failureCause(error)].join(' ');
}
