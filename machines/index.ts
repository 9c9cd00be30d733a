/** The machines that define statesocket's protocol behaviour. */
export { connectionMachine, connectionActions } from './connection.machine.js';
export { messageMachine, messageActions } from './message.machine.js';
export { closingHandshakeMachine, closingHandshakeActions } from './closing-handshake.machine.js';
export type * from './protocol-events.js';
export type { FailureParams, ApplicationRequest } from './shared-actions.js';
