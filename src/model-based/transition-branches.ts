/**
 * What "every transition" means for coverage: every guard branch of every state, as the
 * compiled table takes it.
 *
 * The list comes from `CompiledMachine.transitions()`. The table has one entry per source state,
 * event type and combination of the outcomes of that event's guards (the closing-handshake
 * machine's CLOSE_FRAME in `open` alone has 2^4 entries), so several entries stand for the same
 * branch — and some combinations no real event has (a Close body both empty and 1 byte long).
 * Each entry is therefore identified with the branch of the machine definition XState takes for
 * it (source state, event type, index of the branch among that event's transitions, in the order
 * XState tries their guards); a branch counts once, whichever entry took it. Every entry maps to a
 * branch and every branch to an entry (checked when the list is built), so covering every branch
 * is covering every row of the table.
 */
import type { AnyStateMachine } from 'xstate';
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import { CompiledMachine, type CompiledTransition } from '../compiled-machine.js';
import { atomicTarget, machineGraph } from '../diagrams/machine-graph.js';
import { isClientRole, isClientRoleState, isInProcessOnly, isInProcessOnlyState, MACHINE_IDS, type MachineId } from './event-samples.js';
import { machinesById } from './model-paths.js';

/** One guard branch of one event from one state. */
export interface TransitionBranch {
  readonly machineId: MachineId;
  /** `open CLOSE_FRAME#2`: source, event type, branch index (unique within the machine). */
  readonly key: string;
  /** The atomic state the branch leaves. */
  readonly source: string;
  readonly eventType: string;
  /** The state whose `on` defines the branch: the source or one of its ancestors. */
  readonly definedOn: string;
  /** The branch's index among the event's transitions of `definedOn`, in the order XState tries them. */
  readonly branch: number;
  /** The guard as written (`!isValidCloseCode`), `else` for a guarded event's fallback, undefined when unguarded. */
  readonly guard: string | undefined;
  /** The atomic state it ends in (the source itself for a targetless transition). */
  readonly target: string;
  readonly actions: readonly string[];
}

/** `open --CLOSE_FRAME [!isValidCloseCode]--> failed`. */
export function describeBranch(branch: TransitionBranch): string {
  const guard = branch.guard === undefined ? '' : ` [${branch.guard}]`;
  return `${branch.source} --${branch.eventType}${guard}--> ${branch.target}`;
}

const compiledById = new Map<MachineId, CompiledMachine>();

/** The machine's compiled table, built once. */
export function compiledOf(machineId: MachineId): CompiledMachine {
  let compiled = compiledById.get(machineId);
  if (compiled === undefined) compiledById.set(machineId, (compiled = new CompiledMachine(machinesById[machineId])));
  return compiled;
}

function branchKey(source: string, eventType: string, definedOn: string, index: number): string {
  return definedOn === source ? `${source} ${eventType}#${index}` : `${source} ${eventType} (${definedOn})#${index}`;
}

/** The state and its ancestors, innermost first: `text.fragment` → `text.fragment`, `text`. */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
}

function stateValue(path: string): unknown {
  const [head, ...rest] = path.split('.');
  return rest.length === 0 ? head : { [head!]: stateValue(rest.join('.')) };
}

/** The transition definition XState picks from `source` on an event of `eventType`, in `machine`. */
function pickedDefinition(machine: AnyStateMachine, source: string, event: ProtocolEvent | { type: string }) {
  const snapshot = machine.resolveState({ value: stateValue(source) as never, context: undefined });
  const [definition] = machine.getTransitionData(snapshot as never, event as never);
  if (definition === undefined) return undefined;
  const definedOn = definition.source.path.join('.');
  const index = definition.source.transitions.get(event.type)?.indexOf(definition) ?? -1;
  return { definedOn, index };
}

/**
 * Every branch of the machine that a row of its compiled table takes, in table order. Each row is
 * identified by asking XState, with the row's guard outcomes forced (as the table compiler does),
 * which branch it takes.
 */
export function transitionBranches(machineId: MachineId): TransitionBranch[] {
  const machine = machinesById[machineId];
  const compiled = compiledOf(machineId);
  const graph = machineGraph(machine);
  const entries = compiled.transitions();
  const branches = new Map<string, TransitionBranch>();
  let row = 0;
  for (const source of compiled.states) {
    for (const eventType of compiled.eventTypes) {
      const guardNames = compiled.guardNames(eventType);
      for (let outcomes = 0; outcomes < 1 << guardNames.length; outcomes++) {
        const forced = machine.provide({
          guards: Object.fromEntries(guardNames.map((name, i) => [name, () => ((outcomes >> i) & 1) === 1])),
        });
        const picked = pickedDefinition(forced, source, { type: eventType });
        if (picked === undefined) continue;
        const entry: CompiledTransition | undefined = entries[row++];
        const edge = graph.edges.find(
          (candidate) => candidate.source === picked.definedOn && candidate.eventType === eventType && candidate.branch === picked.index,
        );
        const target = edge === undefined ? undefined : edge.targetless ? source : atomicTarget(graph, edge.target);
        if (entry === undefined || edge === undefined || entry.source !== source || entry.eventType !== eventType || entry.target !== target) {
          throw new Error(`${machineId}: the compiled table and the machine disagree on ${source} --${eventType}--> (row ${row - 1})`);
        }
        const key = branchKey(source, eventType, picked.definedOn, picked.index);
        if (!branches.has(key)) {
          branches.set(key, {
            machineId,
            key,
            source,
            eventType,
            definedOn: picked.definedOn,
            branch: picked.index,
            guard: edge.guard,
            target,
            actions: edge.actions,
          });
        }
      }
    }
  }
  if (row !== entries.length) throw new Error(`${machineId}: ${entries.length - row} table rows were not identified`);
  // Order: by source as the table lists states, then event type as declared, then branch index.
  const stateOrder = (path: string) => compiled.states.indexOf(path);
  const eventOrder = (type: string) => compiled.eventTypes.indexOf(type);
  return [...branches.values()].sort(
    (a, b) =>
      stateOrder(a.source) - stateOrder(b.source) ||
      eventOrder(a.eventType) - eventOrder(b.eventType) ||
      selfAndAncestors(a.source).indexOf(a.definedOn) - selfAndAncestors(b.source).indexOf(b.definedOn) ||
      a.branch - b.branch,
  );
}

