/**
 * Typed events, checked the way an application sees them: `tsc --strict` compiles
 * test/types/usage.ts against the emitted declarations (dist/src/*.d.ts, reached through the
 * package's own name) with no annotations on its listeners, and refuses test/types/misuse.ts
 * with exactly the errors marked in it.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;

/** tsc's diagnostics for both fixtures in strict mode (one run), as `file:line: TScode` strings. */
function compileFixtures(): Promise<string[]> {
  const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', 'test/types/usage.ts', 'test/types/misuse.ts'];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root }, (_error, stdout) => {
      const diagnostics = [...stdout.matchAll(/^test\/types\/([\w.]+)\((\d+),\d+\): error (TS\d+)/gm)].map((m) => `${m[1]}:${m[2]}: ${m[3]}`);
      resolve(diagnostics.length > 0 || stdout.trim() === '' ? diagnostics : [stdout.trim()]);
    });
  });
}

describe('typed events (tsc --strict against the emitted .d.ts)', function () {
  this.timeout(60_000);
  let diagnostics: string[];
  before(async () => (diagnostics = await compileFixtures()));

  it('compiles an application whose listeners carry no annotations', () => {
    expect(diagnostics.filter((line) => !line.startsWith('misuse.ts:'))).to.deep.equal([]);
  });

  it('refuses a misspelt event, a missing method and a wrong listener, each where marked', async () => {
    const source = await readFile(`${root}test/types/misuse.ts`, 'utf8');
    const marked = source
      .split('\n')
      .flatMap((line, index) => [...line.matchAll(/\/\/ (TS\d+):/g)].map((m) => `misuse.ts:${index + 1}: ${m[1]}`));
    expect(marked).to.have.length(4);
    expect(diagnostics.filter((line) => line.startsWith('misuse.ts:'))).to.deep.equal(marked);
  });
});
