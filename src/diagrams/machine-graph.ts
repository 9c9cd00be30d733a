/**
 * A machine's states and transitions as plain, ordered data: the one model that the DOT, Mermaid
 * and README writers read, so that all three say the same thing.
 *
 * Read straight from the machine definition (`machine.root` and each state node's `transitions`),
 * not from `toDirectedGraph`, because the state nodes keep what a diagram must show: guards as
 * written (including `not(...)`), the fallback branch of a guarded event, and actions with their
 * static params.
 *
 * Order is part of the output (it decides the bytes and the layout), so it never depends on a Map
 * or on the JavaScript engine: states come in the order the machine file defines them, edges are
 * sorted by source state (in that order), then event type (by code unit), then branch index (the
 * order XState tries the guards in).
 *
 * Rules for machines drawn here: a flat or nested (not parallel) state tree, no history states, no
 * `always`, `after` or `invoke`, no transitions on the root node. These are the machines that
 * src/compiled-machine.ts compiles too; anything else throws instead of drawing something wrong.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { guardOperands, stateNodesOf } from '../compiled-machine.js';

/** One state of the machine, addressed by its dotted path (`text.finalFrame`). */
export interface GraphState {
  readonly path: string;
  /** The last segment of the path, as the machine file names it. */
  readonly key: string;
  /** The path of the enclosing compound state, or undefined at the top level. */
  readonly parent: string | undefined;
  readonly kind: 'atomic' | 'compound' | 'final';
  /** For a compound state, the path of the child it enters first. */
  readonly initial: string | undefined;
  /** The state's `description` in the machine, if it has one. */
  readonly description: string | undefined;
  /** Labels of entry and exit actions, as for transitions. */
  readonly entry: readonly string[];
  readonly exit: readonly string[];
}

/** One branch of one event's transitions from one state. */
export interface GraphEdge {
  readonly source: string;
  /** The target's path; the source itself for a targetless transition. */
  readonly target: string;
  /** True for a targetless transition (drawn as a self-loop; no exit or entry happens). */
  readonly targetless: boolean;
  readonly eventType: string;
  /** The index of this branch among the event's transitions from the source (0 when unguarded). */
  readonly branch: number;
  /** The guard as written (`!isValidCloseCode`), `else` for the unguarded fallback of guarded branches. */
  readonly guard: string | undefined;
  /** Action labels in the order they run: `sendCloseFrame(closeCode: 1002)`, `closeTcp`. */
  readonly actions: readonly string[];
}

export interface MachineGraph {
  readonly id: string;
  /** The top-level state the machine starts in. */
  readonly initial: string;
  readonly states: readonly GraphState[];
  readonly edges: readonly GraphEdge[];
}

/** `EVENT [guard] / action, action`: the one-line label every writer uses. */
export function edgeLabel(edge: GraphEdge): string {
  const guard = edge.guard === undefined ? '' : ` [${edge.guard}]`;
  const actions = edge.actions.length === 0 ? '' : ` / ${edge.actions.join(', ')}`;
  return `${edge.eventType}${guard}${actions}`;
}

/** `entry / a, b` and `exit / c` lines for a state that has entry or exit actions. */
export function stateActionLines(state: GraphState): string[] {
  return [
    ...(state.entry.length ? [`entry / ${state.entry.join(', ')}`] : []),
    ...(state.exit.length ? [`exit / ${state.exit.join(', ')}`] : []),
  ];
}

/** A parameter value as source would spell it: `1002`, `'WS_ERR_EXPECTED_CONTINUATION'`. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

function formatParams(params: unknown): string {
  if (params === undefined) return '';
  if (typeof params === 'function') return '(…)';
  if (typeof params !== 'object' || params === null) return `(${formatValue(params)})`;
  return `(${Object.entries(params).map(([key, value]) => `${key}: ${formatValue(value)}`).join(', ')})`;
}

/**
 * An action as written: `'closeTcp'` → `closeTcp`,
 * `{ type: 'sendCloseFrame', params: { closeCode: 1002 } }` → `sendCloseFrame(closeCode: 1002)`.
 */
export function formatAction(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    // Built-in action creators (assign, raise, …) carry their kind in `type`; inline functions have only a name.
    const type = (action as { type?: unknown }).type;
    return typeof type === 'string' ? type : action.name || 'inline action';
  }
  if (typeof action === 'object' && action !== null && typeof (action as { type?: unknown }).type === 'string') {
    const { type, params } = action as { type: string; params?: unknown };
    return `${type}${formatParams(params)}`;
  }
  throw new Error(`cannot name action ${String(action)}`);
}