/** The branches of each machine, built once. */
export const branchesByMachine: Record<MachineId, readonly TransitionBranch[]> = Object.fromEntries(
  MACHINE_IDS.map((id) => [id, transitionBranches(id)]),
) as unknown as Record<MachineId, readonly TransitionBranch[]>;

/** The number of rows of each machine's compiled table (one per guard-outcome combination). */
export function tableEntryCount(machineId: MachineId): number {
  return compiledOf(machineId).transitions().length;
}

/**
 * The branch XState takes from `source` on this event, evaluating the machine's real guards on
 * the event's payload; undefined when the state ignores the event.
 */
export function branchOf(machineId: MachineId, source: string, event: ProtocolEvent): TransitionBranch | undefined {
  const picked = pickedDefinition(machinesById[machineId], source, event);
  if (picked === undefined) return undefined;
  const key = branchKey(source, event.type, picked.definedOn, picked.index);
  const branch = branchesByMachine[machineId].find((candidate) => candidate.key === key);
  if (branch === undefined) throw new Error(`${machineId}: XState took ${key}, which the compiled table has no row for`);
  return branch;
}

/** The states and branches of each machine that something exercised. */
export class TransitionCoverage {
  private readonly covered = new Map<MachineId, Set<string>>(MACHINE_IDS.map((id) => [id, new Set<string>()]));

  /** `serverOnly`: coverage over the wire against a server, where the client role's branches and states cannot be taken. */
  constructor(private readonly scope: { serverOnly: boolean } = { serverOnly: false }) {}

  /** The branch is outside this coverage's scope (in-process only, or the client role over the wire). */
  private excluded(machineId: MachineId, branch: TransitionBranch): boolean {
    return isInProcessOnly(machineId, branch.source, branch.eventType, branch.guard) || (this.scope.serverOnly && isClientRole(branch.source, branch.eventType));
  }

  /** The states this coverage must reach. */
  private statesInScope(machineId: MachineId): string[] {
    const states = compiledOf(machineId).states.filter((state) => !isInProcessOnlyState(state));
    return this.scope.serverOnly ? states.filter((state) => !isClientRoleState(state)) : states;
  }

  add(branch: TransitionBranch): void {
    this.covered.get(branch.machineId)!.add(branch.key);
  }

  has(branch: TransitionBranch): boolean {
    return this.covered.get(branch.machineId)!.has(branch.key);
  }

  /** The branches of the machine not exercised yet (in-process-only branches aside: `isInProcessOnly`). */
  missing(machineId: MachineId): TransitionBranch[] {
    return branchesByMachine[machineId].filter((branch) => !this.has(branch) && !this.excluded(machineId, branch));
  }

  /** States exercised: the initial state and every target of an exercised branch. */
  statesCovered(machineId: MachineId): Set<string> {
    const compiled = compiledOf(machineId);
    const states = new Set([compiled.states[compiled.initialState]!]);
    for (const branch of branchesByMachine[machineId]) if (this.has(branch)) states.add(branch.target);
    return states;
  }

  /** Per machine: `closingHandshake  states 5/5 (100%)  transitions 22/22 (100%)`. */
  summaryLines(): string[] {
    return MACHINE_IDS.map((id) => {
      const allStates = this.statesInScope(id).length;
      const states = this.statesInScope(id).filter((state) => this.statesCovered(id).has(state)).length;
      const inProcessOnly = branchesByMachine[id].filter((branch) => this.excluded(id, branch)).length;
      const all = branchesByMachine[id].length - inProcessOnly;
      const transitions = all - this.missing(id).length;
      const percent = (part: number, whole: number) => `${Math.floor((100 * part) / whole)}%`;
      return (
        `${id.padEnd(17)} states ${states}/${allStates} (${percent(states, allStates)})` +
        `  transitions ${transitions}/${all} (${percent(transitions, all)})` +
        (inProcessOnly > 0 ? ` + ${inProcessOnly} ${this.scope.serverOnly ? 'in-process or client-role' : 'in-process'} only` : '') +
        `  [guard branches of the ${tableEntryCount(id)}-entry compiled table]`
      );
    });
  }

  isComplete(): boolean {
    return MACHINE_IDS.every(
      (id) => this.missing(id).length === 0 && this.statesInScope(id).every((state) => this.statesCovered(id).has(state)),
    );
  }
}
