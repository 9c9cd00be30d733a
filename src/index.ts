/** statesocket's public API. */
export { WebSocketServer, defaultServerOptions, type ServerOptions } from './server.js';
export { WebSocketConnection, type SendOptions } from './websocket-connection.js';
export { startEchoServer, type EchoServer } from './echo-server.js';
export { ProtocolError, InvalidStateError, type ProtocolErrorCode } from './protocol-error.js';
export { CloseCode } from './close-code.js';
export type { ProtocolTransitionRecord as TransitionRecord } from './protocol-machines.js';
export type { ReadyState } from './connection-protocol.js';
export type { InspectOptions } from './inspector/inspector-feed.js';
export type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
