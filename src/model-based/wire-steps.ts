/**
 * What a wire scenario is made of: the steps a client takes on a TCP connection (wire-adapter.ts
 * turns machine events into them) and what the server can be seen to do (observables), as plain
 * data, so that the model (protocol-model.ts) can predict and the probe client (src/probe/) can
 * perform and compare.
 */

import type { DataFrameEvent, FailureCauseType } from '../../machines/protocol-events.js';
import { encodeClientFrame } from '../frame-encoder.js';

/** A frame as the client sends it (RFC 6455 §5.2). */
export interface WireFrame {
  readonly opcode: number;
  readonly fin: boolean;
  /** RSV1–3 as a 3-bit number: 4 = RSV1, 2 = RSV2, 1 = RSV3. */
  readonly rsv: number;
  /** §5.3: a client masks every frame; false only to break the rule on purpose. */
  readonly masked: boolean;
  /** The payload as sent (compressed for a frame of a compressed message), before masking. */
  readonly payload: Buffer;
  /** What the payload stands for: the uncompressed piece of a compressed message, else the payload itself. */
  readonly plain: Buffer;
  readonly maskKey: Buffer;
}

/** How a write is handed to TCP: at once, one octet per write, or in two writes. */
export type Chopping = 'whole' | 'octets' | 'halves';

export type WireStep =
  /** The opening handshake request (RFC 6455 §4.1). */
  | {
      readonly kind: 'handshake';
      readonly method: string;
      readonly httpVersion: string;
      /** Lower-case names, as Node's HTTP parser reports them. */
      readonly headers: Readonly<Record<string, string>>;
      readonly offerDeflate: boolean;
    }
  /** A frame, or its header alone (up to and including the masking key), or the rest of it. */
  | { readonly kind: 'frame'; readonly frame: WireFrame; readonly part: 'whole' | 'header' | 'payload'; readonly chopping: Chopping }
  /** The client ends its side of TCP (FIN): `socket.end()`. */
  | { readonly kind: 'tcp-end' }
  /** The client drops TCP (RST): `socket.resetAndDestroy()`. */
  | { readonly kind: 'tcp-reset' }
  /** The client waits for the server's close timeout to expire. */
  | { readonly kind: 'await-close-timeout' }
  /** The server's application starts the closing handshake (an API call, in-process only). */
  | { readonly kind: 'request-close'; readonly code: number }
  /**
   * Bytes that make the server fail the connection for `cause`: a frame header the parser refuses
   * (`atHeader`), or a data frame whose payload the data plane refuses. `opening` is the data frame
   * event its header makes first, if any; `inflated` says the cause is found when the message inflates.
   */
  | {
      readonly kind: 'violation';
      readonly cause: FailureCauseType;
      readonly bytes: Buffer;
      readonly atHeader: boolean;
      readonly opening: DataFrameEvent | undefined;
      readonly inflated: boolean;
      readonly chopping: Chopping;
    };

/** What the server can be seen to do, from the client's side of the connection. */
export type Observable =
  /** The HTTP response to the opening handshake; for 101, whether it agreed to permessage-deflate. */
  | { readonly kind: 'http'; readonly status: number; readonly deflate: boolean; readonly subprotocol?: string; readonly problem?: string }
  /** A whole message (fragments reassembled, compressed ones inflated). */
  | { readonly kind: 'message'; readonly binary: boolean; readonly data: Buffer }
  | { readonly kind: 'ping'; readonly data: Buffer }
  | { readonly kind: 'pong'; readonly data: Buffer }
  /** A Close frame; `code` undefined when its body is empty. The reason is shown, never compared. */
  | { readonly kind: 'close'; readonly code: number | undefined; readonly reason?: string }
  /** The server ended its side of TCP (FIN). */
  | { readonly kind: 'fin' }
  /** Expected only: the server drops TCP (seen as its FIN or, once it had sent FIN, as a reset). */
  | { readonly kind: 'drop' }
  /** Observed only: the connection was reset (a write of ours was refused). */
  | { readonly kind: 'reset' }
  /** Observed only: the server broke the protocol in what it sent. */
  | { readonly kind: 'violation'; readonly what: string };

/** Payloads longer than this are shown by their first octets and their length. */
const SHOWN_OCTETS = 64;

function quoted(data: Buffer): string {
  const shown = data.subarray(0, SHOWN_OCTETS);
  const printable = shown.every((octet) => octet >= 0x20 && octet < 0x7f);
  const text = printable ? JSON.stringify(shown.toString('latin1')) : `0x${shown.toString('hex')}`;
  return data.length > SHOWN_OCTETS ? `${text}… (${data.length} octets)` : text;
}

