/**
 * diagrams/autobahn-paths.md: which Autobahn|Testsuite case and which generated path exercises
 * which transition of which machine.
 *
 * The cases are the in-repo conformance cases (test/conformance/cases/), each with the transition
 * path it declares per machine (`EVENT->target` steps); the generated paths are those of
 * model-paths.ts; a transition is a guard branch (transition-branches.ts). A declared step is
 * exactly one of them: where several branches of a state share event and target, the step names
 * its guard (declared-steps.ts: `CLOSE_FRAME[hasOneByteCloseBody]->failed`). Long paths are
 * written short (compact-path.ts).
 *
 * The document is a pure function of its inputs: the same machines, samples and cases give the
 * same bytes (test/model-based.test.ts compares it with the committed file).
 */
import { compactPieces, piecesOf } from './compact-path.js';
import { branchOfStep } from './declared-steps.js';
import { MACHINE_IDS, type MachineId } from './event-samples.js';
import { describePath, type ModelPath } from './model-paths.js';
import { branchesByMachine, branchOf, describeBranch, type TransitionBranch } from './transition-branches.js';

/** The file, in diagrams/. */
export const TRACEABILITY_FILE = 'autobahn-paths.md';

/**
 * What the document needs of a conformance case (test/conformance/case.ts `ConformanceCase`): its
 * declared path, or a function that builds it (sections 12 and 13 build theirs from recorded frame
 * counts; called once, while the document is made, so that only one such path is in memory at a
 * time), or undefined when it depends on a run nothing recorded (then it is listed without
 * transitions).
 */
export interface TracedCase {
  readonly id: string;
  readonly title: string;
  readonly path: Readonly<Record<MachineId, string>> | (() => Readonly<Record<MachineId, string>>) | undefined;
}

interface CaseTrace {
  readonly testCase: TracedCase;
  /** Per machine, each branch taken, in the order first taken. */
  readonly taken: Record<MachineId, readonly TransitionBranch[]>;
  /** Per machine, the declared path written short (compact-path.ts); undefined without a path. */
  readonly written: Record<MachineId, string> | undefined;
  /** Declared steps that are no transition of the machine. */
  readonly problems: string[];
}

const MACHINE_TITLES: Record<MachineId, string> = {
  connection: 'connection machine (machines/connection.machine.ts)',
  message: 'message machine (machines/message.machine.ts)',
  closingHandshake: 'closing-handshake machine (machines/closing-handshake.machine.ts)',
};

/** Short transition labels: C1…, M1…, H1…, in table order. */
const LABEL_PREFIX: Record<MachineId, string> = { connection: 'C', message: 'M', closingHandshake: 'H' };

function initialStateOf(machineId: MachineId): string {
  return branchesByMachine[machineId][0]!.source;
}

/** What one piece of a path (compact-path.ts: from the initial state back to it) takes. */
interface PieceTrace {
  readonly branches: readonly TransitionBranch[];
  /** The first step that is no transition, in words. */
  readonly problem: string | undefined;
}

/** Follows a piece's steps through the machine's branches, from its initial state. */
function tracePiece(machineId: MachineId, piece: string): PieceTrace {
  const branches: TransitionBranch[] = [];
  let state = initialStateOf(machineId);
  for (const step of piece.split(' ')) {
    const branch = branchOfStep(machineId, state, step);
    if (typeof branch === 'string') return { branches, problem: branch };
    if (!branches.includes(branch)) branches.push(branch);
    state = branch.target;
  }
  return { branches, problem: undefined };
}

/**
 * Follows a case's declared path through each machine's branches, piece by piece (every piece
 * starts in the machine's initial state, so each distinct piece is followed once: a case of a
 * thousand messages has a few distinct ones).
 */
function traceCase(testCase: TracedCase): CaseTrace {
  const path = typeof testCase.path === 'function' ? testCase.path() : testCase.path;
  const problems: string[] = [];
  const taken = {} as Record<MachineId, TransitionBranch[]>;
  const written = {} as Record<MachineId, string>;
  for (const machineId of MACHINE_IDS) {
    const branches = new Set<TransitionBranch>();
    const pieces = piecesOf(path?.[machineId] ?? '', initialStateOf(machineId));
    const traced = new Map<string, PieceTrace>();
    for (const { piece } of pieces) {
      let trace = traced.get(piece);
      if (trace === undefined) traced.set(piece, (trace = tracePiece(machineId, piece)));
      for (const branch of trace.branches) branches.add(branch);
      if (trace.problem !== undefined) {
        problems.push(`${machineId}: ${trace.problem}`);
        break;
      }
    }
    taken[machineId] = [...branches];
    written[machineId] = compactPieces(pieces);
  }
  return { testCase, taken, written: path === undefined ? undefined : written, problems };
}

