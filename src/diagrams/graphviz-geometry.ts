/**
 * The geometry of a Graphviz layout, read from its `json` output (xdot drawing operations), in
 * the units label-collisions.ts works in: CSS pixels at 1× (1 pt = 4/3 px), y growing downwards.
 *
 * Text is measured with Graphviz's own font metrics (`width` of each `T` operation) and the
 * ascent and descent of Helvetica's metric twin, Liberation Sans (0.905 and 0.212 em), which is
 * what a browser on Linux draws for `Helvetica`.
 */
import type { Box, DiagramGeometry, EdgeLine, LabelLine, StateShape } from './label-collisions.js';

const PX_PER_PT = 4 / 3;
const ASCENT = 0.905;
const DESCENT = 0.212;
/** The share of a text's width added on each side (see `texts`). */
const WIDTH_MARGIN = 0.04;
/** Room kept around every text besides, in points: lines that pass closer count as running through. */
const SAFETY_PT = 1.5;
/** Points sampled per Bézier segment of an edge. */
const SAMPLES_PER_SEGMENT = 24;

type Point = readonly [number, number];

/** The xdot operations this file reads; others are skipped. */
type DrawOperation =
  | { op: 'F'; size: number }
  | { op: 'T'; pt: Point; align: 'l' | 'c' | 'r'; width: number; text: string }
  | { op: 'b' | 'B' | 'p' | 'P' | 'L'; points: Point[] }
  | { op: 'e' | 'E'; rect: [number, number, number, number] }
  | { op: string };

interface LayoutObject {
  readonly name: string;
  readonly id?: string;
  /** Clusters list their nodes' ids; states do not. */
  readonly nodes?: readonly number[];
  readonly _draw_?: readonly DrawOperation[];
  readonly _ldraw_?: readonly DrawOperation[];
}

interface LayoutEdge {
  readonly id?: string;
  readonly _draw_?: readonly DrawOperation[];
  readonly _ldraw_?: readonly DrawOperation[];
}

/** What `graphviz.layout(dot, 'json')` returns, parsed. */
export interface GraphvizLayout {
  readonly objects?: readonly LayoutObject[];
  readonly edges?: readonly LayoutEdge[];
}

function boxAround(points: readonly Point[]): Box {
  const xs = points.map(([x]) => x * PX_PER_PT);
  const ys = points.map(([, y]) => -y * PX_PER_PT);
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

/** Every text of a drawing, as a line with its box. */
function texts(operations: readonly DrawOperation[] | undefined): { text: string; box: Box }[] {
  const found: { text: string; box: Box }[] = [];
  let size = 14;
  for (const operation of operations ?? []) {
    if (operation.op === 'F') size = (operation as { size: number }).size;
    if (operation.op !== 'T') continue;
    const { pt, align, width, text } = operation as Extract<DrawOperation, { op: 'T' }>;
    if (text.trim() === '') continue;
    const left = align === 'l' ? pt[0] : align === 'c' ? pt[0] - width / 2 : pt[0] - width;
    // A browser's glyphs come out up to a few per cent wider than Graphviz's metrics (bold most),
    // and its edges a little elsewhere: the box is widened by WIDTH_MARGIN and SAFETY_PT on each
    // side so that a layout readable here is readable there.
    const margin = width * WIDTH_MARGIN + SAFETY_PT;
    found.push({
      text: text.trim(),
      box: boxAround([
        [left - margin, pt[1] + ASCENT * size + SAFETY_PT],
        [left + width + margin, pt[1] - DESCENT * size - SAFETY_PT],
      ]),
    });
  }
  return found;
}

/** The outline points of a drawing: polygon corners, Bézier control points, ellipse extremes. */
function outline(operations: readonly DrawOperation[] | undefined): Point[] {
  const points: Point[] = [];
  for (const operation of operations ?? []) {
    if ('points' in operation) points.push(...operation.points);
    if ('rect' in operation) {
      const [x, y, rx, ry] = operation.rect;
      points.push([x - rx, y - ry], [x + rx, y + ry]);
    }
  }
  return points;
}

/** Points along the cubic Bézier splines of an edge (`b` operations: p0, then 3 points a segment). */
function linePoints(operations: readonly DrawOperation[] | undefined): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [];
  for (const operation of operations ?? []) {
    if (operation.op !== 'b' && operation.op !== 'B') continue;
    const controls = (operation as { points: Point[] }).points;
    for (let i = 0; i + 3 < controls.length; i += 3) {
      const [p0, p1, p2, p3] = [controls[i]!, controls[i + 1]!, controls[i + 2]!, controls[i + 3]!];
      for (let step = 0; step <= SAMPLES_PER_SEGMENT; step++) {
        const t = step / SAMPLES_PER_SEGMENT;
        const u = 1 - t;
        const at = (k: 0 | 1) => u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t * t * t * p3[k];
        points.push({ x: at(0) * PX_PER_PT, y: -at(1) * PX_PER_PT });
      }
    }
  }
  return points;
}

export function layoutGeometry(layout: GraphvizLayout): DiagramGeometry {
  const labels: LabelLine[] = [];
  const lines: EdgeLine[] = [];
  (layout.edges ?? []).forEach((edge, index) => {
    const id = edge.id ?? `edge${index}`;
    for (const { text, box } of texts(edge._ldraw_)) labels.push({ edge: id, text, box });
    lines.push({ edge: id, points: linePoints(edge._draw_) });
  });
  const states: StateShape[] = [];
  for (const object of layout.objects ?? []) {
    const points = outline(object._draw_);
    if (points.length === 0) continue;
    const id = object.id ?? object.name;
    if (object.nodes === undefined) states.push({ id, kind: 'node', box: boxAround(points) });
    else {
      states.push({ id, kind: 'frame', box: boxAround(points) });
      for (const { box } of texts(object._ldraw_)) states.push({ id: `${id} (its name)`, kind: 'node', box });
    }
  }
  return { labels, states, lines };
}
