/**
 * The diagrams at 1×, in Chromium: every SVG that `npm run diagrams` makes is rendered at its
 * natural size, every line of every edge label and every state's outline is measured, and the
 * test fails when two edge labels overlap or a label crosses a state (diagram-geometry.ts).
 *
 * With UPDATE_SCREENSHOTS=1 it also writes each rendering to /tmp/statesocket-diagrams/<name>.png,
 * to look at.
 */
import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { drawnMachines, generateDiagramFiles } from '../../src/diagrams/diagram-files.js';
import { launchChromium, updateScreenshots } from './chromium.js';
import { findCollisions, type DiagramGeometry } from '../../src/diagrams/label-collisions.js';
import { measureDiagram } from './diagram-geometry.js';

const SCREENSHOT_DIRECTORY = '/tmp/statesocket-diagrams';

/** The SVG alone in a page, at 1×: one SVG pixel per CSS pixel, as a browser shows the file. */
async function measure(page: Page, svg: string): Promise<DiagramGeometry> {
  await page.setContent(`<!doctype html><body style="margin:0">${svg.replace(/<\?xml[^>]*\?>|<!DOCTYPE[^>]*>/g, '')}</body>`);
  return page.$eval('svg', measureDiagram);
}

/**
 * A Graphviz-shaped SVG: two edges whose labels overlap, one label over a state, one across a
 * frame, one line through another edge's label; and one label inside a frame, which is fine.
 */
const BROKEN_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">
<g class="graph">
<g id="state-outer" class="cluster"><path fill="none" stroke="black" d="M240,10 L390,10 L390,190 L240,190 Z"/><text x="245" y="25" font-size="12">outer</text></g>
<g id="state-a" class="node"><path fill="none" stroke="black" d="M10,10 L90,10 L90,40 L10,40 Z"/><text x="20" y="30" font-size="12">a</text></g>
<g id="edge-1" class="edge"><path d="M90,25 L95,25"/><text x="100" y="80" font-size="12">FIRST_EVENT</text></g>
<g id="edge-2" class="edge"><path d="M90,30 L95,30"/><text x="120" y="84" font-size="12">SECOND_EVENT</text></g>
<g id="edge-3" class="edge"><path d="M101,76 L115,76"/><text x="30" y="38" font-size="12">ON_A</text></g>
<g id="edge-4" class="edge"><path d="M90,35 L95,35"/><text x="200" y="150" font-size="12">ACROSS_THE_FRAME</text></g>
<g id="edge-5" class="edge"><path d="M90,40 L95,40"/><text x="260" y="170" font-size="12">INSIDE</text></g>
</g></svg>`;

describe('the diagrams at 1× in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let files: Map<string, string>;

  before(async () => {
    files = await generateDiagramFiles();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
    if (updateScreenshots) await mkdir(SCREENSHOT_DIRECTORY, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  it('finds overlapping labels, a label on a state or across a frame, a line through a label in a broken drawing', async () => {
    expect(findCollisions(await measure(page, BROKEN_SVG))).to.deep.equal([
      'label "FIRST_EVENT" of edge-1 overlaps label "SECOND_EVENT" of edge-2',
      'label "ON_A" of edge-3 crosses state state-a',
      'label "ACROSS_THE_FRAME" of edge-4 crosses the frame of state-outer',
      'the line of edge-3 runs through the label of edge-1',
    ]);
  });

  for (const { name } of drawnMachines) {
    it(`draws ${name}.svg with no label on a label or a state, and no line through a label`, async () => {
      const geometry = await measure(page, files.get(`${name}.svg`)!);
      expect(geometry.labels.length, 'edge label lines measured').to.be.greaterThan(5);
      expect(geometry.states.filter((state) => state.kind === 'node').length, 'states measured').to.be.greaterThan(3);
      if (updateScreenshots) await page.locator('svg').screenshot({ path: `${SCREENSHOT_DIRECTORY}/${name}.png` });
      expect(findCollisions(geometry)).to.deep.equal([]);
    });
  }
});
