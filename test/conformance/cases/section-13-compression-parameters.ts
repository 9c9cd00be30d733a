/**
 * Autobahn|Testsuite section 13: permessage-deflate with every combination of the parameters a
 * client offers for the server's side — `server_no_context_takeover` and `server_max_window_bits`
 * of 9 or 15 — and, in 13.7, three offers in one header, of which the server must accept the
 * first (RFC 7692 §5.1: the server picks one; statesocket picks the first it can honour). Every
 * group sends the JSON corpus as text in the eighteen rows of compressed-echo.ts.
 *
 * A server that accepts an offer with `server_no_context_takeover` or `server_max_window_bits`
 * must say so in its answer (§7.1.1.1, §7.1.2.1), and must then keep it: the client inflates
 * each message on its own and with exactly the agreed window, so a server that refers back to
 * an earlier message, or further back than 2^9 octets, fails to inflate.
 */
import type { ConformanceCase } from '../case.js';
import { compressedEchoCases, type CompressedEchoGroup, type CompressedEchoOptions } from './compressed-echo.js';
import { jsonCorpus } from './compression-corpora.js';
import { DEFAULT_OFFER } from './section-12-compression.js';

const serverNoContextTakeover = `${DEFAULT_OFFER}; server_no_context_takeover`;
const serverWindow9 = `${DEFAULT_OFFER}; server_max_window_bits=9`;
const serverWindow15 = `${DEFAULT_OFFER}; server_max_window_bits=15`;
const bothWindow9 = `${DEFAULT_OFFER}; server_no_context_takeover; server_max_window_bits=9`;
const bothWindow15 = `${DEFAULT_OFFER}; server_no_context_takeover; server_max_window_bits=15`;

function group(id: string, offer: string, response: string, offerInWords: string): CompressedEchoGroup {
  return { id, corpus: jsonCorpus, offer, response, offerInWords };
}

export const groups: readonly CompressedEchoGroup[] = [
  group('13.1', DEFAULT_OFFER, 'permessage-deflate; client_no_context_takeover', 'default offer'),
  group('13.2', serverNoContextTakeover, 'permessage-deflate; client_no_context_takeover; server_no_context_takeover', 'offer with server_no_context_takeover'),
  group('13.3', serverWindow9, 'permessage-deflate; client_no_context_takeover; server_max_window_bits=9', 'offer with server_max_window_bits=9'),
  group('13.4', serverWindow15, 'permessage-deflate; client_no_context_takeover; server_max_window_bits=15', 'offer with server_max_window_bits=15'),
  group(
    '13.5',
    bothWindow9,
    'permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=9',
    'offer with server_no_context_takeover and server_max_window_bits=9',
  ),
  group(
    '13.6',
    bothWindow15,
    'permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=15',
    'offer with server_no_context_takeover and server_max_window_bits=15',
  ),
  group(
    '13.7',
    [bothWindow9, serverNoContextTakeover, DEFAULT_OFFER].join(', '),
    'permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=9',
    'three offers, the first with server_no_context_takeover and server_max_window_bits=9',
  ),
];

/** Section 13's 126 cases, scaled by `options` (the real suite's sizes by default). */
export function buildCases(options: CompressedEchoOptions = {}): ConformanceCase[] {
  return groups.flatMap((group) => compressedEchoCases(group, options));
}

export const cases: ConformanceCase[] = buildCases();
