/**
 * The published surface is the documented surface: every name the public entry's declarations
 * (dist/src/index.d.ts, built with `stripInternal`) expose — each export, and each public member
 * of an exported class or interface — is named in the README. Internal members are `private`,
 * `#private` or `@internal` (stripped), so they are not published.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file runs as dist/test/published-surface.test.js. */
const distSrc = fileURLToPath(new URL('../src/', import.meta.url));
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** `export { A, type B as C } from './x.js'` → [['A', 'A', './x.js'], ['B', 'C', './x.js']]. */
function reExports(declarations: string): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const match of declarations.matchAll(/export (?:type )?\{([^}]*)\} from '([^']+)'/g)) {
    for (const part of match[1]!.split(',')) {
      const [original, alias] = part.replace(/\btype\b/, '').trim().split(/\s+as\s+/);
      if (original) found.push([original, alias ?? original, match[2]!]);
    }
  }
  return found;
}

/** The public members of `export declare class Name` or `export interface Name` in a declaration file. */
function publicMembers(declarations: string, name: string): string[] {
  const start = declarations.search(new RegExp(`export (?:declare class|interface) ${name}\\b[^{]*\\{`));
  if (start < 0) return [];
  const body = declarations.slice(declarations.indexOf('{', start) + 1);
  const members: string[] = [];
  let depth = 0;
  for (const line of body.split('\n')) {
    if (depth === 0 && /^\}/.test(line)) break;
    const trimmed = line.trim();
    if (depth === 0 && !trimmed.startsWith('*') && !trimmed.startsWith('/')) {
      const member = /^(?:static |readonly |get |set )*([A-Za-z_$][\w$]*)\??[(:<\s=;]/.exec(trimmed);
      if (member && !/^(private|protected) /.test(trimmed) && member[1] !== 'constructor') members.push(member[1]!);
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return members;
}

describe('the published surface (dist/src/index.d.ts)', () => {
  const entry = readFileSync(join(distSrc, 'index.d.ts'), 'utf8');
  const exported = reExports(entry);

  it('exports what the README documents, and nothing else', () => {
    expect(exported.length).to.be.greaterThan(5);
    const undocumented = exported.map(([, alias]) => alias).filter((name) => !readme.includes(name));
    expect(undocumented, 'exports the README does not name').to.deep.equal([]);
  });

  it('exposes no public member the README does not name (internals are private or @internal)', () => {
    const undocumented: string[] = [];
    for (const [original, alias, from] of exported) {
      const declarations = readFileSync(join(dirname(join(distSrc, 'index.d.ts')), from.replace(/\.js$/, '.d.ts')), 'utf8');
      for (const member of publicMembers(declarations, original)) {
        if (!new RegExp(`\\b${member}\\b`).test(readme)) undocumented.push(`${alias}.${member}`);
      }
    }
    expect(undocumented).to.deep.equal([]);
  });
});
