/**
 * Every file of diagrams/, generated in memory: `<name>.dot`, `<name>.svg` and `<name>.mmd` per
 * machine, and README.md. generate-diagrams.ts writes them; test/diagrams.test.ts compares them with
 * the committed ones. Nothing here depends on the time, the machine or the environment, so the
 * bytes are the same wherever this runs.
 */
import type { AnyStateMachine } from 'xstate';
import { closingHandshakeMachine, connectionMachine, messageMachine } from '../../machines/index.js';
import { machineGraph } from './machine-graph.js';
import { toMermaid } from './mermaid.js';
import { toReadme, type ReadmeSection } from './readme.js';
import { machineExplanations } from './state-explanations.js';
import { dotToSvg, readableDot } from './svg.js';

export interface DrawnMachine {
  /** The file stem in diagrams/, after the machine's file. */
  readonly name: string;
  /** The machine's file, relative to the repository root. */
  readonly source: string;
  readonly machine: AnyStateMachine;
}

/** The machines drawn, in README order. */
export const drawnMachines: readonly DrawnMachine[] = [
  { name: 'connection', source: 'machines/connection.machine.ts', machine: connectionMachine },
  { name: 'message', source: 'machines/message.machine.ts', machine: messageMachine },
  { name: 'closing-handshake', source: 'machines/closing-handshake.machine.ts', machine: closingHandshakeMachine },
];

/** File name in diagrams/ → content, in name order. */
export async function generateDiagramFiles(
  machines: readonly DrawnMachine[] = drawnMachines,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const sections: ReadmeSection[] = [];
  for (const { name, source, machine } of machines) {
    const graph = machineGraph(machine);
    const header = [`Generated from ${source} by \`npm run diagrams\`; do not edit.`];
    const dot = await readableDot(graph, header);
    const mermaid = toMermaid(graph, header);
    files.set(`${name}.dot`, dot);
    files.set(`${name}.svg`, await dotToSvg(dot));
    files.set(`${name}.mmd`, mermaid);
    sections.push({ name, source, graph, explanation: machineExplanations[machine.id], mermaid });
  }
  files.set('README.md', toReadme(sections));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Files in diagrams/ that other scripts make: the inspector's screenshot
 * (test/browser/inspector.browser.ts) and the Autobahn traceability document (`npm run traceability`).
 */
export const FILES_MADE_ELSEWHERE: ReadonlySet<string> = new Set(['inspector.png', 'autobahn-paths.md']);
