/**
 * A path of a million steps in one readable line (diagrams/autobahn-paths.md), in three moves:
 * - the path is cut into pieces, each ending where the machine is back in its initial state
 *   (for the message machine: one message, or one control frame between messages), and runs of
 *   equal pieces are counted (`piecesOf`);
 * - a piece is written with its repeats counted: `a b b b c` → `a b ×3 c` (`compressSteps`);
 * - consecutive pieces written alike but for their counts are written once, each differing
 *   count as the range it takes: a thousand compressed messages of 10 or 11 frames read
 *   `(TEXT_FRAME->… FRAME_END->… (CONTINUATION_FRAME->… FRAME_END->…) ×8–9 CONTINUATION_FRAME->… FRAME_END->awaitingMessage) ×1000`
 *   (`compactPieces`).
 * Only the last move loses anything (which piece took which count); the document says where the
 * exact counts are.
 */

/** A run of equal pieces: the piece (its steps, space-separated) and how many times it comes in a row. */
export interface PieceRun {
  readonly piece: string;
  readonly count: number;
}

/**
 * The path cut after every step into `initialState`, equal pieces in a row counted. Works on the
 * text, not on a list of steps: a path of a million steps yields a few distinct pieces.
 */
export function piecesOf(path: string, initialState: string): PieceRun[] {
  const runs: { piece: string; count: number }[] = [];
  const add = (piece: string) => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.piece === piece) last.count++;
    else runs.push({ piece, count: 1 });
  };
  const ending = `->${initialState}`;
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf(ending, start);
    while (end >= 0 && end + ending.length < path.length && path[end + ending.length] !== ' ') end = path.indexOf(ending, end + 1);
    if (end < 0) {
      add(path.slice(start));
      break;
    }
    add(path.slice(start, end + ending.length));
    start = end + ending.length + 1;
  }
  return runs;
}

/** Steps repeated: `unit` `count` times in a row. */
interface StepRun {
  readonly unit: readonly string[];
  readonly count: number;
}

/** `a a a b c b c` → a ×3, (b c) ×2: the longest repeats of up to 8 steps, greedily from the start. */
function repeatsOf(steps: readonly string[]): StepRun[] {
  const runs: StepRun[] = [];
  const sameAt = (a: number, b: number, length: number) => {
    for (let k = 0; k < length; k++) if (steps[a + k] !== steps[b + k]) return false;
    return true;
  };
  let i = 0;
  while (i < steps.length) {
    let bestLength = 1;
    let bestCount = 1;
    for (let length = 1; length <= 8 && i + 2 * length <= steps.length; length++) {
      let count = 1;
      while (i + (count + 1) * length <= steps.length && sameAt(i, i + count * length, length)) count++;
      if (count > 1 && count * length > bestCount * bestLength) {
        bestLength = length;
        bestCount = count;
      }
    }
    runs.push({ unit: steps.slice(i, i + bestLength), count: bestCount });
    i += bestLength * bestCount;
  }
  return runs;
}

/** `unit ×count`, the unit in parentheses when it has several steps; `count` may be a range. */
function writeRun(unit: string, steps: number, count: string): string {
  return count === '1' ? unit : `${steps === 1 ? unit : `(${unit})`} ×${count}`;
}

/** `a a a b c b c` → `a ×3 (b c) ×2`. */
export function compressSteps(steps: readonly string[]): string {
  return repeatsOf(steps)
    .map((run) => writeRun(run.unit.join(' '), run.unit.length, `${run.count}`))
    .join(' ');
}

/** `lowest–highest`, or the one count. */
function range(counts: readonly number[]): string {
  const lowest = Math.min(...counts);
  const highest = Math.max(...counts);
  return lowest === highest ? `${lowest}` : `${lowest}–${highest}`;
}

/** The pieces written one after the other, equal runs counted, runs that differ only in counts merged into ranges. */
export function compactPieces(pieces: readonly PieceRun[]): string {
  const shapes = new Map<string, { shape: string; runs: StepRun[] }>();
  const shapeOf = (piece: string) => {
    let known = shapes.get(piece);
    if (known === undefined) {
      const runs = repeatsOf(piece.split(' '));
      // A run repeated once is a different shape from one repeated more: it is written without a count.
      const shape = runs.map((run) => `${run.unit.join(' ')}${run.count > 1 ? ' ×#' : ''}`).join(' | ');
      shapes.set(piece, (known = { shape, runs }));
    }
    return known;
  };
  const out: string[] = [];
  for (let i = 0; i < pieces.length; ) {
    const { shape, runs } = shapeOf(pieces[i]!.piece);
    const counts: number[][] = runs.map(() => []);
    let times = 0;
    let end = i;
    for (; end < pieces.length && shapeOf(pieces[end]!.piece).shape === shape; end++) {
      shapeOf(pieces[end]!.piece).runs.forEach((run, k) => counts[k]!.push(run.count));
      times += pieces[end]!.count;
    }
    const written = runs.map((run, k) => writeRun(run.unit.join(' '), run.unit.length, range(counts[k]!))).join(' ');
    const steps = runs.length === 1 && runs[0]!.count === 1 ? runs[0]!.unit.length : 2;
    out.push(writeRun(written, steps, `${times}`));
    i = end;
  }
  return out.join(' ');
}
