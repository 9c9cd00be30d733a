/**
 * Graphviz DOT text for a machine graph: states as rounded boxes, compound states as clusters,
 * final states with a double border, the initial state pointed at by a dot.
 *
 * Drawn to be read at 1× (test/browser/diagrams.browser.ts renders every SVG in Chromium
 * and fails when two edge labels overlap or a label crosses a state):
 * - a targetless transition is a line inside its state's box, under the name (UML's internal
 *   transitions), not a self-loop whose label sits on the loop;
 * - the transitions from one state to another share one edge, whose label lists them: the
 *   triggers `EVENT [guard]`, event in bold, followed by the actions they run; triggers that run
 *   the same actions share them, on one line when short (`groupRows`). A state with ten ways to
 *   fail has one edge to `failed`, not ten;
 * - actions read as drawings show them (`drawnAction`): `fail 1007 invalid UTF-8`;
 * - an edge back towards the start is drawn reversed, so it does not push its target rightwards;
 * - svg.ts keeps the first of DOT_LAYOUTS under which Graphviz's geometry has no collision.
 *
 * Every state and cluster gets `id="state-<path>"`; an edge gets the id of its first transition,
 * `id="transition-<source>-<EVENT>-<branch>"`, and a class per transition it stands for, named
 * the same. Graphviz copies these into the SVG, where the inspector finds them (see svg.ts).
 */
import {
  childrenOf,
  stateActionLines,
  type GraphEdge,
  type GraphState,
  type MachineGraph,
} from './machine-graph.js';

const FONT = 'Helvetica';
/** Point sizes: state names, then everything written on edges and inside boxes under a name. */
const STATE_FONT_SIZE = 12;
const LABEL_FONT_SIZE = 9;
/** Action lists wrap after this many characters. */
const ACTIONS_WIDTH = 40;
/** Triggers and their actions share one line up to this many characters. */
const LINE_WIDTH = 52;

function escape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** A DOT double-quoted string. */
function quote(text: string): string {
  return `"${escape(text)}"`;
}

/** Text inside a DOT HTML-like label. */
function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function stateElementId(path: string): string {
  return `state-${path}`;
}

export function transitionElementId(edge: GraphEdge): string {
  return `transition-${edge.source}-${edge.eventType}-${edge.branch}`;
}

/**
 * The dot that points at the initial state of the machine (`parent` undefined) or of a compound
 * state: its node, then its edge. The node is named `[*]` as in Mermaid, a name no state path has.
 */
function initialArrow(parent: string | undefined, target: string, indent: string): [string, string] {
  const name = parent === undefined ? '[*]' : `[*]${parent}`;
  const id = parent === undefined ? 'initial' : `initial-${parent}`;
  return [
    `${indent}${quote(name)} [id=${quote(id)}, shape=point, width=0.15, label=""];`,
    `${indent}${quote(name)} -> ${quote(target)} [id=${quote(`${id}-transition`)}];`,
  ];
}