/** Ids in list order, consecutive runs joined: `1.1.1–1.1.8, 2.3`. */
function ranges(selected: ReadonlySet<string>, order: readonly string[]): string {
  const parts: string[] = [];
  let runStart: number | undefined;
  /** `message.shortest.14–message.shortest.26` reads `message.shortest.14–26`. */
  const shortEnd = (first: string, last: string) => {
    const cut = first.lastIndexOf('.');
    return cut > 0 && /^[a-zA-Z]/.test(first) && last.startsWith(first.slice(0, cut + 1)) ? last.slice(cut + 1) : last;
  };
  const close = (end: number) => {
    if (runStart === undefined) return;
    const first = order[runStart]!;
    const last = order[end]!;
    parts.push(
      runStart === end
        ? first
        : end === runStart + 1
          ? `${first}, ${last}`
          : `${first}–${shortEnd(first, last)}`,
    );
    runStart = undefined;
  };
  order.forEach((id, index) => {
    if (!selected.has(id)) close(index - 1);
    if (selected.has(id) && runStart === undefined) runStart = index;
  });
  close(order.length - 1);
  return parts.length === 0 ? '—' : parts.join(', ');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The whole document. */
export function traceabilityDocument(cases: readonly TracedCase[], paths: readonly ModelPath[]): string {
  const traces = cases.map(traceCase);
  const caseOrder = cases.map((c) => c.id);
  const pathOrder = paths.map((p) => p.id);
  const labels = new Map<TransitionBranch, string>();
  for (const machineId of MACHINE_IDS) {
    branchesByMachine[machineId].forEach((branch, i) => labels.set(branch, `${LABEL_PREFIX[machineId]}${i + 1}`));
  }
  const labelOf = (branch: TransitionBranch) => labels.get(branch)!;

  const lines: string[] = [
    '# Autobahn cases and generated paths, transition by transition',
    '',
    'Generated by `npm run traceability` from the machines (machines/), the paths generated from them',
    '(src/model-based/) and the in-repo Autobahn|Testsuite cases (test/conformance/cases/); do not edit.',
    'test/model-based.test.ts fails when this file is stale.',
    '',
    'A transition is one guard branch of one event in one state: every row of the compiled table',
    '(src/compiled-machine.ts) takes one of them. A case declares its path as `EVENT->target` steps; where',
    'several branches of a state share event and target, the step names its guard branch',
    '(`CLOSE_FRAME[hasOneByteCloseBody]->failed`), and the server\'s records are checked against it, so every',
    'step is one transition. Generated paths are listed under the transitions of their own machine\'s steps;',
    'over TCP each also exercises the other machines (see src/model-based/wire-adapter.ts).',
    '',
    'Sections 12 and 13 (permessage-deflate) build their paths from the frames each compressed message took in',
    'a full run, recorded in test/conformance/compression-frame-counts.json. Long paths are written short:',
    '`(…) ×1000` is the same steps a thousand times in a row; in `(… (a b) ×8–9 …) ×1000`, each of the thousand',
    'repeats `a b` 8 or 9 times (which one how often is in the recording).',
    '',
  ];

  const problems = traces.flatMap((trace) => trace.problems.map((problem) => `- ${trace.testCase.id}: ${problem}`));
  if (problems.length > 0) lines.push('## Declared steps that are no transition of their machine', '', ...problems, '');

  lines.push('## Transitions', '');
  for (const machineId of MACHINE_IDS) {
    const branches = branchesByMachine[machineId];
    lines.push(`### ${MACHINE_TITLES[machineId]}: ${branches.length} transitions`, '');
    lines.push('| | transition | actions | Autobahn cases | generated paths |', '|---|---|---|---|---|');
    for (const branch of branches) {
      const caseIds = new Set(traces.filter((trace) => trace.taken[machineId].includes(branch)).map((trace) => trace.testCase.id));
      const pathIds = new Set(
        paths.filter((path) => path.machineId === machineId && pathTakes(path, branch)).map((path) => path.id),
      );
      lines.push(
        `| ${labelOf(branch)} | \`${escapeCell(describeBranch(branch))}\` | ${escapeCell(branch.actions.join(', ')) || '—'} | ` +
          `${ranges(caseIds, caseOrder)} | ${ranges(pathIds, pathOrder)} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Autobahn cases', '');
  lines.push(`${cases.length} cases, in the suite's order. Each machine's column is the case's declared path, with the transitions it takes.`, '');
  lines.push('| case | title | connection | message | closing handshake |', '|---|---|---|---|---|');
  for (const trace of traces) {
    const column = (machineId: MachineId) => {
      if (trace.written === undefined) return 'depends on a run that is not recorded';
      if (trace.written[machineId] === '') return '—';
      const taken = trace.taken[machineId].map(labelOf).join(' ');
      return `\`${escapeCell(trace.written[machineId])}\` (${taken})`;
    };
    lines.push(
      `| ${trace.testCase.id} | ${escapeCell(trace.testCase.title)} | ${column('connection')} | ${column('message')} | ${column('closingHandshake')} |`,
    );
  }
  lines.push('');

  lines.push('## Generated paths', '');
  lines.push(
    `${paths.length} paths (src/model-based/model-paths.ts), each run against its machine, its compiled table and, over TCP, the echo server; ` +
      `the ${paths.filter((path) => path.role === 'client').length} paths of the client role (\`client-\` in their id) run on the machine and the table only. ` +
      'Each step is the sample event and the state it leads to.',
    '',
  );
  lines.push('| path | steps | transitions |', '|---|---|---|');
  for (const path of paths) {
    const taken = [...new Set(branchesOfPath(path).map(labelOf))].join(' ');
    lines.push(`| ${path.id} | ${escapeCell(describePath(path))} | ${taken} |`);
  }
  lines.push('');
  return lines.join('\n');
}

const pathBranches = new WeakMap<ModelPath, TransitionBranch[]>();

/** The branches a generated path's steps take (by the samples' real guard outcomes). */
function branchesOfPath(path: ModelPath): TransitionBranch[] {
  let branches = pathBranches.get(path);
  if (branches === undefined) {
    branches = [];
    let state = path.initialState;
    for (const step of path.steps) {
      const branch = branchOf(path.machineId, state, step.event);
      if (branch !== undefined) branches.push(branch);
      state = step.state;
    }
    pathBranches.set(path, branches);
  }
  return branches;
}

function pathTakes(path: ModelPath, branch: TransitionBranch): boolean {
  return branchesOfPath(path).includes(branch);
}
