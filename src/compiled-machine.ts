/**
 * A machine compiled into a transition table, so that the hot path steps a connection with an
 * array lookup instead of XState's interpreter, while the XState definition stays the single
 * source of truth.
 *
 * How the table is made: for every reachable state, every event type the machine knows, and
 * every combination of outcomes of the guards that event type's transitions name, XState's
 * own pure `transition()` says where the machine goes and which actions it runs (the guards
 * answer as set, through `machine.provide`; XState is asked once per way its guards can decide,
 * `exploreGuards`, and the answer fills every combination that agrees). At run time the same guard
 * functions are evaluated on the real event to pick the column. test/compiled-machine.test.ts
 * checks table and XState agree on random event sequences.
 *
 * Rules for machines compiled here: a flat or nested (not parallel) state tree; guards that
 * read only the event (not context), combined at most with `not`; actions named in `setup`
 * with static params; no `always`, `after` or `invoke`.
 */
import { initialTransition, transition, type AnyStateMachine, type AnyMachineSnapshot } from 'xstate';

/** An action a transition runs: its name and its static params, as the machine file writes them. */
export interface CompiledAction {
  readonly type: string;
  readonly params: unknown;
}

/**
 * One transition a machine took, as the `onTransition` hook and the inspector see it: the
 * machine, the state it left and the state it entered, the event type, and the actions it ran
 * (names and static params, e.g. `failConnection` with `{ error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }`).
 */
export interface TransitionRecord<A extends CompiledAction = CompiledAction> {
  readonly machineId: string;
  readonly eventType: string;
  readonly source: string;
  readonly target: string;
  readonly actions: readonly A[];
}

/** One entry of the table: a TransitionRecord plus the row of the target state. */
export interface CompiledTransition<A extends CompiledAction = CompiledAction> extends TransitionRecord<A> {
  /** @internal The table row of `target`. */
  readonly targetIndex: number;
}

type GuardImplementation = (args: { context: unknown; event: unknown }, params: unknown) => boolean;

interface EventColumn {
  readonly offset: number;
  readonly guardNames: readonly string[];
  readonly guards: readonly GuardImplementation[];
}

/** `{ text: 'finalFrame' }` → `text.finalFrame`. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) throw new Error(`parallel states are not supported: ${JSON.stringify(value)}`);
  const [key, child] = entries[0]!;
  return `${key}.${statePath(child)}`;
}

function stateValue(path: string): unknown {
  const [head, ...rest] = path.split('.');
  return rest.length === 0 ? head : { [head!]: stateValue(rest.join('.')) };
}

// XState internals this project relies on, all here and pinned by test/compiled-machine.test.ts
// ("the XState internals it relies on"): a machine's `idMap` of state nodes (also read by
// src/diagrams/machine-graph.ts through `stateNodesOf`) and the `guards` operands of the guard
// functions `not()` and `and()` return.

/** Every state node of the machine, the root included (XState's `idMap`). */
export function stateNodesOf(machine: AnyStateMachine): AnyStateMachine['root'][] {
  return [...(machine as unknown as { idMap: Map<string, AnyStateMachine['root']> }).idMap.values()];
}

/** The operands of a guard made by `not(...)`, `and([...])` or `or([...])`; undefined for other guards. */
export function guardOperands(guard: unknown): readonly unknown[] | undefined {
  const operands = typeof guard === 'function' ? (guard as unknown as { guards?: unknown }).guards : undefined;
  return Array.isArray(operands) ? operands : undefined;
}

/** The named guards a transition's guard refers to, through `not(...)` and `and(...)`. */
function guardNamesOf(guard: unknown, into: Set<string>): void {
  if (guard === undefined) return;
  const operands = guardOperands(guard);
  if (typeof guard === 'string') into.add(guard);
  else if (operands !== undefined) {
    for (const inner of operands) guardNamesOf(inner, into);
  } else if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    into.add((guard as { type: string }).type);
  } else throw new Error('only named guards, optionally inside not() or and(), can be compiled');
}

