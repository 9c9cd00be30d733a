/**
 * Memory bounded by bytes, whatever the fragmenting (issue 14, point 2): a message in one-byte
 * fragments costs about its size, not ~125 bytes per fragment. Measured in a process of its own
 * (test/probes/fragment-memory-probe.ts) so that the peak RSS is the message's alone.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./probes/fragment-memory-probe.js', import.meta.url));

function probe(fragments: number): { delivered: number; peakRssGrowthMiB: number } {
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', PROBE, String(fragments)], { encoding: 'utf8' }));
}

describe('Memory bounded by bytes whatever the fragmenting (RFC 6455 §5.4, §10.4)', () => {
  it('assembles a 1,000,000-byte message sent as 1,000,000 one-byte fragments under +10 MiB peak RSS', function () {
    this.timeout(30000);
    const result = probe(1_000_000);
    expect(result.delivered).to.equal(1_000_000);
    expect(result.peakRssGrowthMiB).to.be.below(10);
  });
});
