/**
 * Graphviz DOT text for a machine graph: states as rounded boxes, compound states as clusters,
 * final states with a double border, the initial state pointed at by a dot, targetless
 * transitions as self-loops.
 *
 * Every state and cluster gets `id="state-<path>"` and every edge
 * `id="transition-<source>-<EVENT>-<branch>"`; Graphviz copies these into the SVG, where the
 * inspector finds them (see svg.ts).
 */
import { childrenOf, stateActionLines, type GraphEdge, type GraphState, type MachineGraph } from './machine-graph.js';

const FONT = 'Helvetica';

function escape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** A DOT double-quoted string. */
function quote(text: string): string {
  return `"${escape(text)}"`;
}

/** Left-justified lines for a DOT label (`\l` ends each line). */
function lines(parts: readonly string[]): string {
  return `"${parts.map((part) => `${escape(part)}\\l`).join('')}"`;
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

function stateLabel(state: GraphState): string {
  return `"${[state.key, ...stateActionLines(state)].map(escape).join('\\n')}"`;
}

/** Transitions into a compound state itself: only then is its initial child worth marking. */
function isEnteredDirectly(graph: MachineGraph, state: GraphState): boolean {
  return graph.edges.some((edge) => edge.target === state.path && !edge.targetless);
}

function writeStates(graph: MachineGraph, parent: string | undefined, indent: string, out: string[]): void {
  for (const state of childrenOf(graph, parent)) {
    const id = quote(stateElementId(state.path));
    if (state.kind === 'compound') {
      out.push(`${indent}subgraph ${quote(`cluster_${state.path}`)} {`);
      out.push(`${indent}  id=${id}; class="state compound";`);
      out.push(`${indent}  label=${stateLabel(state)}; style="rounded"; labeljust="l";`);
      if (isEnteredDirectly(graph, state)) out.push(...initialArrow(state.path, state.initial!, `${indent}  `));
      writeStates(graph, state.path, `${indent}  `, out);
      out.push(`${indent}}`);
    } else if (state.kind === 'final') {
      const label = stateLabel(state);
      out.push(`${indent}${quote(state.path)} [id=${id}, class="state final", label=${label}, peripheries=2];`);
    } else {
      out.push(`${indent}${quote(state.path)} [id=${id}, class="state", label=${stateLabel(state)}];`);
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

/** `edgeLabel` over several lines: the event and guard, then one action a line. */
function edgeLabelLines(edge: GraphEdge): string[] {
  const head = edge.guard === undefined ? edge.eventType : `${edge.eventType} [${edge.guard}]`;
  const last = edge.actions.length - 1;
  return [head, ...edge.actions.map((action, i) => `${i === 0 ? '/ ' : '  '}${action}${i < last ? ',' : ''}`)];
}

/** `header` lines become `//` comments before the graph. */
export function toDot(graph: MachineGraph, header: readonly string[] = []): string {
  const out = header.map((line) => `// ${line}`);
  out.push(`digraph ${quote(graph.id)} {`);
  // newrank ranks nested states with the rest, so a message reads left to right through its fragments.
  out.push(`  graph [rankdir=LR, newrank=true, compound=true, fontname="${FONT}", fontsize=13,`);
  out.push('    nodesep=0.35, ranksep=0.5, pad=0.2];');
  out.push(`  node [shape=box, style="rounded", fontname="${FONT}", fontsize=12, margin="0.15,0.06"];`);
  out.push(`  edge [fontname="${FONT}", fontsize=9, arrowsize=0.7];`);
  out.push('');
  // States are declared before any edge, so that an edge never creates a node out of definition order.
  const [initialNode, initialEdge] = initialArrow(undefined, graph.initial, '  ');
  out.push(initialNode);
  writeStates(graph, undefined, '  ', out);
  out.push('', initialEdge);
  const loopsSoFar = new Map<string, number>();
  for (const edge of graph.edges) {
    const from = endpoint(graph, edge.source);
    const to = endpoint(graph, edge.target);
    const attributes = [`id=${quote(transitionElementId(edge))}`, 'class="transition"'];
    if (from.node === to.node) {
      // Self-loops alternate between the top and bottom of the box, and carry their label as an
      // xlabel, placed after layout: dot otherwise stacks several loops' labels on one another.
      const loop = loopsSoFar.get(from.node) ?? 0;
      loopsSoFar.set(from.node, loop + 1);
      const side = loop % 2 === 0 ? 'n' : 's';
      attributes.push(`xlabel=${lines(edgeLabelLines(edge))}`, `tailport=${side}`, `headport=${side}`);
    } else {
      attributes.push(`label=${lines(edgeLabelLines(edge))}`);
    }
    if (from.cluster) attributes.push(`ltail=${quote(from.cluster)}`);
    if (to.cluster && !edge.targetless) attributes.push(`lhead=${quote(to.cluster)}`);
    out.push(`  ${quote(from.node)} -> ${quote(to.node)} [${attributes.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
