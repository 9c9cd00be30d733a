import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CompiledMachine, type CompiledTransition } from '../src/compiled-machine.js';
import { drawnMachines, FILES_MADE_ELSEWHERE, generateDiagramFiles } from '../src/diagrams/diagram-files.js';
import { toDot } from '../src/diagrams/dot.js';
import {
  atomicTarget,
  formatAction,
  machineGraph,
  type GraphEdge,
  type MachineGraph,
} from '../src/diagrams/machine-graph.js';
import { toMermaid } from '../src/diagrams/mermaid.js';
import { stateExplanation } from '../src/diagrams/readme.js';
import { machineExplanations } from '../src/diagrams/state-explanations.js';
import { machineSvg } from '../src/diagrams/svg.js';
import { TRACEABILITY_FILE } from '../src/model-based/traceability.js';
import { closingHandshakeMachine, connectionMachine, messageMachine } from '../machines/index.js';

/** This file runs as dist/test/diagrams.test.js. */
const diagramsDirectory = fileURLToPath(new URL('../../diagrams/', import.meta.url));

async function committed(name: string): Promise<string | undefined> {
  try {
    return await readFile(`${diagramsDirectory}${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

function describeTransition(t: CompiledTransition): string {
  const actions = t.actions.map(formatAction).join(', ');
  return `${t.source} --${t.eventType}--> ${t.target}${actions ? ` / ${actions}` : ''}`;
}

/** `part` occurs in `whole` as a contiguous run (a transition's actions sit between exit and entry actions). */
function containsRun(whole: readonly string[], part: readonly string[]): boolean {
  for (let start = 0; start + part.length <= whole.length; start++) {
    if (part.every((item, i) => whole[start + i] === item)) return true;
  }
  return false;
}

/** Does the drawn edge stand for this row of the compiled table? */
function edgeTakes(graph: MachineGraph, edge: GraphEdge, t: CompiledTransition): boolean {
  const leavesSource = t.source === edge.source || t.source.startsWith(`${edge.source}.`);
  const target = edge.targetless ? t.source : atomicTarget(graph, edge.target);
  return (
    edge.eventType === t.eventType &&
    leavesSource &&
    target === t.target &&
    containsRun(t.actions.map(formatAction), edge.actions)
  );
}

describe('diagrams', () => {
  let files: Map<string, string>;

  before(async () => {
    files = await generateDiagramFiles();
  });

  it('has every file in diagrams/ as the machines generate it (else run `npm run diagrams`)', async () => {
    const stale: string[] = [];
    for (const [name, content] of files) {
      if ((await committed(name)) !== content) stale.push(`diagrams/${name}`);
    }
    expect(stale, `stale: ${stale.join(', ')}; run \`npm run diagrams\` and commit the result`).to.deep.equal([]);
  });

  it('has no file in diagrams/ that the generator does not make', async () => {
    const present = await readdir(diagramsDirectory);
    expect(FILES_MADE_ELSEWHERE.has(TRACEABILITY_FILE)).to.equal(true);
    const unknown = present.filter((name) => !files.has(name) && !FILES_MADE_ELSEWHERE.has(name)).map((name) => `diagrams/${name}`);
    expect(unknown, `not generated: ${unknown.join(', ')}`).to.deep.equal([]);
  });

  it('generates the same bytes when run again', async () => {
    const again = await generateDiagramFiles();
    const differing = [...files.keys()].filter((name) => again.get(name) !== files.get(name));
    expect(differing, `differ between two runs: ${differing.join(', ')}`).to.deep.equal([]);
  });

  for (const { name, machine } of drawnMachines) {
    describe(`${name} machine`, () => {
      const graph = machineGraph(machine);
      const table = new CompiledMachine(machine);

      it('draws every transition of the compiled table as an edge', () => {
        const missing = table
          .transitions()
          .filter((t) => !graph.edges.some((edge) => edgeTakes(graph, edge, t)))
          .map(describeTransition);
        expect(missing, `transitions with no edge: ${missing.join('; ')}`).to.deep.equal([]);
      });

      it('draws no edge that the compiled table never takes', () => {
        const unused = graph.edges
          .filter((edge) => !table.transitions().some((t) => edgeTakes(graph, edge, t)))
          .map((edge) => `${edge.source} ${edge.eventType}#${edge.branch}`);
        expect(unused, `edges no transition takes: ${unused.join('; ')}`).to.deep.equal([]);
      });

      it('draws every state the compiled table reaches', () => {
        const drawn = new Set(graph.states.map((state) => state.path));
        expect(table.states.filter((path) => !drawn.has(path))).to.deep.equal([]);
      });

      it('explains every state in diagrams/README.md', () => {
        const section = { graph, explanation: machineExplanations[machine.id] };
        const unexplained = graph.states.filter((state) => stateExplanation(section, state.path) === undefined);
        expect(
          unexplained.map((state) => state.path),
          `give these states a \`description\` in the machine, or an entry in src/diagrams/state-explanations.ts`,
        ).to.deep.equal([]);
      });

      it('gives every state a stable element id in the SVG', async () => {
        const svg = await machineSvg(machine);
        expect(svg).to.equal(files.get(`${name}.svg`));
        for (const state of graph.states) expect(svg).to.include(`id="state-${state.path}"`);
        expect(svg).not.to.include('Generated by graphviz');
      });
    });
  }

  describe('labels and marks', () => {
    const closing = machineGraph(closingHandshakeMachine);
    const message = machineGraph(messageMachine);
    const connection = machineGraph(connectionMachine);

    it("writes not('isValidCloseCode') as !isValidCloseCode, with the action's static params", () => {
      const edge = closing.edges.find((e) => e.source === 'open' && e.guard === '!isValidCloseCode');
      expect(edge?.actions).to.deep.equal([
        "failConnection(error: 'WS_ERR_INVALID_CLOSE_CODE', closeCode: 1002)",
        'sendFailureCloseFrame',
        'stopReadingFrames',
        'reportFailure',
        'closeTcp',
        'startCloseTimer',
      ]);
      expect(toMermaid(closing)).to.include(
        "open --> failed : CLOSE_FRAME [!isValidCloseCode] / failConnection(error#58; 'WS_ERR_INVALID_CLOSE_CODE', closeCode#58; 1002), " +
          'sendFailureCloseFrame, stopReadingFrames, reportFailure, closeTcp, startCloseTimer',
      );
    });

    it('labels the fallback of a guarded event [else] and an unguarded event with no guard', () => {
      const handshake = connection.edges.filter((e) => e.eventType === 'HANDSHAKE_REQUEST').map((e) => e.guard);
      expect(handshake).to.deep.equal([
        'isNotGetRequest',
        'isNotWebSocketUpgrade',
        'isUnsupportedVersion',
        'isMalformedHandshake',
        'isPerMessageDeflateAgreed && isSubprotocolChosen',
        'isPerMessageDeflateAgreed',
        'isSubprotocolChosen',
        'else',
      ]);
      expect(connection.edges.find((e) => e.eventType === 'TCP_CLOSED')?.guard).to.equal(undefined);
    });

    it('draws a targetless transition as a self-loop', () => {
      const edge = message.edges.find((e) => e.source === 'awaitingMessage' && e.eventType === 'CONTROL_FRAME');
      expect(edge).to.include({ target: 'awaitingMessage', targetless: true });
      expect(toDot(message)).to.include(
        '"awaitingMessage" -> "awaitingMessage" [id="transition-awaitingMessage-CONTROL_FRAME-0"',
      );
      expect(toMermaid(message)).to.include('awaitingMessage --> awaitingMessage : CONTROL_FRAME\n');
    });

    it('marks the initial state and the final states', () => {
      // (The closing-handshake machine's `closed` answers close() with a refusal, so it is not final.)
      expect(toDot(closing)).to.include('"[*]" -> "connecting"');
      expect(toMermaid(closing)).to.include('[*] --> connecting\n');
      expect(toDot(message)).to.match(/"failed" \[[^\]]*peripheries=2/);
      expect(toMermaid(message)).to.include('failed --> [*]\n');
    });

    it('draws nested states inside a cluster and a Mermaid composite state', () => {
      const dot = toDot(message);
      expect(dot).to.match(/subgraph "cluster_text" \{[^}]*"text\.finalFrame" \[id="state-text\.finalFrame"/);
      expect(toMermaid(message)).to.match(/state text \{\n\s+state "finalFrame" as text_finalFrame\n/);
    });
  });
});
