/**
 * Grading, as Autobahn|Testsuite grades a fuzzingclient case:
 * - behaviour: OK when the events received equal one of the expected lists (or the case's
 *   `checkEvents` finds nothing wrong), FAILED otherwise; INFORMATIONAL cases are not graded;
 * - closing behaviour, checked in this order: FAILED when the wrong side started closing,
 *   UNCLEAN when a clean close is required and did not happen, WRONG CODE when the server's
 *   close code is not accepted, FAILED BY CLIENT when the client had to drop TCP, else OK;
 * and, beyond the real suite, the machines' transition paths must equal the declared ones, and
 * the server's |Sec-WebSocket-Extensions| answer the one a case requires.
 */
import { createHash } from 'node:crypto';
import type { ClientRecord, ConformanceCase, ExpectedClose, ExpectedEvent, ExpectedPath, ReceivedEvent } from './case.js';
import { canonicalExtensions } from './permessage-deflate-client.js';
import type { CloseOutcome } from './wire-client.js';

export type BehaviourGrade = 'OK' | 'NON-STRICT' | 'FAILED' | 'INFORMATIONAL';
export type ClosingBehaviourGrade = 'OK' | 'FAILED' | 'UNCLEAN' | 'WRONG CODE' | 'FAILED BY CLIENT';

export interface Graded<Grade extends string> {
  grade: Grade;
  /** Why, in words: what was received against what was expected. */
  detail: string;
}

export interface CaseGrades {
  behaviour: Graded<BehaviourGrade>;
  closingBehaviour: Graded<ClosingBehaviourGrade>;
  /** One entry per machine whose path differs from the declared one; undefined when paths were not recorded. */
  pathProblems: string[] | undefined;
  /** How the server's extension answer differs from the one the case requires; undefined when it does not (or the case requires none). */
  extensionProblem: string | undefined;
}

export const MACHINE_IDS = ['connection', 'message', 'closingHandshake'] as const;

/** RFC 6455 §7.4.1: 1000, "normal closure". */
const NORMAL_CLOSURE = 1000;
/** How many events a failure message lists before it points at the first difference instead. */
const MAX_EVENTS_LISTED = 8;
/** Paths up to this many characters are printed whole on a mismatch. */
const MAX_PATH_PRINTED = 400;

// ---------------------------------------------------------------------------------------------
// Describing events

