/**
 * Mermaid `stateDiagram-v2` text for a machine graph, for Markdown on code hosts.
 *
 * Mermaid's grammar shapes the output:
 * - state ids may not contain dots, so `text.finalFrame` becomes the id `text_finalFrame`, shown
 *   as `finalFrame` inside the composite state `text`;
 * - every state is declared first, inside its composite, and every transition afterwards at the top
 *   level: a state first mentioned inside a composite belongs to it, so a transition written there
 *   could pull an outer state in;
 * - in a transition label, `:` and `;` end the statement in some Mermaid versions, so they are
 *   written as Mermaid's entity codes `#58;` and `#59;` (and `#` as `#35;`), which render as the
 *   characters themselves.
 */
import { childrenOf, edgeLabel, stateActionLines, type GraphState, type MachineGraph } from './machine-graph.js';

function mermaidId(path: string): string {
  return path.replace(/\./g, '_');
}

function mermaidText(text: string): string {
  return text.replace(/[#:;]/g, (character) => `#${character.charCodeAt(0)};`);
}

function isEnteredDirectly(graph: MachineGraph, state: GraphState): boolean {
  return graph.edges.some((edge) => edge.target === state.path && !edge.targetless);
}

function writeStates(graph: MachineGraph, parent: string | undefined, indent: string, out: string[]): void {
  for (const state of childrenOf(graph, parent)) {
    const id = mermaidId(state.path);
    if (state.kind === 'compound') {
      out.push(`${indent}state ${id} {`);
      if (isEnteredDirectly(graph, state)) out.push(`${indent}  [*] --> ${mermaidId(state.initial!)}`);
      writeStates(graph, state.path, `${indent}  `, out);
      out.push(`${indent}}`);
    } else {
      out.push(id === state.key ? `${indent}${id}` : `${indent}state "${state.key}" as ${id}`);
      // Entry and exit actions as state descriptions (Mermaid cannot describe composite states).
      for (const line of stateActionLines(state)) out.push(`${indent}${id} : ${mermaidText(line)}`);
      if (state.kind === 'final' && parent !== undefined) out.push(`${indent}${id} --> [*]`);
    }
  }
}

/** `header` lines become `%%` comments after the diagram type. */
export function toMermaid(graph: MachineGraph, header: readonly string[] = []): string {
  const ids = new Map<string, string>();
  for (const state of graph.states) {
    const clash = ids.get(mermaidId(state.path));
    if (clash !== undefined) throw new Error(`${graph.id}: states ${clash} and ${state.path} get the same Mermaid id`);
    ids.set(mermaidId(state.path), state.path);
  }
  const out = ['stateDiagram-v2', ...header.map((line) => `  %% ${line}`), '  direction LR'];
  writeStates(graph, undefined, '  ', out);
  out.push(`  [*] --> ${mermaidId(graph.initial)}`);
  for (const edge of graph.edges) {
    out.push(`  ${mermaidId(edge.source)} --> ${mermaidId(edge.target)} : ${mermaidText(edgeLabel(edge))}`);
  }
  for (const state of childrenOf(graph, undefined)) {
    if (state.kind === 'final') out.push(`  ${mermaidId(state.path)} --> [*]`);
  }
  return `${out.join('\n')}\n`;
}
