/**
 * `npm run diagrams`: regenerate diagrams/ from the machines. Writes only files whose bytes
 * changed and names them; names files in diagrams/ that it does not generate, without deleting them.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FILES_MADE_ELSEWHERE, generateDiagramFiles } from './diagram-files.js';

/** diagrams/ at the repository root; this file runs as dist/src/diagrams/generate-diagrams.js. */
export const diagramsDirectory = fileURLToPath(new URL('../../../diagrams/', import.meta.url));

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function main(): Promise<void> {
  const files = await generateDiagramFiles();
  await mkdir(diagramsDirectory, { recursive: true });
  const changed: string[] = [];
  for (const [name, content] of files) {
    const path = `${diagramsDirectory}${name}`;
    if ((await readIfPresent(path)) === content) continue;
    await writeFile(path, content);
    changed.push(name);
  }
  const unknown = (await readdir(diagramsDirectory))
    .filter((name) => !files.has(name) && !FILES_MADE_ELSEWHERE.has(name))
    .sort();
  console.log(changed.length ? `diagrams: wrote ${changed.join(', ')}` : `diagrams: ${files.size} files up to date`);
  if (unknown.length) console.warn(`diagrams: not generated, delete unless wanted: ${unknown.join(', ')}`);
}

await main();