function octetsOf(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

function sameOctets(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return Buffer.from(octetsOf(a)).equals(octetsOf(b));
}

function isPrintable(octets: Uint8Array): boolean {
  return octets.every((octet) => octet >= 0x20 && octet < 0x7f);
}

/** A payload, cut: quoted text for text, hex for anything else; the full size in octets. */
function describePayload(payload: string | Uint8Array, asText: boolean): string {
  const octets = octetsOf(payload);
  const size = `(${octets.length} octets)`;
  if (asText || isPrintable(octets)) {
    const text = typeof payload === 'string' ? payload : Buffer.from(octets).toString('utf8');
    return text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}… ${size}` : `${JSON.stringify(text)} ${size}`;
  }
  const hex = Buffer.from(octets.subarray(0, 16)).toString('hex');
  return octets.length > 16 ? `0x${hex}… ${size}` : `0x${hex} ${size}`;
}

export function describeEvent(event: ReceivedEvent | ExpectedEvent): string {
  switch (event[0]) {
    case 'message':
      return event[2] ? `binary message ${describePayload(event[1], false)}` : `text message ${describePayload(event[1], true)}`;
    case 'messageDigest':
      return `${event[2] ? 'binary' : 'text'} message of ${event[1].length} octets with SHA-1 ${event[1].sha1}`;
    case 'pong':
      return `pong ${describePayload(event[1], false)}`;
    case 'timeout':
      return `timeout ${JSON.stringify(event[1])}`;
  }
}

export function describeEvents(events: readonly (ReceivedEvent | ExpectedEvent)[]): string {
  if (events.length === 0) return '[] (nothing)';
  return `[${events.map(describeEvent).join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Behaviour

/** SHA-1 of a payload's octets, hex: what `messageDigest` events carry. */
export function sha1Of(payload: string | Uint8Array): string {
  return createHash('sha1').update(octetsOf(payload)).digest('hex');
}

/**
 * Messages compare by payload octets and isBinary (a digest by length and SHA-1), pongs by
 * payload octets, timeouts by tag.
 */
export function sameEvent(received: ReceivedEvent, expected: ExpectedEvent): boolean {
  switch (received[0]) {
    case 'message':
      return expected[0] === 'message' && received[2] === expected[2] && sameOctets(received[1], expected[1]);
    case 'messageDigest':
      return (
        expected[0] === 'message' &&
        received[2] === expected[2] &&
        received[1].length === octetsOf(expected[1]).length &&
        received[1].sha1 === sha1Of(expected[1])
      );
    case 'pong':
      return expected[0] === 'pong' && sameOctets(received[1], expected[1]);
    case 'timeout':
      return expected[0] === 'timeout' && received[1] === expected[1];
  }
}

function sameEvents(received: readonly ReceivedEvent[], expected: readonly ExpectedEvent[]): boolean {
  return received.length === expected.length && received.every((event, i) => sameEvent(event, expected[i]!));
}

/** Where two event lists part, for lists too long to print. */
function firstDifference(received: readonly ReceivedEvent[], expected: readonly ExpectedEvent[]): string {
  let i = 0;
  while (i < received.length && i < expected.length && sameEvent(received[i]!, expected[i]!)) i++;
  const got = i < received.length ? describeEvent(received[i]!) : 'nothing more';
  const wanted = i < expected.length ? describeEvent(expected[i]!) : 'nothing more';
  return `${received.length} events received, ${expected.length} expected; event #${i}: received ${got}, expected ${wanted}`;
}

function describeMismatch(received: readonly ReceivedEvent[], expected: readonly (readonly ExpectedEvent[])[]): string {
  const short = received.length <= MAX_EVENTS_LISTED && expected.every((list) => list.length <= MAX_EVENTS_LISTED);
  if (short) {
    const wanted =
      expected.length === 1 ? describeEvents(expected[0]!) : `one of ${expected.map((list) => describeEvents(list)).join(' | ')}`;
    return `received ${describeEvents(received)}, expected ${wanted}`;
  }
  return expected.map((list) => firstDifference(received, list)).join('; or: ');
}

export function gradeBehaviour(testCase: ConformanceCase, received: readonly ReceivedEvent[]): Graded<BehaviourGrade> {
  const expect = testCase.expect;
  let problem: string | undefined;
  if ('checkEvents' in expect) {
    problem = expect.checkEvents(received);
  } else if (!expect.some((list) => sameEvents(received, list))) {
    problem = describeMismatch(received, expect);
  }
  if (testCase.informational) {
    return { grade: 'INFORMATIONAL', detail: problem ?? 'received what the OK grade expects' };
  }
  if (problem !== undefined && testCase.nonStrict?.some((list) => sameEvents(received, list))) {
    return { grade: 'NON-STRICT', detail: `received what the real suite grades NON-STRICT; for OK: ${problem}` };
  }
  return problem === undefined ? { grade: 'OK', detail: 'received what was expected' } : { grade: 'FAILED', detail: problem };
}

// ---------------------------------------------------------------------------------------------
// Closing behaviour

function describeClose(outcome: CloseOutcome): string {
  const parts: string[] = [];
  if (!outcome.serverCloseReceived) parts.push('no Close came from the server');
  else if (outcome.serverCloseCode === undefined) parts.push('the server sent an empty Close');
  else parts.push(`the server sent Close ${outcome.serverCloseCode}`);
  if (!outcome.clientCloseSent) parts.push('the client sent no Close');
  if (outcome.droppedByClient) parts.push(`the client dropped TCP: ${outcome.droppedReason}`);
  else if (outcome.serverDroppedTcp) parts.push('the server dropped TCP');
  if (outcome.serverViolation !== undefined) parts.push(outcome.serverViolation);
  return parts.join('; ');
}

export function gradeClosingBehaviour(expected: ExpectedClose, outcome: CloseOutcome): Graded<ClosingBehaviourGrade> {
  const closedByClient = outcome.closeStartedBy === 'client';
  if (closedByClient !== expected.closedByClient) {
    const who = outcome.closeStartedBy === undefined ? 'no side' : `the ${outcome.closeStartedBy}`;
    const detail = `${who} started the closing handshake, expected the ${expected.closedByClient ? 'client' : 'server'} to`;
    return { grade: 'FAILED', detail: `${detail} (${describeClose(outcome)})` };
  }
  if (expected.requireClean && !outcome.wasClean) {
    return { grade: 'UNCLEAN', detail: `a clean close is required: ${describeClose(outcome)}` };
  }
  if (outcome.serverCloseReceived) {
    // An empty Close body has no code: it passes only where 1000 would (RFC 6455 §7.1.5 reads it as 1005).
    const code = outcome.serverCloseCode;
    const accepted = code === undefined ? expected.closeCode.includes(NORMAL_CLOSURE) : expected.closeCode.includes(code);
    if (!accepted) {
      return {
        grade: 'WRONG CODE',
        detail: `the server closed with ${code ?? 'an empty Close'}, expected ${expected.closeCode.join(' or ')}`,
      };
    }
  }
  if (outcome.droppedByClient) return { grade: 'FAILED BY CLIENT', detail: describeClose(outcome) };
  return { grade: 'OK', detail: describeClose(outcome) };
}

// ---------------------------------------------------------------------------------------------
// Paths

function stepsOf(path: string): string[] {
  return path === '' ? [] : path.split(' ');
}

/** Expected against actual; long paths show the first differing step, its index and the steps around it. */
export function describePathMismatch(machineId: string, expected: string, actual: string): string {
  if (expected.length + actual.length <= MAX_PATH_PRINTED) {
    return `${machineId} path:\n    expected: ${expected || '(no transitions)'}\n    actual:   ${actual || '(no transitions)'}`;
  }
  const expectedSteps = stepsOf(expected);
  const actualSteps = stepsOf(actual);
  let i = 0;
  while (i < expectedSteps.length && i < actualSteps.length && expectedSteps[i] === actualSteps[i]) i++;
  const around = (list: string[]) => {
    const from = Math.max(0, i - 2);
    const shown = list.slice(from, i + 3).map((step, k) => (from + k === i ? `[${step}]` : step));
    return `${from > 0 ? '… ' : ''}${shown.join(' ')}${i + 3 < list.length ? ' …' : ''}${i >= list.length ? ' [end]' : ''}`;
  };
  return (
    `${machineId} path differs at step ${i} (expected ${expectedSteps.length} steps, got ${actualSteps.length}):\n` +
    `    expected: ${around(expectedSteps)}\n` +
    `    actual:   ${around(actualSteps)}`
  );
}

export function comparePaths(expected: ExpectedPath, actual: ExpectedPath): string[] {
  return MACHINE_IDS.filter((id) => expected[id] !== actual[id]).map((id) => describePathMismatch(id, expected[id], actual[id]));
}

/** The path a case declares, for what its client did in this run. */
export function declaredPath(testCase: ConformanceCase, run: ClientRecord): ExpectedPath {
  return typeof testCase.path === 'function' ? testCase.path(run) : testCase.path;
}

// ---------------------------------------------------------------------------------------------
// Extensions

/**
 * The server's |Sec-WebSocket-Extensions| answer against the one the case requires (`null`: none),
 * parameters in any order; undefined when they agree or the case requires nothing.
 */
export function checkExtensionResponse(required: string | null | undefined, answered: string | undefined): string | undefined {
  if (required === undefined) return undefined;
  if (required === null) return answered === undefined ? undefined : `the server answered Sec-WebSocket-Extensions "${answered}", expected no extension`;
  if (answered === undefined) return `the server answered no Sec-WebSocket-Extensions, expected "${required}"`;
  if (canonicalExtensions(answered) === canonicalExtensions(required)) return undefined;
  return `the server answered Sec-WebSocket-Extensions "${answered}", expected "${required}" (parameters in any order)`;
}

// ---------------------------------------------------------------------------------------------
// A whole case

/** What the client knows of a run beyond events and close: what it sent and the extensions answer. */
export interface ClientRunRecord extends ClientRecord {
  readonly extensionResponse: string | undefined;
}

export function gradeCase(
  testCase: ConformanceCase,
  received: readonly ReceivedEvent[],
  outcome: CloseOutcome,
  actualPath: ExpectedPath | undefined,
  run: ClientRunRecord = { sent: [], extensionResponse: undefined },
): CaseGrades {
  return {
    behaviour: gradeBehaviour(testCase, received),
    closingBehaviour: gradeClosingBehaviour(testCase.close, outcome),
    pathProblems: actualPath === undefined ? undefined : comparePaths(declaredPath(testCase, run), actualPath),
    extensionProblem: checkExtensionResponse(testCase.extensionResponse, run.extensionResponse),
  };
}

/** Everything wrong with a graded case, one line (or block) each; undefined when it passed. */
export function failureMessage(grades: CaseGrades, error?: string): string | undefined {
  const problems: string[] = [];
  if (error !== undefined) problems.push(`error: ${error}`);
  // NON-STRICT counts as a failure: the goal is OK on every case that is not INFORMATIONAL.
  const behaviour = grades.behaviour.grade;
  if (behaviour === 'FAILED' || behaviour === 'NON-STRICT') problems.push(`behaviour ${behaviour}: ${grades.behaviour.detail}`);
  if (grades.closingBehaviour.grade !== 'OK') {
    problems.push(`closing behaviour ${grades.closingBehaviour.grade}: ${grades.closingBehaviour.detail}`);
  }
  if (grades.extensionProblem !== undefined) problems.push(`extensions: ${grades.extensionProblem}`);
  for (const problem of grades.pathProblems ?? []) problems.push(problem);
  return problems.length === 0 ? undefined : problems.join('\n');
}