function eventGuardNames(machine: AnyStateMachine): Map<string, string[]> {
  const byEvent = new Map<string, Set<string>>();
  for (const node of stateNodesOf(machine)) {
    if (node.always?.length || node.after?.length || node.invoke.length) {
      throw new Error(`${node.id}: always, after and invoke cannot be compiled into a table`);
    }
    for (const [eventType, definitions] of node.transitions) {
      const names = byEvent.get(eventType) ?? new Set<string>();
      for (const definition of definitions) guardNamesOf(definition.guard, names);
      byEvent.set(eventType, names);
    }
  }
  return new Map([...byEvent].map(([type, names]) => [type, [...names].sort()]));
}

/**
 * A machine's transition table. `A` is the machine's action union as its `setup` declares it
 * (src/protocol-machines.ts derives it): XState's `transition()` returns actions untyped, and the
 * one place they are taken to be what `setup` declared is `declaredAction` below.
 */
export class CompiledMachine<A extends CompiledAction = CompiledAction> {
  readonly id: string;
  readonly states: readonly string[];
  readonly initialState = 0;
  private readonly columns: Map<string, EventColumn>;
  /** The one argument object handed to guards (they read only `event`): stepping allocates nothing. */
  private readonly guardArgs: { context: undefined; event: unknown } = { context: undefined, event: undefined };
  private readonly table: (CompiledTransition<A> | undefined)[][];

  constructor(readonly machine: AnyStateMachine) {
    this.id = machine.id;
    const guardNamesByEvent = eventGuardNames(machine);
    const implementations = machine.implementations.guards as Record<string, GuardImplementation>;
    const columns = new Map<string, EventColumn>();
    let width = 0;
    for (const [eventType, guardNames] of guardNamesByEvent) {
      const guards = guardNames.map((name) => {
        const guard = implementations[name];
        if (!guard) throw new Error(`${machine.id}: guard ${name} has no implementation`);
        return guard;
      });
      columns.set(eventType, { offset: width, guardNames, guards });
      width += 1 << guardNames.length;
    }
    this.columns = columns;

    const initial = statePath(initialTransition(machine)[0].value);
    const states = [initial];
    const table: (CompiledTransition<A> | undefined)[][] = [];
    for (let index = 0; index < states.length; index++) {
      const row: (CompiledTransition<A> | undefined)[] = new Array(width).fill(undefined);
      for (const [eventType, column] of columns) {
        const leaves = exploreGuards<A>(machine, states[index]!, eventType);
        for (let outcomes = 0; outcomes < 1 << column.guardNames.length; outcomes++) {
          const step = leafFor(leaves, column.guardNames, outcomes).step;
          if (step === undefined) continue;
          let targetIndex = states.indexOf(step.target);
          if (targetIndex < 0) targetIndex = states.push(step.target) - 1;
          row[column.offset + outcomes] = { machineId: machine.id, eventType, source: states[index]!, ...step, targetIndex };
        }
      }
      table.push(row);
    }
    this.states = states;
    this.table = table;
  }

  /** The event types this machine declares; other events are ignored by it. */
  get eventTypes(): string[] {
    return [...this.columns.keys()];
  }

  /** The guard names evaluated for an event type, in table order. */
  guardNames(eventType: string): readonly string[] {
    return this.columns.get(eventType)?.guardNames ?? [];
  }

  /** The transition the state takes on the event, or undefined when the state ignores it. */
  step(state: number, event: { readonly type: string }): CompiledTransition<A> | undefined {
    const column = this.columns.get(event.type);
    if (column === undefined) return undefined;
    const guards = column.guards;
    let outcomes = 0;
    if (guards.length > 0) {
      const args = this.guardArgs;
      args.event = event;
      for (let i = 0; i < guards.length; i++) {
        if (guards[i]!(args, undefined)) outcomes |= 1 << i;
      }
      args.event = undefined;
    }
    return this.table[state]![column.offset + outcomes];
  }

  /** Every transition of the table, for diagrams, tests and coverage. */
  transitions(): CompiledTransition<A>[] {
    return this.table.flatMap((row) => row.filter((entry): entry is CompiledTransition<A> => entry !== undefined));
  }
}

