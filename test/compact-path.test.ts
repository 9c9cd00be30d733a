/** src/model-based/compact-path.ts: long paths written short for diagrams/autobahn-paths.md. */
import { expect } from 'chai';
import { compactPieces, compressSteps, piecesOf } from '../src/model-based/compact-path.js';

describe('compact paths', () => {
  it('counts repeated runs of steps', () => {
    expect(compressSteps(['a', 'a', 'a', 'b', 'c', 'b', 'c'])).to.equal('a ×3 (b c) ×2');
    expect(compressSteps(['a', 'b'])).to.equal('a b');
  });

  it('cuts a path after each return to the initial state, equal pieces counted', () => {
    const path = 'T->m.f F->idle T->m.f F->idle C->idle T->m.f';
    expect(piecesOf(path, 'idle')).to.deep.equal([
      { piece: 'T->m.f F->idle', count: 2 },
      { piece: 'C->idle', count: 1 },
      { piece: 'T->m.f', count: 1 },
    ]);
    expect(piecesOf('', 'idle')).to.deep.equal([]);
    // `->idleness` is not a return to `idle`.
    expect(piecesOf('X->idleness Y->idle', 'idle')).to.deep.equal([{ piece: 'X->idleness Y->idle', count: 1 }]);
  });

  it('merges pieces that differ only in their counts into ranges', () => {
    const message = (frames: number) => ['O->f', ...Array<string>(frames).fill('E->w C->f'), 'E->idle'].join(' ');
    const path = [message(8), message(8), message(9), message(8), 'P->idle', 'P->idle'].join(' ');
    expect(compactPieces(piecesOf(path, 'idle'))).to.equal('(O->f (E->w C->f) ×8–9 E->idle) ×4 P->idle ×2');
  });
});
