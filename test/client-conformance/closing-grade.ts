/**
 * Closing behaviour in the fuzzingserver direction, graded as Autobahn|Testsuite's `Case`
 * grades it when the suite is the server (`onConnectionLost`), in this order:
 * - FAILED when the wrong side started the closing handshake (`closedByMe`: the case's side —
 *   here the harness — was to start it, or the client was);
 * - UNCLEAN when a clean close is required and no Close came from the client (`wasClean`);
 * - WRONG CODE when the client's Close carries a code the case does not accept;
 * - else OK. (FAILED BY CLIENT is a grade of the client direction only: the server drops TCP.)
 *
 * Beyond the real suite, `cleanClose` says whether the close was clean in the stricter sense
 * the issue asks of the statesocket client: a Close from the client, and TCP left for the server
 * to drop (§7.1.1: "the underlying TCP connection, in most normal cases, SHOULD be closed first
 * by the server").
 */
import type { ExpectedClose } from '../conformance/case.js';
import type { ClosingBehaviourGrade, Graded } from '../conformance/grade.js';
import type { FuzzingCloseOutcome } from './fuzzing-connection.js';

export function describeFuzzingClose(outcome: FuzzingCloseOutcome): string {
  const parts: string[] = [];
  if (outcome.closeStartedBy !== undefined) parts.push(`the ${outcome.closeStartedBy} sent the first Close`);
  if (!outcome.clientCloseReceived) parts.push('no Close came from the client');
  else if (outcome.clientCloseCode === undefined) parts.push('the client sent an empty Close');
  else parts.push(`the client sent Close ${outcome.clientCloseCode}`);
  if (outcome.clientDroppedTcp) parts.push('the client dropped TCP first');
  else if (outcome.droppedByHarness) parts.push(`the harness dropped TCP (${outcome.droppedReason})`);
  if (outcome.clientViolation !== undefined) parts.push(outcome.clientViolation);
  return parts.join('; ');
}

export function gradeFuzzingClose(expected: ExpectedClose, outcome: FuzzingCloseOutcome): Graded<ClosingBehaviourGrade> {
  // The cases say "client" for the side the suite plays: here, the harness.
  const closedByHarness = outcome.closeStartedBy === 'harness';
  if (closedByHarness !== expected.closedByClient) {
    const who = outcome.closeStartedBy === undefined ? 'no side' : `the ${outcome.closeStartedBy}`;
    const wanted = expected.closedByClient ? 'the harness (the suite)' : 'the client under test';
    return { grade: 'FAILED', detail: `${who} started the closing handshake, expected ${wanted} to (${describeFuzzingClose(outcome)})` };
  }
  if (expected.requireClean && !outcome.wasClean) {
    return { grade: 'UNCLEAN', detail: `a clean close is required: ${describeFuzzingClose(outcome)}` };
  }
  // As Autobahn: only a code that is there is checked (an empty Close passes).
  const code = outcome.clientCloseCode;
  if (code !== undefined && !expected.closeCode.includes(code)) {
    return { grade: 'WRONG CODE', detail: `the client closed with ${code}, expected ${expected.closeCode.join(' or ')}` };
  }
  return { grade: 'OK', detail: describeFuzzingClose(outcome) };
}

/** A Close from the client, and TCP dropped by the harness, not the client. */
export function isCleanClose(outcome: FuzzingCloseOutcome): boolean {
  return outcome.wasClean && !outcome.clientDroppedTcp;
}
