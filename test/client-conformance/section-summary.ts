/**
 * The per-section table a fuzzingserver-direction run prints: for each Autobahn section, how many
 * cases graded OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED / FAILED (behaviour), how many
 * closed with closing behaviour OK, and how many closed cleanly (a Close from the client, TCP
 * dropped by the server first).
 */
import type { ClientCaseVerdict } from './run-client-case.js';

const GRADES = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'] as const;

interface SectionCounts {
  cases: number;
  behaviour: Record<(typeof GRADES)[number], number>;
  closingOk: number;
  cleanCloses: number;
  passed: number;
}

function emptyCounts(): SectionCounts {
  return { cases: 0, behaviour: { OK: 0, 'NON-STRICT': 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0, FAILED: 0 }, closingOk: 0, cleanCloses: 0, passed: 0 };
}

/** Counts per section ("1" … "13") and in all, in section order. */
export function countBySection(verdicts: Iterable<ClientCaseVerdict>): Map<string, SectionCounts> {
  const sections = new Map<string, SectionCounts>();
  const all = emptyCounts();
  for (const verdict of verdicts) {
    const section = verdict.id.split('.')[0]!;
    let counts = sections.get(section);
    if (counts === undefined) sections.set(section, (counts = emptyCounts()));
    for (const target of [counts, all]) {
      target.cases++;
      target.behaviour[verdict.behaviour.grade]++;
      if (verdict.closingBehaviour.grade === 'OK') target.closingOk++;
      if (verdict.cleanClose) target.cleanCloses++;
      if (verdict.failure === undefined) target.passed++;
    }
  }
  const ordered = new Map([...sections].sort(([a], [b]) => Number(a) - Number(b)));
  ordered.set('all', all);
  return ordered;
}

/** The table, one line per section, for the test run's output. */
export function summaryLines(verdicts: Iterable<ClientCaseVerdict>, clientName: string): string[] {
  const lines = [`${clientName}: section  cases  OK  NON-STRICT  INFORMATIONAL  UNIMPLEMENTED  FAILED  closing OK  clean closes`];
  for (const [section, counts] of countBySection(verdicts)) {
    const b = counts.behaviour;
    const cells = [section.padStart(7), counts.cases, b.OK, b['NON-STRICT'], b.INFORMATIONAL, b.UNIMPLEMENTED, b.FAILED, counts.closingOk, counts.cleanCloses];
    lines.push(`${' '.repeat(clientName.length + 2)}${cells.map((cell, i) => String(cell).padStart(i === 0 ? 7 : [6, 4, 12, 15, 15, 8, 12, 14][i - 1]!)).join('')}`);
  }
  return lines;
}