/** `a, b, c` over lines of at most ACTIONS_WIDTH characters, the first after `/ `. */
function actionLines(actions: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '/';
  actions.forEach((action, i) => {
    const piece = `${action}${i < actions.length - 1 ? ',' : ''}`;
    if (line.trim().length > 1 && line.length + 1 + piece.length > ACTIONS_WIDTH) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${piece}`;
  });
  lines.push(line);
  return lines;
}

/** One row of an HTML-like label, left-aligned, with the trigger part in bold. */
function row(trigger: string | undefined, rest = ''): string {
  const bold = trigger === undefined ? '' : `<B>${html(trigger)}</B>`;
  const text = rest === '' ? '' : html(rest);
  return `<TR><TD ALIGN="LEFT" BALIGN="LEFT">${bold}${trigger !== undefined && rest !== '' ? ' ' : ''}${text}</TD></TR>`;
}

/** A little space between the trigger groups of one label. */
const GAP_ROW = '<TR><TD HEIGHT="4"></TD></TR>';

/** `EVENT` in bold, then ` [guard]`. */
function triggerRow(edge: GraphEdge): string {
  return row(edge.eventType, edge.guard === undefined ? '' : `[${edge.guard}]`);
}

function table(rows: readonly string[], fontSize: number): string {
  return (
    `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">` +
    `<TR><TD><FONT POINT-SIZE="${fontSize}">` +
    `<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">${rows.join('')}</TABLE>` +
    `</FONT></TD></TR></TABLE>>`
  );
}

/**
 * The label of an edge standing for `edges` (one source, one target): triggers in order, those
 * that run the same actions together, then the actions.
 */
function edgeLabel(edges: readonly GraphEdge[]): string {
  const groups: { actions: readonly string[]; edges: GraphEdge[] }[] = [];
  for (const edge of edges) {
    const key = edge.drawnActions.join('\n');
    const group = groups.find((candidate) => candidate.actions.join('\n') === key);
    if (group) group.edges.push(edge);
    else groups.push({ actions: edge.drawnActions, edges: [edge] });
  }
  const rows = groups.flatMap((group, i) => [...(i > 0 ? [GAP_ROW] : []), ...groupRows(group.edges, group.actions)]);
  return table(rows, LABEL_FONT_SIZE);
}

/**
 * The rows of triggers that run the same actions: on one line when it is short
 * (`INVALID_UTF8, INFLATED_TEXT_NOT_UTF8 / fail 1007 invalid UTF-8`), else a trigger a line and the
 * actions after them.
 */
function groupRows(edges: readonly GraphEdge[], actions: readonly string[]): string[] {
  const triggers = edges.map((edge) => ({ event: edge.eventType, guard: edge.guard === undefined ? '' : ` [${edge.guard}]` }));
  const actionText = actions.length ? ` / ${actions.join(', ')}` : '';
  const oneLine = triggers.map(({ event, guard }) => `${event}${guard}`).join(', ') + actionText;
  if (oneLine.length <= LINE_WIDTH) {
    const cells = triggers.map(({ event, guard }, i) => `<B>${html(event)}</B>${html(guard)}${i < triggers.length - 1 ? ', ' : ''}`);
    return [`<TR><TD ALIGN="LEFT" BALIGN="LEFT">${cells.join('')}${html(actionText)}</TD></TR>`];
  }
  return [...edges.map(triggerRow), ...(actions.length ? actionLines(actions).map((line) => row(undefined, line)) : [])];
}

/**
 * A state's label: its name, then (smaller) entry and exit actions and its targetless
 * transitions, `EVENT [guard] / actions`, one a line. A plain string when there is only the name.
 */
function stateLabel(state: GraphState, internal: readonly GraphEdge[]): string {
  const extra = stateActionLines(state).map((line) => row(undefined, line));
  for (const edge of internal) {
    const actions = edge.drawnActions.length ? ` / ${edge.drawnActions.join(', ')}` : '';
    extra.push(row(edge.eventType, `${edge.guard === undefined ? '' : `[${edge.guard}]`}${actions}`.trim()));
  }
  if (extra.length === 0) return quote(state.key);
  return (
    `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">` +
    `<TR><TD>${html(state.key)}</TD></TR>` +
    `<TR><TD><FONT POINT-SIZE="${LABEL_FONT_SIZE}">` +
    `<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">${extra.join('')}</TABLE>` +
    `</FONT></TD></TR></TABLE>>`
  );
}

/** Transitions into a compound state itself: only then is its initial child worth marking. */
function isEnteredDirectly(graph: MachineGraph, state: GraphState): boolean {
  return graph.edges.some((edge) => edge.target === state.path && !edge.targetless);
}

function writeStates(
  graph: MachineGraph,
  internal: ReadonlyMap<string, GraphEdge[]>,
  parent: string | undefined,
  indent: string,
  out: string[],
): void {
  for (const state of childrenOf(graph, parent)) {
    const id = quote(stateElementId(state.path));
    const label = stateLabel(state, internal.get(state.path) ?? []);
    if (state.kind === 'compound') {
      out.push(`${indent}subgraph ${quote(`cluster_${state.path}`)} {`);
      out.push(`${indent}  id=${id}; class="state compound";`);
      out.push(`${indent}  label=${label}; style="rounded"; labeljust="l";`);
      if (isEnteredDirectly(graph, state)) out.push(...initialArrow(state.path, state.initial!, `${indent}  `));
      writeStates(graph, internal, state.path, `${indent}  `, out);
      out.push(`${indent}}`);
    } else if (state.kind === 'final') {
      out.push(`${indent}${quote(state.path)} [id=${id}, class="state final", label=${label}, peripheries=2];`);
    } else {
      out.push(`${indent}${quote(state.path)} [id=${id}, class="state", label=${label}];`);
    }
  }
}

/** A DOT edge attaches to nodes; an edge from or to a cluster attaches to a node inside it and is clipped. */
function endpoint(graph: MachineGraph, path: string): { node: string; cluster: string | undefined } {
  let state = graph.states.find((candidate) => candidate.path === path)!;
  const cluster = state.kind === 'compound' ? `cluster_${state.path}` : undefined;
  while (state.kind === 'compound') state = graph.states.find((candidate) => candidate.path === state.initial)!;
  return { node: state.path, cluster };
}

/**
 * The edges drawn between states: transitions with a target, grouped by source and target, in the
 * order the machine defines their sources, then their targets. With `ordering=out` dot keeps each
 * state's edges in this order, so an edge to a state defined last (`closed`) runs outside the
 * others instead of through their labels.
 */
function edgesBetweenStates(graph: MachineGraph): GraphEdge[][] {
  const order = new Map(graph.states.map((state, index) => [state.path, index]));
  const groups = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges) {
    if (edge.targetless) continue;
    const key = `${edge.source}\n${edge.target}`;
    const group = groups.get(key);
    if (group) group.push(edge);
    else groups.set(key, [edge]);
  }
  return [...groups.values()].sort(
    (a, b) => order.get(a[0]!.source)! - order.get(b[0]!.source)! || order.get(a[0]!.target)! - order.get(b[0]!.target)!,
  );
}

