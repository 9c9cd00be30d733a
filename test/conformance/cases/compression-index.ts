/**
 * Every conformance case of Autobahn|Testsuite sections 12 and 13 (permessage-deflate), in the
 * suite's order: 216 cases of 1000 compressed messages each, as the real suite runs them —
 * and `reducedCases`, the same 216 cases with fewer messages, for `npm test`.
 */
import type { ConformanceCase } from '../case.js';
import { AUTOBAHN_MESSAGE_COUNT, type CompressedEchoOptions } from './compressed-echo.js';
import { buildCases as compressionCases } from './section-12-compression.js';
import { buildCases as parameterCases } from './section-13-compression-parameters.js';

export const cases: readonly ConformanceCase[] = [...compressionCases(), ...parameterCases()];

/** Every case of sections 12 and 13 built with `options`. */
export function buildCompressionCases(options: CompressedEchoOptions): ConformanceCase[] {
  return [...compressionCases(options), ...parameterCases(options)];
}

/** The octets of payload a reduced case sends at most. */
export const REDUCED_PAYLOAD_BUDGET = 1024 * 1024;
/** The most messages a reduced case sends (a fifth of the real suite's round trips). */
export const REDUCED_MAX_MESSAGES = AUTOBAHN_MESSAGE_COUNT / 5;
/** The fewest messages a reduced case sends. */
export const REDUCED_MIN_MESSAGES = 8;

/**
 * Every case, each sending at most 200 messages and 1 MiB of payload: 200 messages up to 4 KiB,
 * then fewer (128 of 8 KiB, ..., 8 of 128 KiB) — the same sizes, fragment sizes, offers and
 * corpora, at about a sixtieth of the full run's volume.
 */
export function reducedCases(): ConformanceCase[] {
  return buildCompressionCases({
    messageCount: (length) => Math.min(REDUCED_MAX_MESSAGES, Math.max(REDUCED_MIN_MESSAGES, Math.floor(REDUCED_PAYLOAD_BUDGET / length))),
    waitSeconds: 30,
  });
}
