/**
 * The effects: what the protocol core does for each action a machine names, one entry per
 * action. The table is checked against the machines' `setup` declarations
 * (src/protocol-machines.ts): an action without an entry, an entry for no action, or an entry
 * whose params type differs from the declaration fails `tsc`.
 *
 * Effects carry out; they do not decide. Every close code here comes from the action's params
 * (from ERROR_CLOSE_CODES), from the Close frame received or from the application's `close()`.
 */
import type { ConnectionProtocol } from './connection-protocol.js';
import type { ActionName, MachineAction, ParamsOf } from './protocol-machines.js';
import { encodeCloseFrame, encodeFrame } from './frame-encoder.js';
import { handshakeRefusal, refusalReason, switchingProtocolsHeaders } from './opening-handshake.js';
import { InvalidStateError, protocolError } from './protocol-error.js';
import { CloseCode } from './close-code.js';
import { EVENT } from './frame-events.js';
import { MessageAssembly } from './message-assembly.js';
import { chosenSubprotocol } from './client-handshake.js';
import { OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from './opcode.js';

/** The heartbeat's Ping: no application data (the Pong that answers it need carry none). */
const HEARTBEAT_PING = encodeFrame(OPCODE_PING, new Uint8Array(0));

/** What an action does to the core, given the params its transition names. */
export type Effect<P> = (core: ConnectionProtocol, params: P) => void;

export type EffectTable = { readonly [K in ActionName]: Effect<ParamsOf<K>> };

/** The data plane of the connection, made on its first message. */
function messageOf(core: ConnectionProtocol): MessageAssembly {
  return (core.message ??= new MessageAssembly(core.options.maxMessageSize));
}

function beginMessage(core: ConnectionProtocol, isText: boolean, isCompressed: boolean): void {
  const message = messageOf(core);
  message.begin(isText, isCompressed);
  core.failIf(message.startFrame(core.parser.header.payloadLength));
}

/** RFC 7692 §7.2.2: inflate, then hand the payload over (or fail for its cause). */
function deliverCompressed(core: ConnectionProtocol, isBinary: boolean): void {
  const data = core.message!.inflate(core.compressor!, !isBinary);
  if (typeof data === 'string') core.dispatch(EVENT[data]);
  else core.output.message(data, isBinary);
}

export const effects = {
  // ---- connection machine
  enablePerMessageDeflate: (core) => {
    core.compressor = core.options.createCompressor!(core.perMessageDeflateAgreed!, core.options.perMessageDeflate!);
    core.parser.rsv1Allowed = true;
  },
  answerSubprotocol: (core) => {
    core.subprotocol = core.handshakeRequest!.subprotocol!;
  },
  acceptHandshake: (core) => {
    const extra = core.compressor ? [`Sec-WebSocket-Extensions: ${core.perMessageDeflateAgreed!.response}`] : [];
    if (core.subprotocol !== '') extra.push(`Sec-WebSocket-Protocol: ${core.subprotocol}`);
    // §4.2.2 item 5.4: the accept value is derived from the request's |Sec-WebSocket-Key| (a string:
    // the machine accepts no request whose key isMalformedHandshake refused).
    const key = core.handshakeRequest!.headers['sec-websocket-key'] as string;
    const headers = switchingProtocolsHeaders(key, extra);
    core.output.handshakeHeaders?.(headers);
    core.output.write(Buffer.from(`${headers.join('\r\n')}\r\n\r\n`));
    core.dispatch(EVENT.CONNECTION_OPENED);
  },
  // The body names what was wrong with the request (the header at fault and what is expected).
  rejectHandshake: (core, params) =>
    core.output.refuseHandshake(handshakeRefusal(params.status, refusalReason(params.status, core.handshakeRequest))),
  relayApplicationRefusal: (core) => core.output.refuseHandshake(core.applicationRefusal!),
  startReadingFrames: (core) => core.parser.start(),
  sendMessage: (core) => core.writeMessage(core.requestIsBinary ? OPCODE_BINARY : OPCODE_TEXT, core.requestData),
  sendPing: (core) => core.writeControlFrame(OPCODE_PING, encodeFrame(OPCODE_PING, core.requestData)),
  sendUnsolicitedPong: (core) => core.writeControlFrame(OPCODE_PONG, encodeFrame(OPCODE_PONG, core.requestData)),
  // ---- connection machine, the client role
  maskOutgoingFrames: (core) => {
    core.maskFrames = true;
  },
  expectUnmaskedFrames: (core) => {
    core.parser.expectMasked = false;
  },
  reportUnexpectedResponse: (core) => core.output.unexpectedResponse?.(),
  reportHandshakeFailure: (core) => core.output.protocolError(core.failure!),
  recordSubprotocol: (core) => {
    core.subprotocol = chosenSubprotocol(core.handshakeResponse!.headers);
  },
  completeClientHandshake: (core) => core.dispatch(EVENT.CONNECTION_OPENED),
  reportClosed: (core) => {
    core.compressor?.close();
    core.output.closed(core.closeCode, core.closeReason);
  },

  // ---- any machine
  failConnection: (core, params) => {
    core.failure ??= protocolError(params.error);
    core.dispatch(EVENT.CONNECTION_FAILED);
  },
  refuseRequest: (core, params) => {
    core.refusal = new InvalidStateError(params.request, core.machineStates);
  },

  // ---- message machine
  beginTextMessage: (core) => beginMessage(core, true, false),
  beginBinaryMessage: (core) => beginMessage(core, false, false),
  beginCompressedTextMessage: (core) => beginMessage(core, true, true),
  // Stryker disable next-line BooleanLiteral: equivalent — MessageAssembly reads the two flags only as `isText && !isCompressed` (check UTF-8 as the bytes arrive), false for (false, true), (true, true) and (false, false) alike (test/mutation/equivalent-mutants.md)
  beginCompressedBinaryMessage: (core) => beginMessage(core, false, true),
  continueMessage: (core) => core.failIf(core.message!.startFrame(core.parser.header.payloadLength)),
  deliverTextMessage: (core) => core.output.message(core.message!.take(), false),
  deliverBinaryMessage: (core) => core.output.message(core.message!.take(), true),
  deliverCompressedTextMessage: (core) => deliverCompressed(core, false),
  deliverCompressedBinaryMessage: (core) => deliverCompressed(core, true),

  // ---- closing-handshake machine
  reportOpen: (core) => core.output.opened(),
  // §5.5.3: "A Pong frame sent in response to a Ping frame must have identical "Application data"
  // as found in the message body of the Ping frame being replied to."
  sendPong: (core) => core.writeControlFrame(OPCODE_PONG, encodeFrame(OPCODE_PONG, core.controlPayload())),
  reportPing: (core) => core.output.ping(core.controlPayload()),
  reportPong: (core) => core.output.pong(core.controlPayload()),
  recordCloseCode: (core) => {
    // §7.1.5: "If this Close control frame contains no status code, _The WebSocket Connection
    // Close Code_ is considered to be 1005."
    core.closeCode = core.closeReceived!.code ?? CloseCode.noStatusReceived;
    core.closeReason = core.closeReceived!.reason;
  },
  // §5.5.1: "the endpoint typically echos the status code it received" (none: an empty body); the
  // reason goes back with it, as ws does (a reason that is not UTF-8 never reaches this action).
  echoCloseFrame: (core) =>
    core.writeControlFrame(OPCODE_CLOSE, encodeCloseFrame(core.closeReceived!.code, core.closeReceived!.reason)),
  sendCloseFrame: (core) =>
    core.writeControlFrame(OPCODE_CLOSE, encodeCloseFrame(core.requestedCloseCode, core.requestData)),
  sendFailureCloseFrame: (core) => core.writeControlFrame(OPCODE_CLOSE, encodeCloseFrame(core.failure!.closeCode)),
  reportFailure: (core) => core.output.protocolError(core.failure!),
  stopReadingFrames: (core) => core.parser.stop(),
  closeTcp: (core) => core.output.closeTcp(),
  destroyTcp: (core) => core.output.destroyTcp(),
  startCloseTimer: (core) => core.output.startCloseTimer(),
  sendHeartbeatPing: (core) => core.writeControlFrame(OPCODE_PING, HEARTBEAT_PING),
  startPongDeadline: (core) => core.output.startPongDeadline(),
} satisfies EffectTable;

const table: EffectTable = effects;

/** Carry out one action a transition names. */
export function runAction<K extends ActionName>(core: ConnectionProtocol, action: MachineAction<K>): void {
  const effect: Effect<ParamsOf<K>> = table[action.type];
  effect(core, action.params);
}