/**
 * How many transitions each state is from the initial state (a compound state's children count
 * from the compound state). States no transition reaches are left out.
 */
function stepsFromInitial(graph: MachineGraph): Map<string, number> {
  const steps = new Map<string, number>();
  const enter = (path: string, distance: number, queue: string[]) => {
    if (steps.has(path)) return;
    steps.set(path, distance);
    queue.push(path);
    for (const child of childrenOf(graph, path)) enter(child.path, distance, queue);
  };
  const queue: string[] = [];
  enter(graph.initial, 0, queue);
  for (let next = 0; next < queue.length; next++) {
    const path = queue[next]!;
    const distance = steps.get(path)!;
    const sources = new Set([path, ...ancestorsOf(graph, path)]);
    for (const edge of graph.edges) {
      if (!edge.targetless && sources.has(edge.source)) enter(edge.target, distance + 1, queue);
    }
  }
  return steps;
}

function ancestorsOf(graph: MachineGraph, path: string): string[] {
  const ancestors: string[] = [];
  for (let state = graph.states.find((s) => s.path === path); state?.parent !== undefined; ) {
    ancestors.push(state.parent);
    state = graph.states.find((s) => s.path === state!.parent);
  }
  return ancestors;
}

/** The layout settings that vary: space between states in a column, between columns, and edge order. */
export interface DotLayout {
  /** Inches. */
  readonly nodesep: number;
  /** Inches. */
  readonly ranksep: number;
  /** Keep each state's edges in `edgesBetweenStates` order. */
  readonly orderedEdges: boolean;
}

