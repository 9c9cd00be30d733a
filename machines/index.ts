/** The machines that define statesocket's protocol behaviour. */
export { connectionMachine } from './connection.machine.js';
export { messageMachine } from './message.machine.js';
export { closingHandshakeMachine } from './closing-handshake.machine.js';
export type * from './protocol-events.js';
