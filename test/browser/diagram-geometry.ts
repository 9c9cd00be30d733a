/**
 * In the page: measure a Graphviz SVG as Chromium renders it, for `findCollisions`
 * (src/diagrams/label-collisions.ts). Runs in the browser, so it must not refer to anything outside
 * its body (the import is of types only).
 */
import type { DiagramGeometry, EdgeLine, LabelLine, StateShape } from '../../src/diagrams/label-collisions.js';

/**
 * In the page: the label lines and state outlines of the Graphviz SVG `svg`, in CSS pixels.
 * Graphviz writes each edge as `<g class="edge">` holding its path, arrowhead and label `<text>`s,
 * each state as `<g class="node">` with its outline first, each cluster as `<g class="cluster">`.
 */
export function measureDiagram(svg: SVGSVGElement): DiagramGeometry {
  const boxOf = (element: Element) => {
    const { left, top, right, bottom } = element.getBoundingClientRect();
    return { left, top, right, bottom };
  };
  const labels: LabelLine[] = [];
  for (const edge of svg.querySelectorAll('g.edge')) {
    for (const text of edge.querySelectorAll('text')) {
      if (text.textContent?.trim()) labels.push({ edge: edge.id, text: text.textContent.trim(), box: boxOf(text) });
    }
  }
  const states: StateShape[] = [];
  for (const group of svg.querySelectorAll('g.node, g.cluster')) {
    const outlines = [...group.querySelectorAll('path, polygon, ellipse')].map(boxOf);
    if (outlines.length === 0) continue;
    // A final state has two outlines; the box holds both.
    const box = {
      left: Math.min(...outlines.map((b) => b.left)),
      top: Math.min(...outlines.map((b) => b.top)),
      right: Math.max(...outlines.map((b) => b.right)),
      bottom: Math.max(...outlines.map((b) => b.bottom)),
    };
    if (group.classList.contains('node')) states.push({ id: group.id, kind: 'node', box });
    else {
      states.push({ id: group.id, kind: 'frame', box });
      // A compound state's name, written inside its frame, is as much in the way as a box.
      for (const title of group.querySelectorAll('text')) states.push({ id: `${group.id} (its name)`, kind: 'node', box: boxOf(title) });
    }
  }
  const lines: EdgeLine[] = [];
  for (const edge of svg.querySelectorAll('g.edge')) {
    const points: { x: number; y: number }[] = [];
    for (const path of edge.querySelectorAll('path')) {
      const toScreen = path.getScreenCTM()!;
      const length = path.getTotalLength();
      for (let at = 0; at <= length; at += 2) {
        const point = path.getPointAtLength(at).matrixTransform(toScreen);
        points.push({ x: point.x, y: point.y });
      }
    }
    lines.push({ edge: edge.id, points });
  }
  return { labels, states, lines };
}