/**
 * Layouts to try, in order of preference: svg.ts draws a machine with the first under which
 * Graphviz's layout has no label on a label, a state or a line (label-collisions.ts).
 */
export const DOT_LAYOUTS: readonly DotLayout[] = [
  ...[0.3, 0.45, 0.2, 0.6].flatMap((nodesep) =>
    [0.6, 0.9].flatMap((ranksep) => [true, false].map((orderedEdges) => ({ nodesep, ranksep, orderedEdges }))),
  ),
  // Wider spacing, tried last: the closing-handshake machine with both roles needs more room.
  ...[0.8, 1.0, 0.3, 0.45].flatMap((nodesep) =>
    [1.2, 1.6, 0.9].flatMap((ranksep) => [true, false].map((orderedEdges) => ({ nodesep, ranksep, orderedEdges }))),
  ),
];

/** `header` lines become `//` comments before the graph. */
export function toDot(graph: MachineGraph, header: readonly string[] = [], layout: DotLayout = DOT_LAYOUTS[0]!): string {
  const out = header.map((line) => `// ${line}`);
  out.push(`digraph ${quote(graph.id)} {`);
  // newrank ranks nested states with the rest, so a message reads left to right through its fragments.
  out.push(`  graph [rankdir=LR, newrank=true, compound=true, fontname="${FONT}", fontsize=${STATE_FONT_SIZE + 1},`);
  const ordering = layout.orderedEdges ? ', ordering=out' : '';
  out.push(`    nodesep=${layout.nodesep}, ranksep=${layout.ranksep}, pad=0.2${ordering}];`);
  out.push(`  node [shape=box, style="rounded", fontname="${FONT}", fontsize=${STATE_FONT_SIZE}, margin="0.15,0.06"];`);
  out.push(`  edge [fontname="${FONT}", fontsize=${LABEL_FONT_SIZE}, arrowsize=0.7];`);
  out.push('');
  const internal = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges.filter((candidate) => candidate.targetless)) {
    internal.set(edge.source, [...(internal.get(edge.source) ?? []), edge]);
  }
  // States are declared before any edge, so that an edge never creates a node out of definition order.
  const [initialNode, initialEdge] = initialArrow(undefined, graph.initial, '  ');
  out.push(initialNode);
  writeStates(graph, internal, undefined, '  ', out);
  out.push('', initialEdge);
  // An edge back to a state fewer steps from the start does not push its target to the right: a
  // message's final frame sits beside its first fragment, one step from `awaitingMessage`,
  // instead of after every other state of the message. Edges into a state no transition leaves (a
  // final state, or one that only refuses what it is asked) always do: it is an end, drawn last.
  const steps = stepsFromInitial(graph);
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  const ends = new Set(
    graph.states
      .filter((state) => !graph.edges.some((edge) => !edge.targetless && related(edge.source, state.path)))
      .map((state) => state.path),
  );
  for (const edges of edgesBetweenStates(graph)) {
    const first = edges[0]!;
    const from = endpoint(graph, first.source);
    const to = endpoint(graph, first.target);
    const classes = ['transition', ...edges.map(transitionElementId)].join(' ');
    const attributes = [`id=${quote(transitionElementId(first))}`, `class=${quote(classes)}`, `label=${edgeLabel(edges)}`];
    const backward = !ends.has(first.target) && (steps.get(first.target) ?? 0) < (steps.get(first.source) ?? 0);
    // A backward edge is written target -> source and drawn with its arrow at the start (dir=back),
    // so that dot lays it out, label included, like the forward edges between the same columns.
    const [tail, head] = backward ? [to, from] : [from, to];
    if (backward) attributes.push('dir=back');
    if (tail.cluster) attributes.push(`ltail=${quote(tail.cluster)}`);
    if (head.cluster) attributes.push(`lhead=${quote(head.cluster)}`);
    out.push(`  ${quote(tail.node)} -> ${quote(head.node)} [${attributes.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
