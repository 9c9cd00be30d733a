/**
 * Messages, fragmentation and reassembly (RFC 6455 §5.4, §5.6).
 *
 * Rules for this file: every rule about which data frame may follow which lives here.
 * The machine steps on each data frame's header (so a broken sequence fails before its
 * payload arrives) and on the frame's end (so a final frame delivers its message). Payload
 * bytes never enter the machine: the protocol core appends them to the message in progress.
 */
import { and, setup } from 'xstate';
import type { ProtocolEvent } from './protocol-events.js';
import { asWritten } from './as-written.js';
import { failWith, sharedActions } from './shared-actions.js';

type MessageKind = 'Text' | 'Binary' | 'CompressedText' | 'CompressedBinary';

/** The target state of a message kind, e.g. `compressedText`. */
function stateOf(kind: MessageKind): string {
  return kind[0]!.toLowerCase() + kind.slice(1);
}

/**
 * The first frame of a message. RFC 7692 §6: "the RSV1 bit is set only on the first frame" of a
 * compressed message; the frame parser refuses RSV1 unless permessage-deflate was agreed.
 */
function startOf(plain: 'Text' | 'Binary') {
  const compressed = asWritten(`Compressed${plain}`);
  return asWritten([
    { guard: and(['isCompressed', 'isFinalFrame']), target: `${stateOf(compressed)}.finalFrame`, actions: `begin${compressed}Message` },
    { guard: 'isCompressed', target: `${stateOf(compressed)}.fragment`, actions: `begin${compressed}Message` },
    { guard: 'isFinalFrame', target: `${stateOf(plain)}.finalFrame`, actions: `begin${plain}Message` },
    { target: `${stateOf(plain)}.fragment`, actions: `begin${plain}Message` },
  ]);
}

/**
 * The states of a message in progress, the same for text and binary: the current frame is the
 * final one, or a fragment with more to come, or the message waits between fragments.
 */
function messageInProgress(kind: MessageKind) {
  return asWritten({
    // Entered only through its child states; `initial` is required by XState for compound states.
    initial: 'finalFrame',
    states: {
      /** Reading the frame with FIN set: at its end the message is complete. */
      finalFrame: {
        on: { FRAME_END: { target: '#message.awaitingMessage', actions: `deliver${kind}Message` } },
      },
      /** Reading a frame with FIN clear: "followed by zero or more frames with ... opcode 0". */
      fragment: {
        on: { FRAME_END: { target: 'awaitingContinuation' } },
      },
      /** Between fragments. §5.4: "Control frames MAY be injected in the middle of a fragmented message." */
      awaitingContinuation: {
        on: {
          CONTINUATION_FRAME: [
            // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message, never a continuation.
            {
              guard: 'isCompressed',
              target: '#message.failed',
              actions: failWith('WS_ERR_UNEXPECTED_RSV_1'),
            },
            { guard: 'isFinalFrame', target: 'finalFrame', actions: 'continueMessage' },
            { target: 'fragment', actions: 'continueMessage' },
          ],
          // §5.4: "The fragments of one message MUST NOT be interleaved between the
          // fragments of another message unless an extension has been negotiated".
          TEXT_FRAME: {
            target: '#message.failed',
            actions: failWith('WS_ERR_EXPECTED_CONTINUATION'),
          },
          BINARY_FRAME: {
            target: '#message.failed',
            actions: failWith('WS_ERR_EXPECTED_CONTINUATION'),
          },
          CONTROL_FRAME: {},
        },
      },
    },
  });
}

export const messageActions = {
  ...sharedActions,
  /** Start collecting a text message: its bytes are checked as UTF-8 as they arrive (§8.1). */
  beginTextMessage: () => {},
  /** Start collecting a binary message. */
  beginBinaryMessage: () => {},
  /** Start collecting a compressed text message (RFC 7692): inflated, then checked as UTF-8. */
  beginCompressedTextMessage: () => {},
  /** Start collecting a compressed binary message (RFC 7692). */
  beginCompressedBinaryMessage: () => {},
  /** A continuation frame of the message in progress starts: its payload joins the message. */
  continueMessage: () => {},
  /** Hand the complete text message to the application. */
  deliverTextMessage: () => {},
  /** Hand the complete binary message to the application. */
  deliverBinaryMessage: () => {},
  /** RFC 7692 §7.2.2: inflate the message, check it as UTF-8, hand it to the application. */
  deliverCompressedTextMessage: () => {},
  /** RFC 7692 §7.2.2: inflate the message and hand it to the application. */
  deliverCompressedBinaryMessage: () => {},
};

export const messageMachine = setup({
  // Stryker disable next-line ObjectLiteral: equivalent — `types` only types the machine for tsc; XState ignores it at run time (test/mutation/equivalent-mutants.md)
  types: {
    events: {} as ProtocolEvent,
  },
  guards: {
    /** §5.2: "FIN: 1 bit. Indicates that this is the final fragment in a message." */
    isFinalFrame: ({ event }) =>
      (event.type === 'TEXT_FRAME' || event.type === 'BINARY_FRAME' || event.type === 'CONTINUATION_FRAME') &&
      event.fin,
    /** RFC 7692 §6: RSV1 on a message's first frame — "per-message compressed". */
    isCompressed: ({ event }) =>
      (event.type === 'TEXT_FRAME' || event.type === 'BINARY_FRAME' || event.type === 'CONTINUATION_FRAME') &&
      event.rsv1,
  },
  actions: messageActions,
}).createMachine({
  id: 'message',
  initial: 'awaitingMessage',
  states: {
    /** No message in progress: the next data frame must start one. */
    awaitingMessage: {
      on: {
        TEXT_FRAME: startOf('Text'),
        BINARY_FRAME: startOf('Binary'),
        // §5.4: a continuation frame continues a message; with none in progress there is nothing to continue.
        CONTINUATION_FRAME: {
          target: 'failed',
          actions: failWith('WS_ERR_UNEXPECTED_CONTINUATION'),
        },
        CONTROL_FRAME: {},
      },
    },
    /** A text message (opcode 0x1) is in progress. */
    text: messageInProgress('Text'),
    /** A binary message (opcode 0x2) is in progress. */
    binary: messageInProgress('Binary'),
    /** A compressed text message (RFC 7692 §6) is in progress. */
    compressedText: messageInProgress('CompressedText'),
    /** A compressed binary message (RFC 7692 §6) is in progress. */
    compressedBinary: messageInProgress('CompressedBinary'),
    /** The frame sequence was invalid; no further frame is read. */
    failed: { type: 'final' },
  },
});
