/**
 * The three protocol machines, compiled once per process, and which of them hears which event.
 * An event goes to every machine that declares it, in this order.
 */
import { connectionMachine } from '../machines/connection.machine.js';
import { messageMachine } from '../machines/message.machine.js';
import { closingHandshakeMachine } from '../machines/closing-handshake.machine.js';
import { CompiledMachine } from './compiled-machine.js';

export const compiledMachines = [
  new CompiledMachine(connectionMachine),
  new CompiledMachine(messageMachine),
  new CompiledMachine(closingHandshakeMachine),
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
