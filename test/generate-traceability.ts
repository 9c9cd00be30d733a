/**
 * `npm run traceability`: regenerate diagrams/autobahn-paths.md from the machines, the paths
 * generated from them and the conformance cases (sections 12 and 13 with the frame counts of
 * test/conformance/compression-frame-counts.json). Writes the file only when its bytes changed.
 * (It lives under test/ because the cases do; the document's builder ships in src/model-based/.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generatePaths } from '../src/model-based/model-paths.js';
import { TRACEABILITY_FILE, traceabilityDocument } from '../src/model-based/traceability.js';
import { tracedCases } from './conformance/traced-cases.js';

/** This file runs as dist/test/generate-traceability.js. */
const target = fileURLToPath(new URL(`../../diagrams/${TRACEABILITY_FILE}`, import.meta.url));

const document = traceabilityDocument(tracedCases(), generatePaths());
const current = await readFile(target, 'utf8').catch(() => undefined);
if (current === document) {
  console.log(`traceability: diagrams/${TRACEABILITY_FILE} up to date`);
} else {
  await writeFile(target, document);
  console.log(`traceability: wrote diagrams/${TRACEABILITY_FILE}`);
}
