import { expect } from 'chai';
import fc from 'fast-check';
import { initialTransition, transition, type AnyStateMachine } from 'xstate';
import { CompiledMachine, guardOperands, stateNodesOf, statePath } from '../src/compiled-machine.js';
import { compiledMachines } from '../src/protocol-machines.js';
import { connectionMachine } from '../machines/connection.machine.js';
import { messageMachine } from '../machines/message.machine.js';
import { closingHandshakeMachine } from '../machines/closing-handshake.machine.js';
import { protocolEvent } from './protocol-event-samples.js';

const machines: AnyStateMachine[] = [connectionMachine, messageMachine, closingHandshakeMachine];

describe('compiled machine tables', () => {
  for (const machine of machines) {
    describe(machine.id, () => {
      const compiled = new CompiledMachine(machine);

      it('agrees with XState transition() on random event sequences', () => {
        fc.assert(
          fc.property(fc.array(protocolEvent, { maxLength: 40 }), (events) => {
            let [snapshot] = initialTransition(machine);
            let state = compiled.initialState;
            for (const event of events) {
              const [next, actions] = transition(machine, snapshot, event);
              const step = compiled.step(state, event);
              if (step !== undefined) state = step.targetIndex;
              expect(compiled.states[state], `${machine.id} after ${event.type}`).to.equal(statePath(next.value));
              expect(step?.actions ?? [], `${machine.id} actions on ${event.type}`).to.deep.equal(
                actions.map((action) => ({ type: action.type, params: action.params })),
              );
              snapshot = next;
            }
          }),
          { seed: 6455, numRuns: 2000 },
        );
      });

      it('has a row for every state XState can reach and every event type it declares', () => {
        expect(compiled.states).to.include(statePath(initialTransition(machine)[0].value));
        expect(compiled.transitions().length).to.be.greaterThan(0);
        for (const type of compiled.eventTypes) {
          expect(compiled.transitions().some((t) => t.eventType === type), type).to.equal(true);
        }
      });
    });
  }

  it('the server runs the same tables (one compiled instance per machine)', () => {
    expect(compiledMachines.map((machine) => machine.id)).to.deep.equal(['connection', 'message', 'closingHandshake']);
  });

  it('pins the XState internals it relies on (idMap of state nodes, the operands of not() and and())', async () => {
    const { and, not } = await import('xstate');
    const paths = stateNodesOf(messageMachine).map((node) => node.path.join('.'));
    expect(paths).to.include.members(['', 'awaitingMessage', 'text', 'text.finalFrame', 'compressedBinary.awaitingContinuation', 'failed']);
    expect(paths).to.have.length(1 + 1 + 4 * 4 + 1);
    expect(guardOperands(not('isFinalFrame'))).to.deep.equal(['isFinalFrame']);
    expect(guardOperands(and(['isCompressed', 'isFinalFrame']))).to.deep.equal(['isCompressed', 'isFinalFrame']);
    expect(guardOperands('isFinalFrame')).to.equal(undefined);
    // Transitions are read from each node's `transitions` map, keyed by event type.
    const open = stateNodesOf(closingHandshakeMachine).find((node) => node.path.join('.') === 'open')!;
    expect([...open.transitions.keys()]).to.include.members(['CLOSE_FRAME', 'CONNECTION_FAILED', 'CLOSE_REQUESTED']);
    expect(open.transitions.get('CLOSE_FRAME')).to.have.length(5);
  });

  it('refuses machines it cannot compile faithfully', async () => {
    const { setup } = await import('xstate');
    const timed = setup({}).createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    expect(() => new CompiledMachine(timed)).to.throw(/after/);
  });
});
