/**
 * Autobahn|Testsuite section 12: permessage-deflate with the client's default offer
 * (`client_no_context_takeover; client_max_window_bits`), one group per kind of payload —
 * 12.1 JSON (text), 12.2 a bitmap (binary), 12.3 German verse (binary), 12.4 HTML (text),
 * 12.5 a PDF-like file that is mostly incompressible (binary). Each group is the eighteen rows of
 * compressed-echo.ts; the server answers the offer with `client_no_context_takeover`.
 */
import type { ConformanceCase } from '../case.js';
import { compressedEchoCases, type CompressedEchoGroup, type CompressedEchoOptions } from './compressed-echo.js';
import { bitmapCorpus, htmlCorpus, jsonCorpus, pdfLikeCorpus, verseCorpus } from './compression-corpora.js';

/** The offer Autobahn's client makes by default: it will not use context takeover, and lets the server limit its window. */
export const DEFAULT_OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';

const defaultOffer = {
  offer: DEFAULT_OFFER,
  // RFC 7692 §7.1.1.2, §7.1.2.2: the server holds the client to its hint and leaves its window alone.
  response: 'permessage-deflate; client_no_context_takeover',
  offerInWords: 'default offer',
};

export const groups: readonly CompressedEchoGroup[] = [
  { id: '12.1', corpus: jsonCorpus, ...defaultOffer },
  { id: '12.2', corpus: bitmapCorpus, ...defaultOffer },
  { id: '12.3', corpus: verseCorpus, ...defaultOffer },
  { id: '12.4', corpus: htmlCorpus, ...defaultOffer },
  { id: '12.5', corpus: pdfLikeCorpus, ...defaultOffer },
];

/** Section 12's 90 cases, scaled by `options` (the real suite's sizes by default). */
export function buildCases(options: CompressedEchoOptions = {}): ConformanceCase[] {
  return groups.flatMap((group) => compressedEchoCases(group, options));
}

export const cases: ConformanceCase[] = buildCases();
