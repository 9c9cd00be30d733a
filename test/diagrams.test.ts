import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CompiledMachine, type CompiledTransition } from '../src/compiled-machine.js';
import { drawnMachines, FILES_MADE_ELSEWHERE, generateDiagramFiles } from '../src/diagrams/diagram-files.js';
import { toDot } from '../src/diagrams/dot.js';
import {
  atomicTarget,
  drawnAction,
  formatAction,
  machineGraph,
  type GraphEdge,
  type MachineGraph,
} from '../src/diagrams/machine-graph.js';
import { toMermaid } from '../src/diagrams/mermaid.js';
import { failureCause, failureParams } from '../src/diagrams/failure-cause.js';
import { layoutGeometry, type GraphvizLayout } from '../src/diagrams/graphviz-geometry.js';
import { findCollisions } from '../src/diagrams/label-collisions.js';
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

  describe('failures in words', () => {
    it('reads an error code and a close code from any params, whatever the action is called', () => {
      expect(failureParams({ error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 })).to.deep.equal({ error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 });
      expect(failureParams({ code: 'WS_ERR_EXPECTED_CONTINUATION', sendCloseCode: 1002 })).to.deep.equal({
        error: 'WS_ERR_EXPECTED_CONTINUATION',
        closeCode: 1002,
      });
      expect(failureParams({ status: 426 })).to.deep.equal({ error: undefined, closeCode: undefined });
      expect(failureParams(undefined)).to.deep.equal({ error: undefined, closeCode: undefined });
    });

    it('names the cause in the words of the error code, with the RFC\'s acronyms', () => {
      expect(failureCause('WS_ERR_INVALID_UTF8')).to.equal('invalid UTF-8');
      expect(failureCause('WS_ERR_UNEXPECTED_RSV_1')).to.equal('unexpected RSV1');
      expect(failureCause('WS_ERR_UNEXPECTED_RSV_2_3')).to.equal('unexpected RSV2/3');
      expect(failureCause('WS_ERR_MESSAGE_TOO_BIG')).to.equal('message too big');
    });

    it('draws a failing action as `fail <close code> <cause>`, a close code alone after the action', () => {
      expect(drawnAction({ type: 'failConnection', params: { error: 'WS_ERR_INVALID_UTF8', closeCode: 1007 } })).to.equal(
        'fail 1007 invalid UTF-8',
      );
      expect(drawnAction({ type: 'sendCloseFrame', params: { closeCode: 1002 } })).to.equal('sendCloseFrame 1002');
      expect(drawnAction({ type: 'rejectHandshake', params: { status: 426 } })).to.equal('rejectHandshake(status: 426)');
      expect(drawnAction('closeTcp')).to.equal('closeTcp');
    });
  });

  describe('the readability check', () => {
    const box = (left: number, top: number, right: number, bottom: number) => ({ left, top, right, bottom });

    it('finds two labels on each other, a label on a state, across a frame, and a line through a label', () => {
      const found = findCollisions({
        labels: [
          { edge: 'a', text: 'FIRST', box: box(0, 0, 50, 10) },
          { edge: 'b', text: 'SECOND', box: box(40, 5, 90, 15) },
          { edge: 'c', text: 'ON_STATE', box: box(200, 0, 250, 10) },
          { edge: 'd', text: 'ACROSS', box: box(290, 50, 330, 60) },
          { edge: 'f', text: 'OWN', box: box(500, 0, 560, 8) },
          { edge: 'f', text: '/ action', box: box(500, 12, 560, 20) },
        ],
        states: [
          { id: 'state-s', kind: 'node', box: box(240, 0, 300, 30) },
          { id: 'state-frame', kind: 'frame', box: box(300, 40, 400, 100) },
        ],
        lines: [
          { edge: 'e', points: [{ x: 20, y: 5 }] },
          // Between the two lines of its own label.
          { edge: 'f', points: [{ x: 520, y: 10 }] },
        ],
      });
      expect(found).to.deep.equal([
        'label "FIRST" of a overlaps label "SECOND" of b',
        'label "ON_STATE" of c crosses state state-s',
        'label "ACROSS" of d crosses the frame of state-frame',
        'the line of e runs through the label of a',
        'the line of f runs through the label of f (its own)',
      ]);
    });

    it('lets labels touch, sit inside a frame, and lines graze them', () => {
      expect(
        findCollisions({
          labels: [
            { edge: 'a', text: 'FIRST', box: box(0, 0, 50, 10) },
            { edge: 'a', text: '/ action', box: box(0, 10, 40, 20) },
            { edge: 'b', text: 'SECOND', box: box(50, 0, 90, 10) },
            { edge: 'c', text: 'INSIDE', box: box(310, 50, 330, 60) },
          ],
          states: [{ id: 'state-frame', kind: 'frame', box: box(300, 40, 400, 100) }],
          // Grazing its own label's block, and cutting the empty corner beside its short last line.
          lines: [{ edge: 'a', points: [{ x: 20, y: 21 }, { x: 48.5, y: 5 }, { x: 45, y: 15 }] }],
        }),
      ).to.deep.equal([]);
    });

    it('finds nothing in the layouts Graphviz gives the committed diagrams', async () => {
      for (const { name } of drawnMachines) {
        const dot = files.get(`${name}.dot`)!;
        const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
        const layout = JSON.parse((await Graphviz.load()).layout(dot, 'json', 'dot')) as GraphvizLayout;
        const geometry = layoutGeometry(layout);
        expect(geometry.labels.length, `${name}: label lines`).to.be.greaterThan(5);
        expect(findCollisions(geometry), name).to.deep.equal([]);
      }
    });
  });

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
        'isResourceNotServed',
        'hasHeaderFieldsTooLarge',
        'isOriginNotAllowed',
        'isOverConnectionLimit',
        'isForTheApplicationToDecide',
        'isPerMessageDeflateAgreed && isSubprotocolChosen',
        'isPerMessageDeflateAgreed',
        'isSubprotocolChosen',
        'else',
      ]);
      expect(connection.edges.find((e) => e.eventType === 'TCP_CLOSED')?.guard).to.equal(undefined);
    });

    it('writes a targetless transition inside its state\'s box, not as a self-loop', () => {
      const edge = message.edges.find((e) => e.source === 'awaitingMessage' && e.eventType === 'CONTROL_FRAME');
      expect(edge).to.include({ target: 'awaitingMessage', targetless: true });
      const dot = toDot(message);
      expect(dot).to.match(/"awaitingMessage" \[id="state-awaitingMessage", class="state", label=<<TABLE[^\n]*<B>CONTROL_FRAME<\/B>/);
      expect(dot).not.to.include('"awaitingMessage" -> "awaitingMessage"');
      expect(toMermaid(message)).to.include('awaitingMessage --> awaitingMessage : CONTROL_FRAME\n');
    });

    it('draws one edge per source and target, listing its transitions, with the failure in words', () => {
      const dot = toDot(message);
      const edges = dot.split('\n').filter((line) => line.startsWith('  "text.awaitingContinuation" -> "failed"'));
      expect(edges).to.have.length(1);
      for (const id of [
        'transition-text.awaitingContinuation-BINARY_FRAME-0',
        'transition-text.awaitingContinuation-TEXT_FRAME-0',
        'transition-text.awaitingContinuation-CONTINUATION_FRAME-0',
      ]) {
        expect(edges[0]).to.include(id);
      }
      expect(edges[0]).to.include('/ fail 1002 expected continuation');
      expect(edges[0]).to.include('/ fail 1002 unexpected RSV1');
      expect(edges[0]).not.to.include('WS_ERR_');
    });

    it('draws an edge back towards the start with its arrow reversed, so it does not push its target on', () => {
      // text.finalFrame is one step from awaitingMessage: its FRAME_END edge back is written awaitingMessage -> text.finalFrame.
      expect(toDot(message)).to.match(/"awaitingMessage" -> "text\.finalFrame" \[id="transition-text\.finalFrame-FRAME_END-0"[^\n]*dir=back/);
      expect(toDot(message)).to.match(/"awaitingMessage" -> "text\.finalFrame" \[id="transition-awaitingMessage-TEXT_FRAME-2"(?![^\n]*dir=back)/);
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
