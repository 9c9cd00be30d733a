/**
 * The three protocol machines, compiled once per process, which of them hears which event, and
 * the contract between machines and core: the action names and parameter types, derived from
 * the machines' `setup` declarations (machines/*.machine.ts), which src/protocol-effects.ts must
 * implement one for one (a missing, renamed or mistyped action fails `tsc`).
 */
import { connectionActions, connectionMachine } from '../machines/connection.machine.js';
import { messageActions, messageMachine } from '../machines/message.machine.js';
import { closingHandshakeActions, closingHandshakeMachine } from '../machines/closing-handshake.machine.js';
import { CompiledMachine, type CompiledTransition, type TransitionRecord } from './compiled-machine.js';

/** Every action any machine declares, by name. (An action two machines declare has one signature.) */
type DeclaredActions = typeof connectionActions & typeof messageActions & typeof closingHandshakeActions;

/** The name of an action some machine names. */
export type ActionName = keyof DeclaredActions;

/** The static params a machine gives an action (`undefined` for an action without params). */
export type ParamsOf<K extends ActionName> = Parameters<DeclaredActions[K]>[1];

/** An action as a transition runs it: its name and params, the two correlated. */
export type MachineAction<K extends ActionName = ActionName> = { [N in K]: { readonly type: N; readonly params: ParamsOf<N> } }[K];

/** The actions one machine's `setup` declares. */
type ActionsOf<T> = { [N in keyof T & ActionName]: { readonly type: N; readonly params: ParamsOf<N> } }[keyof T & ActionName];

export const compiledMachines = [
  new CompiledMachine<ActionsOf<typeof connectionActions>>(connectionMachine),
  new CompiledMachine<ActionsOf<typeof messageActions>>(messageMachine),
  new CompiledMachine<ActionsOf<typeof closingHandshakeActions>>(closingHandshakeMachine),
] as const;

export type MachineId = 'connection' | 'message' | 'closingHandshake';

/** Slot of each machine in a connection's state array. */
export const MachineSlot = { connection: 0, message: 1, closingHandshake: 2 } as const;

/** For each event type, the slots of the machines that declare it. */
export const machinesByEventType: ReadonlyMap<string, readonly number[]> = (() => {
  const routes = new Map<string, number[]>();
  compiledMachines.forEach((machine, slot) => {
    for (const type of machine.eventTypes) routes.set(type, [...(routes.get(type) ?? []), slot]);
  });
  return routes;
})();

/** A transition of one of the protocol machines, with its actions typed (what `onTransition` hears). */
export type ProtocolTransition = CompiledTransition<MachineAction>;

/** What the `onTransition` hook of the public API hears: machine, states, event type, actions (no table rows). */
export type ProtocolTransitionRecord = TransitionRecord<MachineAction>;
