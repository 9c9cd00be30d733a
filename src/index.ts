/**
 * statesocket's public API: the names of `ws` 8 — the server side, and the client (`new
 * WebSocket(address, protocols, options)`; server-side and client connections are one class) —
 * and statesocket's own additions.
 */
export {
  WebSocketServer,
  defaultServerOptions,
  type ServerOptions,
  type ListeningAddress,
  type VerifyClient,
  type VerifyClientCallback,
  type VerifyClientInfo,
  type WebSocketServerEvents,
} from './server.js';
export {
  WebSocketConnection,
  WebSocketConnection as WebSocket,
  type SendOptions,
  type SendData,
  type SendCallback,
  type BinaryType,
  type RawData,
  type WebSocketConnectionEvents,
} from './websocket-connection.js';
export type { ClientOptions, ClientPerMessageDeflateOptions } from './client-options.js';
export { startEchoServer, type EchoServer, type EchoServerOptions } from './echo-server.js';
export { ProtocolError, InvalidStateError, type ProtocolErrorCode } from './protocol-error.js';
export { CloseCode } from './close-code.js';
export type { ProtocolTransitionRecord as TransitionRecord } from './protocol-machines.js';
export type { ReadyState } from './connection-protocol.js';
export type { InspectOptions } from './inspector/inspector-feed.js';
export type { PerMessageDeflateOptions } from './permessage-deflate/negotiation.js';
