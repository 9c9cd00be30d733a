/**
 * The first execution of a generated path: against the machine itself (XState's pure
 * `transition()`) and against its compiled table (`CompiledMachine.step`, what the server runs).
 * Every step must land in the state the path says, both ways, with the same actions.
 */
import { initialTransition, transition } from 'xstate';
import { statePath } from '../compiled-machine.js';
import { describeEvent } from './event-samples.js';
import { machinesById, type ModelPath } from './model-paths.js';
import { branchOf, compiledOf, type TransitionBranch } from './transition-branches.js';

export interface MachineExecution {
  /** What went wrong, one line per problem; empty when the path held. */
  readonly problems: string[];
  /** The branch each step took (as far as the path held). */
  readonly branches: TransitionBranch[];
}

/** Runs the path on XState and on the compiled table. */
export function executeOnMachine(path: ModelPath): MachineExecution {
  const machine = machinesById[path.machineId];
  const compiled = compiledOf(path.machineId);
  const problems: string[] = [];
  const branches: TransitionBranch[] = [];
  let [snapshot] = initialTransition(machine);
  let tableState = compiled.initialState;
  if (statePath(snapshot.value) !== path.initialState) problems.push(`starts in ${statePath(snapshot.value)}, not ${path.initialState}`);
  path.steps.forEach((step, index) => {
    if (problems.length > 0) return;
    const where = `step ${index + 1} ${describeEvent(step.event)}`;
    const source = statePath(snapshot.value);
    const [next, actions] = transition(machine, snapshot, step.event);
    const reached = statePath(next.value);
    if (reached !== step.state) problems.push(`${where}: XState goes from ${source} to ${reached}, the path says ${step.state}`);
    const row = compiled.step(tableState, step.event);
    const tableTarget = row === undefined ? compiled.states[tableState] : row.target;
    if (tableTarget !== step.state) problems.push(`${where}: the compiled table goes to ${tableTarget}, the path says ${step.state}`);
    const xstateActions = actions.map((action) => action.type).join(', ');
    const tableActions = (row?.actions ?? []).map((action) => action.type).join(', ');
    if (xstateActions !== tableActions) problems.push(`${where}: XState runs [${xstateActions}], the table [${tableActions}]`);
    const branch = branchOf(path.machineId, source, step.event);
    if (branch === undefined) problems.push(`${where}: ${source} ignores the event`);
    else branches.push(branch);
    snapshot = next;
    if (row !== undefined) tableState = row.targetIndex;
  });
  return { problems, branches };
}
