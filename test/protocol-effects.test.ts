/**
 * The contract between machines and core: every action a machine's `setup` declares has exactly
 * one effect, with the declared params type. The compile-time half is below as
 * `@ts-expect-error` lines: if a missing, renamed or mistyped effect stopped being an error,
 * `tsc` would fail on the unused directive.
 */
import { expect } from 'chai';
import { effects, type EffectTable } from '../src/protocol-effects.js';
import { compiledMachines } from '../src/protocol-machines.js';
import { closingHandshakeActions, connectionActions, messageActions } from '../machines/index.js';

// A missing action fails tsc.
// @ts-expect-error closeTcp has no effect
const missing: EffectTable = { ...effects, closeTcp: undefined };
// A renamed action fails tsc.
const { closeTcp, ...withoutCloseTcp } = effects;
// @ts-expect-error closeTcp is missing (renamed to closeTCP)
const renamed: EffectTable = { ...withoutCloseTcp, closeTCP: closeTcp };
// A wrong params type fails tsc (rejectHandshake is declared with `{ status: number }`).
// @ts-expect-error status is a number
const mistyped: EffectTable = { ...effects, rejectHandshake: (_core, params: { status: string }) => void params.status.length };

describe('the effect table (src/protocol-effects.ts)', () => {
  it('has one effect per action the machines declare, and no other', () => {
    const declared = new Set([...Object.keys(connectionActions), ...Object.keys(messageActions), ...Object.keys(closingHandshakeActions)]);
    expect(Object.keys(effects).sort()).to.deep.equal([...declared].sort());
    expect([missing, renamed, mistyped].every((table) => typeof table === 'object')).to.equal(true);
  });

  it('has an effect for every action a compiled transition runs', () => {
    for (const machine of compiledMachines) {
      for (const transition of machine.transitions()) {
        for (const action of transition.actions) expect(effects, `${machine.id} ${action.type}`).to.have.property(action.type);
      }
    }
  });
});