/** A guard as written: `isFinalFrame`, `!isValidCloseCode`, `a && !b`. */
export function formatGuard(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    const { type, params } = guard as { type: string; params?: unknown };
    return `${type}${formatParams(params)}`;
  }
  if (typeof guard === 'function') {
    // XState's not/and/or are functions named so, with their operands in `.guards`.
    const operands = guardOperands(guard);
    if (operands !== undefined) {
      const inner = (operand: unknown) => {
        const text = formatGuard(operand);
        return /[ &|]/.test(text) ? `(${text})` : text;
      };
      if (guard.name === 'not' && operands.length === 1) return `!${inner(operands[0])}`;
      if (guard.name === 'and') return operands.map(inner).join(' && ');
      if (guard.name === 'or') return operands.map(inner).join(' || ');
    }
    const stateValue = (guard as { stateValue?: unknown }).stateValue;
    if (guard.name === 'stateIn' && stateValue !== undefined) return `stateIn(${formatValue(stateValue)})`;
    return guard.name || 'inline guard';
  }
  throw new Error(`cannot name guard ${String(guard)}`);
}

function pathOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function checkDrawable(node: AnyStateNode): void {
  const where = node.path.length === 0 ? `machine ${node.machine.id}` : `${node.machine.id} state ${pathOf(node)}`;
  if (node.type === 'parallel' || node.type === 'history') {
    throw new Error(`${where}: ${node.type} states cannot be drawn yet`);
  }
  if (node.always?.length || node.after.length || node.invoke.length) {
    throw new Error(`${where}: always, after and invoke cannot be drawn (see STYLE.md: no timers inside machines)`);
  }
  if (node.path.length === 0 && node.transitions.size > 0) {
    throw new Error(`${where}: transitions on the root node cannot be drawn yet`);
  }
}

function collectStates(node: AnyStateNode, into: GraphState[]): void {
  for (const child of Object.values(node.states) as AnyStateNode[]) {
    checkDrawable(child);
    const isCompound = child.type === 'compound';
    into.push({
      path: pathOf(child),
      key: child.key,
      parent: node.path.length === 0 ? undefined : pathOf(node),
      kind: isCompound ? 'compound' : child.type === 'final' ? 'final' : 'atomic',
      initial: isCompound ? pathOf(child.initial.target[0]!) : undefined,
      description: child.description,
      entry: child.entry.map(formatAction),
      exit: child.exit.map(formatAction),
    });
    collectStates(child, into);
  }
}

function edgesOf(node: AnyStateNode): GraphEdge[] {
  const edges: GraphEdge[] = [];
  const source = pathOf(node);
  for (const [eventType, definitions] of node.transitions) {
    const guarded = definitions.some((definition) => definition.guard !== undefined);
    definitions.forEach((definition, branch) => {
      if (definition.target !== undefined && definition.target.length > 1) {
        throw new Error(`${node.machine.id} state ${source}: a transition with several targets cannot be drawn`);
      }
      const target = definition.target?.[0];
      edges.push({
        source,
        target: target === undefined ? source : pathOf(target),
        targetless: target === undefined,
        eventType,
        branch,
        guard:
          definition.guard !== undefined ? formatGuard(definition.guard) : guarded && branch > 0 ? 'else' : undefined,
        actions: definition.actions.map(formatAction),
      });
    });
  }
  return edges;
}

/** The machine's states in definition order and its edges, sorted (see the file comment). */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root as AnyStateNode;
  checkDrawable(root);
  const states: GraphState[] = [];
  collectStates(root, states);
  const order = new Map(states.map((state, index) => [state.path, index]));
  const edges = (stateNodesOf(machine) as AnyStateNode[]).filter((node) => node.path.length > 0).flatMap(edgesOf);
  edges.sort(
    (a, b) =>
      order.get(a.source)! - order.get(b.source)! ||
      (a.eventType < b.eventType ? -1 : a.eventType > b.eventType ? 1 : 0) ||
      a.branch - b.branch,
  );
  return { id: machine.id, initial: pathOf(root.initial.target[0]!), states, edges };
}

/** The states directly inside `parent` (undefined: the top level), in definition order. */
export function childrenOf(graph: MachineGraph, parent: string | undefined): GraphState[] {
  return graph.states.filter((state) => state.parent === parent);
}

/** The atomic state a transition into `path` ends in (a compound state enters its initial child). */
export function atomicTarget(graph: MachineGraph, path: string): string {
  let state = graph.states.find((candidate) => candidate.path === path);
  while (state?.kind === 'compound') {
    const initial: string = state.initial!;
    state = graph.states.find((candidate) => candidate.path === initial);
  }
  if (state === undefined) throw new Error(`${graph.id} has no state ${path}`);
  return state.path;
}
