/**
 * The steps of a transition path as conformance cases declare them and as the server's
 * transition records are written (test/conformance/case.ts `ExpectedPath`): `EVENT->target`, or
 * `EVENT[guard]->target` where the state has several guard branches on that event that end in
 * the same target. There, and only there, the step names the branch it took: a Close with a
 * 1-octet body and one with an invalid code both fail the connection (RFC 6455 §5.5.1, §7.4.1),
 * `CLOSE_FRAME[hasOneByteCloseBody]->failed` and `CLOSE_FRAME[!isValidCloseCode]->failed`; an
 * accepted handshake is `HANDSHAKE_REQUEST[isPerMessageDeflateAgreed]->open` or
 * `HANDSHAKE_REQUEST[else]->open`. So every step is exactly one transition (one guard branch,
 * transition-branches.ts).
 *
 * The guard is written as the machine writes it (`else` for the fallback), without spaces.
 */
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import { MACHINE_IDS, type MachineId } from './event-samples.js';
import { branchesByMachine, branchOf, type TransitionBranch } from './transition-branches.js';

/** One step: its event type, the guard it names (if it must), the state it ends in. */
export interface DeclaredStep {
  readonly eventType: string;
  readonly guard: string | undefined;
  readonly target: string;
}

/** `CLOSE_FRAME[else]->closeHandshakeComplete` → its parts; undefined when the text is no step. */
export function parseStep(step: string): DeclaredStep | undefined {
  const match = /^([A-Z_]+)(?:\[([^\]\s]+)\])?->(\S+)$/.exec(step);
  return match === null ? undefined : { eventType: match[1]!, guard: match[2], target: match[3]! };
}

/** How a step names a branch's guard: `!isValidCloseCode`, `else`. */
export function guardLabel(branch: TransitionBranch): string {
  return (branch.guard ?? '').replace(/ /g, '');
}

/** `machineId source eventType target` of every branch, grouped. */
function fittingKey(machineId: MachineId, source: string, eventType: string, target: string): string {
  return `${machineId} ${source} ${eventType} ${target}`;
}

const branchesByStep = new Map<string, TransitionBranch[]>();
for (const machineId of MACHINE_IDS) {
  for (const branch of branchesByMachine[machineId]) {
    const key = fittingKey(machineId, branch.source, branch.eventType, branch.target);
    const list = branchesByStep.get(key);
    if (list === undefined) branchesByStep.set(key, [branch]);
    else list.push(branch);
  }
}

/** The event types of the steps that must name their guard: the only ones worth a closer look on every transition. */
const eventTypesNamingGuards = new Set(
  [...branchesByStep.values()].filter((branches) => branches.length > 1).map((branches) => branches[0]!.eventType),
);

/** The branches from `source` on `eventType` that end in `target` (none, one, or several that share both). */
export function branchesFitting(machineId: MachineId, source: string, eventType: string, target: string): readonly TransitionBranch[] {
  return branchesByStep.get(fittingKey(machineId, source, eventType, target)) ?? [];
}

/**
 * The guard a recorded transition's step must name, taken from the event that caused it (by the
 * machine's own guards); undefined when its step names none. Cheap for the events of steps that
 * never name one: it is called on every transition of a conformance run.
 */
export function guardToName(machineId: string, source: string, event: ProtocolEvent, target: string): string | undefined {
  if (!eventTypesNamingGuards.has(event.type) || !(MACHINE_IDS as readonly string[]).includes(machineId)) return undefined;
  const id = machineId as MachineId;
  if (branchesFitting(id, source, event.type, target).length < 2) return undefined;
  const branch = branchOf(id, source, event);
  return branch === undefined ? undefined : guardLabel(branch);
}

/** A step as written: `EVENT->target`, `EVENT[guard]->target`. */
export function writeStep(eventType: string, guard: string | undefined, target: string): string {
  return guard === undefined ? `${eventType}->${target}` : `${eventType}[${guard}]->${target}`;
}

/**
 * The branch a declared step from `source` is: its only fitting branch (then it names no guard),
 * or the one whose guard it names (then there are several); else, in words, why it is none.
 */
export function branchOfStep(machineId: MachineId, source: string, step: string): TransitionBranch | string {
  const parsed = parseStep(step);
  if (parsed === undefined) return `"${step}" is not a step (EVENT->target or EVENT[guard]->target)`;
  const fitting = branchesFitting(machineId, source, parsed.eventType, parsed.target);
  if (fitting.length === 0) return `${source} has no transition ${step}`;
  if (fitting.length === 1) {
    if (parsed.guard === undefined) return fitting[0]!;
    return `${step} names a guard, but ${source} has one branch on ${parsed.eventType} to ${parsed.target}`;
  }
  const named = fitting.find((branch) => guardLabel(branch) === parsed.guard);
  if (named !== undefined) return named;
  const choices = fitting.map((branch) => writeStep(parsed.eventType, guardLabel(branch), parsed.target)).join(', ');
  return `${step} from ${source} must name one of its branches: ${choices}`;
}
