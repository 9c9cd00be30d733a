/**
 * How many frames each message of Autobahn|Testsuite sections 12 and 13 took, as a full run
 * (`npm run test:compression`) sent them: test/conformance/compression-frame-counts.json.
 *
 * RFC 7692 §7.2.1 cuts a message into frames after compressing it, so the number of frames a
 * message takes — and with it the message machine's path — depends on its compressed size. The
 * client's compression is deterministic (seeded corpora, Node's bundled zlib, fixed parameters),
 * so a full run sends the same counts every time on the same Node version. Recorded, the counts
 * become an input: diagrams/autobahn-paths.md builds the paths of those cases from them, through
 * each case's own `path` (`recordedRun`), without running anything.
 *
 * - The full run checks that what it sent equals the recording, and rewrites the recording when
 *   run with UPDATE_COMPRESSION_FRAMES=1.
 * - The reduced run (`npm test`) checks that what it sent is the start of the recording: message
 *   i's compressed octets depend on messages 1…i only (here on message i alone: the client does
 *   not use context takeover, `client_no_context_takeover`), never on how many follow.
 *
 * The counts are run-length encoded, one case a line: `"12.1.11": "10x5 11 10x22"` is five
 * messages of 10 frames, then one of 11, then twenty-two of 10.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientRecord } from './case.js';

/** The recording, from the repository's root. */
export const FRAME_COUNTS_FILE = 'test/conformance/compression-frame-counts.json';

/** The environment variable that makes the full run rewrite the recording. */
export const UPDATE_FRAME_COUNTS_VARIABLE = 'UPDATE_COMPRESSION_FRAMES';

/** The command that rewrites the recording, for failure messages. */
export const UPDATE_FRAME_COUNTS_COMMAND = `${UPDATE_FRAME_COUNTS_VARIABLE}=1 npm run test:compression`;

/** This file runs as dist/test/conformance/compression-frame-counts.js. */
const recordingPath = fileURLToPath(new URL(`../../../${FRAME_COUNTS_FILE}`, import.meta.url));

/** Per case id, the frames of each message the client sent, in order. */
export type FrameCounts = ReadonlyMap<string, readonly number[]>;

/** The recording: the counts, and the Node and zlib versions that produced them. */
export interface FrameCountRecording {
  readonly frames: FrameCounts;
  /** `Node v20.20.2, zlib 1.3.1-e00f703`. */
  readonly recordedWith: string;
}

/** `[10, 10, 11]` → `10x2 11`. */
export function encodeRuns(frames: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < frames.length; ) {
    let end = i + 1;
    while (end < frames.length && frames[end] === frames[i]) end++;
    runs.push(end - i === 1 ? `${frames[i]}` : `${frames[i]}x${end - i}`);
    i = end;
  }
  return runs.join(' ');
}

/** `10x2 11` → `[10, 10, 11]`. */
export function decodeRuns(text: string): number[] {
  const frames: number[] = [];
  for (const run of text.split(' ')) {
    const match = /^(\d+)(?:x(\d+))?$/.exec(run);
    if (match === null) throw new Error(`${FRAME_COUNTS_FILE}: "${run}" is not a count of frames (F) or a run of them (FxN)`);
    const count = match[2] === undefined ? 1 : Number(match[2]);
    for (let k = 0; k < count; k++) frames.push(Number(match[1]));
  }
  return frames;
}

/** What this process would record with. */
export function currentRecorder(): string {
  return `Node ${process.version}, zlib ${process.versions.zlib}`;
}

/** Reads the recording; an empty one when there is no file yet. */
export function readFrameCounts(): FrameCountRecording {
  let text: string;
  try {
    text = readFileSync(recordingPath, 'utf8');
  } catch {
    return { frames: new Map(), recordedWith: 'nothing (no recording yet)' };
  }
  const json = JSON.parse(text) as { recordedWith: string; frames: Record<string, string> };
  return {
    recordedWith: json.recordedWith,
    frames: new Map(Object.entries(json.frames).map(([id, runs]) => [id, decodeRuns(runs)])),
  };
}

/** Writes the recording, cases in the given order, one a line, so that a change reads as a diff. */
export function writeFrameCounts(frames: FrameCounts, order: readonly string[]): void {
  const ids = order.filter((id) => frames.has(id));
  const lines = [
    '{',
    `  "about": ${JSON.stringify(
      'Frames per message the client sent in a full run of Autobahn|Testsuite sections 12 and 13 (npm run test:compression); ' +
        `"10x5 11" is five messages of 10 frames, then one of 11. Rewrite with ${UPDATE_FRAME_COUNTS_COMMAND}. ` +
        'See test/conformance/compression-frame-counts.ts.',
    )},`,
    `  "recordedWith": ${JSON.stringify(currentRecorder())},`,
    '  "frames": {',
    ...ids.map((id, i) => `    ${JSON.stringify(id)}: ${JSON.stringify(encodeRuns(frames.get(id)!))}${i < ids.length - 1 ? ',' : ''}`),
    '  }',
    '}',
    '',
  ];
  writeFileSync(recordingPath, lines.join('\n'));
}

/**
 * What is wrong with the frames a case sent, against the recording: `whole` (a full run) must
 * equal it, `prefix` (a reduced run) must be its start. Undefined when nothing is.
 */
export function frameCountProblem(
  id: string,
  sent: readonly number[],
  recording: FrameCountRecording,
  mode: 'whole' | 'prefix',
): string | undefined {
  const recorded = recording.frames.get(id);
  const hint =
    `If the client's compression changed on purpose (or with Node: the recording was made with ${recording.recordedWith}, ` +
    `this is ${currentRecorder()}), rerun \`${UPDATE_FRAME_COUNTS_COMMAND}\`, then \`npm run traceability\`, and commit both files.`;
  if (recorded === undefined) return `${FRAME_COUNTS_FILE} has no frame counts for case ${id}. ${hint}`;
  const first = sent.findIndex((frames, i) => frames !== recorded[i]);
  if (first >= 0) {
    const wanted = first < recorded.length ? `${recorded[first]}` : 'no message at all';
    return `message ${first + 1} went out in ${sent[first]} frames; ${FRAME_COUNTS_FILE} says ${wanted}. ${hint}`;
  }
  if (mode === 'whole' && sent.length !== recorded.length) {
    return `${sent.length} messages went out; ${FRAME_COUNTS_FILE} has ${recorded.length}. ${hint}`;
  }
  return undefined;
}

/**
 * A run of a case as the recording has it, for the case's `path`: what the client would send in
 * a full run.
 */
export function recordedRun(frames: readonly number[]): ClientRecord {
  return { sent: frames.map((count) => ({ frames: count })) };
}
