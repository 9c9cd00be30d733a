/**
 * test/conformance/compression-frame-counts.ts: the recorded frames per message of sections 12
 * and 13, from which diagrams/autobahn-paths.md builds those cases' paths.
 */
import { expect } from 'chai';
import { AUTOBAHN_MESSAGE_COUNT } from './conformance/cases/compressed-echo.js';
import { cases } from './conformance/cases/compression-index.js';
import { decodeRuns, encodeRuns, frameCountProblem, readFrameCounts, type FrameCountRecording } from './conformance/compression-frame-counts.js';

describe('recorded frame counts of sections 12 and 13', () => {
  it('are written run-length encoded', () => {
    expect(encodeRuns([10, 10, 10, 10, 10, 11, 10, 10])).to.equal('10x5 11 10x2');
    expect(decodeRuns('10x5 11 10x2')).to.deep.equal([10, 10, 10, 10, 10, 11, 10, 10]);
    expect(() => decodeRuns('10x')).to.throw(/not a count of frames/);
  });

  it('hold every case, 1000 messages each', () => {
    const recording = readFrameCounts();
    expect([...recording.frames.keys()]).to.deep.equal(cases.map((c) => c.id));
    for (const [id, frames] of recording.frames) expect(frames.length, id).to.equal(AUTOBAHN_MESSAGE_COUNT);
  });

  it('must be equalled by a full run, and started by a reduced one', () => {
    const recording: FrameCountRecording = { frames: new Map([['12.1.11', [10, 11, 10]]]), recordedWith: 'Node v0' };
    expect(frameCountProblem('12.1.11', [10, 11, 10], recording, 'whole')).to.equal(undefined);
    expect(frameCountProblem('12.1.11', [10, 11], recording, 'prefix')).to.equal(undefined);
    expect(frameCountProblem('12.1.11', [10, 11], recording, 'whole')).to.match(/^2 messages went out; .* has 3\. .*UPDATE_COMPRESSION_FRAMES=1/);
    expect(frameCountProblem('12.1.11', [10, 10], recording, 'prefix')).to.match(/^message 2 went out in 10 frames; .* says 11\./);
    expect(frameCountProblem('12.9.1', [1], recording, 'prefix')).to.match(/has no frame counts for case 12\.9\.1/);
  });
});