/** `HTTP 101 permessage-deflate`, `text "m1f1;"`, `Close 1002`, `FIN`. */
export function describeObservable(item: Observable): string {
  switch (item.kind) {
    case 'http':
      return `HTTP ${item.status}${item.deflate ? ' permessage-deflate' : ''}${item.subprotocol ? ` subprotocol ${item.subprotocol}` : ''}${item.problem ? ` (${item.problem})` : ''}`;
    case 'message':
      return `${item.binary ? 'binary' : 'text'} ${quoted(item.data)}`;
    case 'ping':
      return `Ping ${quoted(item.data)}`;
    case 'pong':
      return `Pong ${quoted(item.data)}`;
    case 'close':
      return `Close ${item.code ?? '(no code)'}${item.reason ? ` ${JSON.stringify(item.reason)}` : ''}`;
    case 'fin':
      return 'FIN';
    case 'drop':
      return 'drop (FIN or reset)';
    case 'reset':
      return 'reset';
    case 'violation':
      return `violation: ${item.what}`;
  }
}

export function describeObservables(items: readonly Observable[]): string {
  return items.length === 0 ? '[nothing]' : `[${items.map(describeObservable).join(', ')}]`;
}

/** Whether an observed item is what was expected (the reason of a Close is not compared). */
export function observableMatches(expected: Observable, observed: Observable): boolean {
  switch (expected.kind) {
    case 'drop':
      return observed.kind === 'fin' || observed.kind === 'reset';
    case 'http':
      return (
        observed.kind === 'http' &&
        observed.status === expected.status &&
        observed.deflate === expected.deflate &&
        observed.subprotocol === expected.subprotocol &&
        !observed.problem
      );
    case 'message':
      return observed.kind === 'message' && observed.binary === expected.binary && observed.data.equals(expected.data);
    case 'ping':
    case 'pong':
      return observed.kind === expected.kind && observed.data.equals(expected.data);
    case 'close':
      return observed.kind === 'close' && observed.code === expected.code;
    default:
      return observed.kind === expected.kind;
  }
}

/** Whether the observed items are the expected ones, in order. */
export function observablesMatch(expected: readonly Observable[], observed: readonly Observable[]): boolean {
  return expected.length === observed.length && expected.every((item, i) => observableMatches(item, observed[i]!));
}

/** Whether every expected item has been observed (in order), extra items aside: time to stop waiting. */
export function expectationsMet(expected: readonly Observable[], observed: readonly Observable[]): boolean {
  let next = 0;
  for (const item of observed) if (next < expected.length && observableMatches(expected[next]!, item)) next++;
  return next === expected.length;
}

/** The frame's header and masked payload, as they go on the wire. */
export function encodeWireFrame(frame: WireFrame): { header: Buffer; payload: Buffer } {
  const bytes = encodeClientFrame(frame.opcode, frame.payload, frame.masked ? frame.maskKey : null, { fin: frame.fin, rsv: frame.rsv });
  const headerLength = bytes.length - frame.payload.length;
  return { header: bytes.subarray(0, headerLength), payload: bytes.subarray(headerLength) };
}

const OPCODE_NAMES: Record<number, string> = { 0x0: 'continuation', 0x1: 'text', 0x2: 'binary', 0x8: 'Close', 0x9: 'Ping', 0xa: 'Pong' };

/** `text frame (fin, rsv1) "m1f1;" as 1-octet writes`, `FIN`, `wait for the close timeout`. */
export function describeWireStep(step: WireStep): string {
  switch (step.kind) {
    case 'handshake':
      return `handshake request ${step.method} HTTP/${step.httpVersion}${step.offerDeflate ? ' offering permessage-deflate' : ''}`;
    case 'frame': {
      const frame = step.frame;
      const name = OPCODE_NAMES[frame.opcode] ?? `opcode 0x${frame.opcode.toString(16)}`;
      const flags = [frame.fin ? 'fin' : 'not fin', ...(frame.rsv & 4 ? ['rsv1'] : []), ...(frame.rsv & 2 ? ['rsv2'] : []), ...(frame.masked ? [] : ['unmasked'])];
      const part = step.part === 'whole' ? '' : step.part === 'header' ? ' header' : ' payload';
      const chopping = step.chopping === 'octets' ? ' in 1-octet writes' : step.chopping === 'halves' ? ' in two writes' : '';
      return `${name} frame${part} (${flags.join(', ')}, ${frame.payload.length} octets)${chopping}`;
    }
    case 'tcp-end':
      return 'TCP half-close (FIN)';
    case 'tcp-reset':
      return 'TCP reset (RST)';
    case 'await-close-timeout':
      return "wait for the server's close timeout";
    case 'request-close':
      return `the server application calls close(${step.code})`;
    case 'violation':
      return `${step.cause}: ${step.bytes.length} octets${step.chopping === 'octets' ? ' in 1-octet writes' : step.chopping === 'halves' ? ' in two writes' : ''}`;
  }
}
