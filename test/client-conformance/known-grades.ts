/**
 * Where a client under test is known to fall short of OK, and how: the grades the suite must
 * give it there, so that a run checks the harness too — it must grade `ws`'s client exactly as
 * the real Autobahn|Testsuite grades `ws` (/work/shared/autobahn/REPORT.md: NON-STRICT on 6.4.1–
 * 6.4.4, where ws checks UTF-8 only once a message is complete; FAILED on 9.3.1, 9.3.2, 9.4.1,
 * 9.4.2, where its default fragment limit closes with 1008). statesocket's client has no entry:
 * every case must be OK (or INFORMATIONAL) with a clean close.
 */
import type { ClosingBehaviourGrade } from '../conformance/grade.js';
import type { ClientImplementation } from './client-under-test.js';
import type { ClientBehaviourGrade } from './run-client-case.js';

export interface KnownGrade {
  behaviour: ClientBehaviourGrade;
  closingBehaviour: ClosingBehaviourGrade;
}

const utf8CheckedAtTheEnd: KnownGrade = { behaviour: 'NON-STRICT', closingBehaviour: 'OK' };
/** ws's client fails these with 1008 (too many fragments): it starts the close, nothing is echoed. */
const fragmentLimit: KnownGrade = { behaviour: 'FAILED', closingBehaviour: 'FAILED' };

const KNOWN: Record<ClientImplementation, Readonly<Record<string, KnownGrade>>> = {
  statesocket: {},
  ws: {
    '6.4.1': utf8CheckedAtTheEnd,
    '6.4.2': utf8CheckedAtTheEnd,
    '6.4.3': utf8CheckedAtTheEnd,
    '6.4.4': utf8CheckedAtTheEnd,
    '9.3.1': fragmentLimit,
    '9.3.2': fragmentLimit,
    '9.4.1': fragmentLimit,
    '9.4.2': fragmentLimit,
  },
};

export function knownGrade(implementation: ClientImplementation, caseId: string): KnownGrade | undefined {
  return KNOWN[implementation][caseId];
}
