/**
 * The conformance cases as diagrams/autobahn-paths.md lists them, in the suite's order: sections
 * 1–10 with the paths they declare; sections 12 and 13 with the paths their own `path` builds from
 * the frame counts a full run recorded (compression-frame-counts.ts) — built one case at a time
 * while the document is made, as each is up to a million steps long.
 */
import type { TracedCase } from '../../src/model-based/traceability.js';
import type { ConformanceCase } from './case.js';
import { cases as compressionCases } from './cases/compression-index.js';
import { cases as sections1To10 } from './cases/index.js';
import { readFrameCounts, recordedRun, type FrameCountRecording } from './compression-frame-counts.js';

function traced(testCase: ConformanceCase, recording: FrameCountRecording): TracedCase {
  const { id, title, path } = testCase;
  if (typeof path !== 'function') return { id, title, path };
  const frames = recording.frames.get(id);
  return { id, title, path: frames === undefined ? undefined : () => path(recordedRun(frames)) };
}

/** Every case of sections 1–10, 12 and 13, read with the recording as it is on disk now. */
export function tracedCases(): TracedCase[] {
  const recording = readFrameCounts();
  return [...sections1To10, ...compressionCases].map((testCase) => traced(testCase, recording));
}
