/**
 * diagrams/autobahn-paths.md: which Autobahn|Testsuite case and which generated path exercises
 * which transition of which machine.
 *
 * The cases are the in-repo conformance cases (test/conformance/cases/), each with the transition
 * path it declares per machine (`EVENT->target` steps); the generated paths are those of
 * model-paths.ts; a transition is a guard branch (transition-branches.ts). A declared step names
 * its event and target but not the guard outcome, so where two branches of a state share event and
 * target (a Close with a 1-byte body and one with an invalid code both fail the connection), the
 * case is listed under each, marked †.
 *
 * The document is a pure function of its inputs: the same machines, samples and cases give the
 * same bytes (test/model-based.test.ts compares it with the committed file).
 */
import type { ProtocolEvent } from '../../machines/protocol-events.js';
import { MACHINE_IDS, OPEN_PLAIN, OPEN_WITH_DEFLATE, type MachineId } from './event-samples.js';
import { describePath, type ModelPath } from './model-paths.js';
import { branchesByMachine, branchOf, describeBranch, type TransitionBranch } from './transition-branches.js';

/** The file, in diagrams/. */
export const TRACEABILITY_FILE = 'autobahn-paths.md';

/**
 * What the document needs of a conformance case (test/conformance/case.ts `ConformanceCase`). A
 * case whose path depends on what its client sent (a function) is listed without transitions.
 */
export interface TracedCase {
  readonly id: string;
  readonly title: string;
  readonly path: Readonly<Record<MachineId, string>> | ((run: never) => unknown);
  /** The |Sec-WebSocket-Extensions| offer of the case's client, if any. */
  readonly extensionOffer?: string | undefined;
  /** The answer the case requires; null: no extension agreed. */
  readonly extensionResponse?: string | null | undefined;
}

/**
 * The one event of a case that is known exactly: the conformance client's opening handshake is a
 * valid request with the case's extension offer, agreed unless the case requires no extension.
 */
function knownEvent(testCase: TracedCase, eventType: string): ProtocolEvent | undefined {
  if (eventType !== 'HANDSHAKE_REQUEST') return undefined;
  const offersDeflate = /\bpermessage-deflate\b/.test(testCase.extensionOffer ?? '');
  return offersDeflate && testCase.extensionResponse !== null ? OPEN_WITH_DEFLATE : OPEN_PLAIN;
}

function declaredPath(testCase: TracedCase): Readonly<Record<MachineId, string>> | undefined {
  return typeof testCase.path === 'function' ? undefined : testCase.path;
}

interface CaseTrace {
  readonly testCase: TracedCase;
  /** Per machine, each branch taken, and whether some step took it exactly (not only as one of several). */
  readonly taken: Record<MachineId, Map<TransitionBranch, boolean>>;
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

const fittingCache = new Map<string, TransitionBranch[]>();

/** The branches from `source` on `eventType` that end in `target` (a declared step may fit several). */
function branchesFitting(machineId: MachineId, source: string, eventType: string, target: string): TransitionBranch[] {
  const key = `${machineId} ${source} ${eventType} ${target}`;
  let fitting = fittingCache.get(key);
  if (fitting === undefined) {
    fitting = branchesByMachine[machineId].filter(
      (branch) => branch.source === source && branch.eventType === eventType && branch.target === target,
    );
    fittingCache.set(key, fitting);
  }
  return fitting;
}

/** Follows a case's declared steps through the machine's branches. */
function traceCase(testCase: TracedCase): CaseTrace {
  const problems: string[] = [];
  const takenByMachine = {} as CaseTrace['taken'];
  const path = declaredPath(testCase);
  for (const machineId of MACHINE_IDS) {
    const taken = new Map<TransitionBranch, boolean>();
    let state = initialStateOf(machineId);
    const declared = (path?.[machineId] ?? '').split(' ').filter((step) => step !== '');
    for (const step of declared) {
      const [eventType = '', target = ''] = step.split('->');
      const known = knownEvent(testCase, eventType);
      const exact = known === undefined ? undefined : branchOf(machineId, state, known);
      const fitting = exact !== undefined && exact.target === target ? [exact] : branchesFitting(machineId, state, eventType, target);
      if (fitting.length === 0) {
        problems.push(`${machineId}: ${state} has no transition ${step}`);
        break;
      }
      for (const branch of fitting) taken.set(branch, (taken.get(branch) ?? false) || fitting.length === 1);
      state = target;
    }
    takenByMachine[machineId] = taken;
  }
  return { testCase, taken: takenByMachine, problems };
}

/**
 * `a a a b c b c` → `a ×3 (b c) ×2`: repeated runs of up to 8 steps, so that a case's path of
 * 130,000 steps reads in one line.
 */
export function compressSteps(steps: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < steps.length) {
    let bestLength = 1;
    let bestCount = 1;
    for (let length = 1; length <= 8 && i + 2 * length <= steps.length; length++) {
      let count = 1;
      while (i + (count + 1) * length <= steps.length && steps.slice(i + count * length, i + (count + 1) * length).every((s, k) => s === steps[i + k])) {
        count++;
      }
      if (count > 1 && count * length > bestCount * bestLength) {
        bestLength = length;
        bestCount = count;
      }
    }
    const unit = steps.slice(i, i + bestLength);
    out.push(bestCount === 1 ? unit[0]! : `${unit.length === 1 ? unit[0] : `(${unit.join(' ')})`} ×${bestCount}`);
    i += bestLength * bestCount;
  }
  return out.join(' ');
}

