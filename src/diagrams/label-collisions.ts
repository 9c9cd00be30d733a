/**
 * Is a drawn diagram readable? Three checks on the boxes of its text and the course of its lines:
 * - no two edge labels overlap (a line of one edge's label over a line of another's);
 * - no edge label crosses a state: it may not overlap a state's box, nor straddle the frame of a
 *   compound state (a label wholly inside or wholly outside the frame is fine);
 * - no edge's line runs through a label, its own included: through the box around all its lines
 *   (3 px deep for another edge's label, 6 px for its own, which Graphviz sets right beside it).
 *
 * Plain arithmetic on boxes and points, measured twice: by svg.ts on Graphviz's own layout (to pick
 * layout settings under which the drawing is readable) and by test/browser/diagrams.browser.ts on
 * the SVG as Chromium renders it.
 */

export interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** One line (one `<text>` element) of an edge's label. */
export interface LabelLine {
  /** The edge's element id. */
  readonly edge: string;
  readonly text: string;
  readonly box: Box;
}

/** A state's outline: a node's box, or a compound state's frame. */
export interface StateShape {
  readonly id: string;
  readonly kind: 'node' | 'frame';
  readonly box: Box;
}

/** Points along an edge's line, every few pixels. */
export interface EdgeLine {
  readonly edge: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface DiagramGeometry {
  readonly labels: readonly LabelLine[];
  readonly states: readonly StateShape[];
  readonly lines: readonly EdgeLine[];
}

/** Overlaps smaller than this (in CSS pixels) are rounding, not collisions. */
const TOLERANCE = 0.5;
/**
 * How far inside a label's block a line must pass to run through it. A text box holds the font's
 * whole height, descenders included; a line that grazes it touches no glyph, and one that runs
 * between two lines of a label is at least half a line (about 6 px) inside.
 */
const LINE_CLEARANCE = 3;
/**
 * The same for an edge and its own label, which Graphviz sets right beside the edge: a line that
 * cuts the empty corner of its own label's box (beside a short last line) reads fine; one that
 * runs between the label's lines is more than half a line (6 px) inside.
 */
const OWN_LINE_CLEARANCE = 6;

function overlaps(a: Box, b: Box): boolean {
  return (
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > TOLERANCE &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > TOLERANCE
  );
}

function contains(outer: Box, inner: Box): boolean {
  return (
    inner.left >= outer.left - TOLERANCE &&
    inner.right <= outer.right + TOLERANCE &&
    inner.top >= outer.top - TOLERANCE &&
    inner.bottom <= outer.bottom + TOLERANCE
  );
}

function deepInside(box: Box, point: { x: number; y: number }, clearance: number): boolean {
  return (
    point.x > box.left + clearance &&
    point.x < box.right - clearance &&
    point.y > box.top + clearance &&
    point.y < box.bottom - clearance
  );
}

/** Each edge's label as one block: the box around all its lines. */
function labelBlocks(labels: readonly LabelLine[]): Map<string, Box> {
  const blocks = new Map<string, Box>();
  for (const { edge, box } of labels) {
    const block = blocks.get(edge);
    blocks.set(
      edge,
      block === undefined
        ? box
        : {
            left: Math.min(block.left, box.left),
            top: Math.min(block.top, box.top),
            right: Math.max(block.right, box.right),
            bottom: Math.max(block.bottom, box.bottom),
          },
    );
  }
  return blocks;
}

/** Every collision, as a sentence naming both parties; empty when the diagram is readable. */
export function findCollisions(geometry: DiagramGeometry): string[] {
  const found: string[] = [];
  const { labels, states, lines } = geometry;
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i]!;
    for (let j = i + 1; j < labels.length; j++) {
      const b = labels[j]!;
      if (a.edge !== b.edge && overlaps(a.box, b.box)) {
        found.push(`label "${a.text}" of ${a.edge} overlaps label "${b.text}" of ${b.edge}`);
      }
    }
    for (const state of states) {
      if (!overlaps(a.box, state.box)) continue;
      if (state.kind === 'node') found.push(`label "${a.text}" of ${a.edge} crosses state ${state.id}`);
      else if (!contains(state.box, a.box)) found.push(`label "${a.text}" of ${a.edge} crosses the frame of ${state.id}`);
    }
  }
  // A line may pass beside a label, not through it, nor between the lines of one label.
  for (const [edge, box] of labelBlocks(labels)) {
    for (const line of lines) {
      const clearance = line.edge === edge ? OWN_LINE_CLEARANCE : LINE_CLEARANCE;
      if (line.points.some((point) => deepInside(box, point, clearance))) {
        found.push(`the line of ${line.edge} runs through the label of ${edge}${line.edge === edge ? ' (its own)' : ''}`);
      }
    }
  }
  return found;
}