/**
 * An action XState's `transition()` returned, as the machine's `setup` declared it: the one place
 * XState's untyped actions are taken to be the declared ones (XState checked each transition's
 * `{ type, params }` against the `setup` declarations when the machine file compiled).
 */
export function declaredAction<A extends CompiledAction>(action: { readonly type: string; readonly params?: unknown }): A {
  return { type: action.type, params: action.params } as A;
}

/**
 * One outcome of XState's choice for a state and event type: the guard values it consulted (any
 * guard it did not consult may take either value) and where it went.
 */
interface GuardLeaf<A extends CompiledAction> {
  readonly consulted: ReadonlyMap<string, boolean>;
  readonly step: { target: string; actions: A[] } | undefined;
}

/** The machine with guards that answer from `probe.values` (false when unset) and record what XState asks. */
interface GuardProbe {
  readonly machine: AnyStateMachine;
  values: ReadonlyMap<string, boolean>;
  asked: string[];
}

const guardProbes = new WeakMap<AnyStateMachine, GuardProbe>();

function guardProbeOf(machine: AnyStateMachine): GuardProbe {
  let probe = guardProbes.get(machine);
  if (probe === undefined) {
    const guards = Object.fromEntries(
      Object.keys(machine.implementations.guards).map((name) => [
        name,
        () => {
          probe!.asked.push(name);
          return probe!.values.get(name) ?? false;
        },
      ]),
    );
    probe = { machine: machine.provide({ guards }), values: new Map(), asked: [] };
    guardProbes.set(machine, probe);
  }
  return probe;
}

/**
 * XState's answers for a state and event type, one per way its guards can decide: XState consults
 * guards in order and stops at the first transition enabled, so the outcome depends only on the
 * guards it consulted. Starting with every guard false, each consulted guard is then also tried
 * true (the earlier ones fixed) — a handful of `transition()` calls instead of one per combination
 * of all the event's guards (2^8 for the client's HANDSHAKE_RESPONSE).
 */
function exploreGuards<A extends CompiledAction>(machine: AnyStateMachine, source: string, eventType: string): GuardLeaf<A>[] {
  const probe = guardProbeOf(machine);
  const leaves: GuardLeaf<A>[] = [];
  const pending: Map<string, boolean>[] = [new Map()];
  while (pending.length > 0) {
    const fixed = pending.pop()!;
    probe.values = fixed;
    probe.asked = [];
    const step = probeStep<A>(probe.machine, source, eventType);
    const consulted = new Map(fixed);
    for (const name of probe.asked) {
      if (consulted.has(name)) continue;
      // This guard decided false here; its true side is another leaf.
      pending.push(new Map([...consulted, [name, true]]));
      consulted.set(name, false);
    }
    leaves.push({ consulted, step });
  }
  return leaves;
}

/** The leaf whose consulted guard values the outcomes (bit i: guard `guardNames[i]`) agree with. */
function leafFor<A extends CompiledAction>(leaves: readonly GuardLeaf<A>[], guardNames: readonly string[], outcomes: number): GuardLeaf<A> {
  const leaf = leaves.find((candidate) =>
    [...candidate.consulted].every(([name, value]) => (((outcomes >> guardNames.indexOf(name)) & 1) === 1) === value),
  );
  if (leaf === undefined) throw new Error(`no XState outcome for guard outcomes ${outcomes} of ${guardNames.join(', ')}`);
  return leaf;
}

/** XState's answer from the probe machine, its guards answering as set. */
function probeStep<A extends CompiledAction>(probeMachine: AnyStateMachine, source: string, eventType: string): { target: string; actions: A[] } | undefined {
  const snapshot: AnyMachineSnapshot = probeMachine.resolveState({ value: stateValue(source) as never, context: undefined });
  const event = { type: eventType };
  if (probeMachine.getTransitionData(snapshot, event).length === 0) return undefined;
  const [next, actions] = transition(probeMachine, snapshot, event);
  return { target: statePath(next.value), actions: actions.map((action) => declaredAction<A>(action)) };
}