/** Ids in list order, consecutive runs joined: `1.1.1–1.1.8, 2.3`. */
function ranges(selected: ReadonlySet<string>, order: readonly string[], marked: ReadonlySet<string> = new Set()): string {
  const parts: string[] = [];
  let runStart: number | undefined;
  const label = (id: string) => `${id}${marked.has(id) ? '†' : ''}`;
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
        ? label(first)
        : end === runStart + 1
          ? `${label(first)}, ${label(last)}`
          : `${label(first)}–${label(shortEnd(first, last))}`,
    );
    runStart = undefined;
  };
  order.forEach((id, index) => {
    const inRun = selected.has(id) && (runStart === undefined || marked.has(id) === marked.has(order[runStart]!));
    if (!inRun) close(index - 1);
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
    '(src/compiled-machine.ts) takes one of them. A case declares its path as `EVENT->target` steps, which do',
    'not say which guard branch a step took; where several branches of a state share event and target, the',
    'case is listed under each, marked †. Generated paths are listed under the transitions of their own',
    "machine's steps; over TCP each also exercises the other machines (see src/model-based/wire-adapter.ts).",
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
      const caseIds = new Set<string>();
      const ambiguous = new Set<string>();
      for (const trace of traces) {
        const exact = trace.taken[machineId].get(branch);
        if (exact === undefined) continue;
        caseIds.add(trace.testCase.id);
        if (!exact) ambiguous.add(trace.testCase.id);
      }
      const pathIds = new Set(
        paths.filter((path) => path.machineId === machineId && pathTakes(path, branch)).map((path) => path.id),
      );
      lines.push(
        `| ${labelOf(branch)} | \`${escapeCell(describeBranch(branch))}\` | ${escapeCell(branch.actions.join(', ')) || '—'} | ` +
          `${ranges(caseIds, caseOrder, ambiguous)} | ${ranges(pathIds, pathOrder)} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Autobahn cases', '');
  lines.push(`${cases.length} cases, in the suite's order. Each machine's column is the case's declared path, with the transitions it takes.`, '');
  lines.push('| case | title | connection | message | closing handshake |', '|---|---|---|---|---|');
  for (const trace of traces) {
    const path = declaredPath(trace.testCase);
    const column = (machineId: MachineId) => {
      if (path === undefined) return 'depends on the run';
      const declared = path[machineId].split(' ').filter((step) => step !== '');
      if (declared.length === 0) return '—';
      const taken = [...trace.taken[machineId]].map(([branch, exact]) => `${labelOf(branch)}${exact ? '' : '†'}`).join(' ');
      return `\`${escapeCell(compressSteps(declared))}\` (${taken})`;
    };
    lines.push(
      `| ${trace.testCase.id} | ${escapeCell(trace.testCase.title)} | ${column('connection')} | ${column('message')} | ${column('closingHandshake')} |`,
    );
  }
  lines.push('');

  lines.push('## Generated paths', '');
  lines.push(
    `${paths.length} paths (src/model-based/model-paths.ts), each run against its machine, its compiled table and, over TCP, the echo server. ` +
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
