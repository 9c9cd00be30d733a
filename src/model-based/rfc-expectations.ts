/**
 * The model-based paths' second oracle: what RFC 6455 (and RFC 7692) require the server to do
 * after each wire step, from the rules table of rfc6455-rules.ts, independently of the machines.
 *
 * The model (protocol-model.ts) predicts from the machines, so a machine that is wrong predicts
 * its own wrong behaviour and the wire agrees with it. This checker knows only what the client
 * sent and what the server was seen to send, and judges each step by the RFC: a Ping is answered
 * with a Pong of the same data unless the server received a Close; a Close is answered with a
 * Close of the same code; each violation fails the connection with its code; which data frame may
 * follow which; nothing but TCP's close after a failure, no data frame after the server's Close.
 *
 * Rules of this file: it imports no machine and nothing of the implementation, only the RFC
 * table and the wire vocabulary. Where the RFC leaves the moment open, statesocket's is asked for:
 * a header-level violation (§5.2, §5.4, RFC 7692 §6) is answered once the header has arrived.
 */
import type { FailureCauseType } from '../../machines/protocol-events.js';
import { closeCodeMayBeReceived, isUtf8, RFC_OPCODES, RFC_RULES, Utf8Prefix, type RfcRuleName } from './rfc6455-rules.js';
import type { Observable, WireFrame, WireStep } from './wire-steps.js';

/**
 * The rule a `violation` wire step breaks, by the cause the wire adapter built its bytes for. The
 * cause names which bytes were sent; the close code comes from the RFC table, not from a machine.
 */
const RULE_OF_CAUSE = {
  RSV1_NOT_ALLOWED: 'rsv1OnControlFrame',
  RSV2_OR_RSV3_SET: 'rsvWithoutExtension',
  RESERVED_OPCODE: 'reservedOpcode',
  FRAGMENTED_CONTROL_FRAME: 'fragmentedControlFrame',
  CONTROL_FRAME_TOO_LONG: 'controlFrameTooLong',
  UNMASKED_FRAME: 'unmaskedFrame',
  // The client role's side of §5.1 (never sent to the server: in-process paths only).
  MASKED_FRAME: 'unmaskedFrame',
  INVALID_PAYLOAD_LENGTH: 'invalidPayloadLength',
  UNSUPPORTED_PAYLOAD_LENGTH: 'messageTooBig',
  MESSAGE_TOO_BIG: 'messageTooBig',
  INVALID_UTF8: 'invalidUtf8',
  INFLATED_TOO_BIG: 'messageTooBig',
  CORRUPT_COMPRESSED_DATA: 'corruptCompressedData',
  INFLATED_TEXT_NOT_UTF8: 'invalidUtf8',
} as const satisfies Record<FailureCauseType, RfcRuleName>;

const { CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG } = RFC_OPCODES;

/** What the RFC requires of the server's Close frames and Pongs in one step. */
interface StepRequirement {
  /** The Close frame the server must send (`null`: none, `undefined`: no code); absent: no Close. */
  close?: { code: number | undefined | null; rule: RfcRuleName };
  /** The Pongs it must send, in order. */
  pongs?: { data: Buffer[]; rule: RfcRuleName };
  /** The server must close TCP (FIN or drop). */
  closeTcp?: RfcRuleName;
}

/** The message the client is sending (§5.4). */
interface MessageSent {
  text: boolean;
  compressed: boolean;
  utf8: Utf8Prefix;
  /** The inflated pieces of a compressed message (the wire frame's `plain`). */
  plain: Buffer[];
}

export class RfcExpectations {
  private open = false;
  private deflate = false;
  /** The server sent a Close frame. */
  private serverSentClose = false;
  /** The server received a valid Close frame (§5.5.2: no Pong needed after it). */
  private closeReceived = false;
  /** The server had to fail the connection (§7.1.7: it processes nothing more). */
  private failed = false;
  /** The server closed or dropped TCP. */
  private serverEnded = false;
  private message: MessageSent | undefined;

  /** Checks what the server did in one step; returns the RFC rules it broke (empty: none). */
  check(step: WireStep, observed: readonly Observable[]): string[] {
    const reading = this.open && !this.failed && !this.closeReceived && !this.serverEnded;
    const requirement = reading ? this.requirementOf(step) : {};
    const problems = this.judge(step, requirement, observed);
    for (const item of observed) {
      if (item.kind === 'http' && item.status === 101) {
        this.open = true;
        this.deflate = item.deflate;
      }
      if (item.kind === 'close') this.serverSentClose = true;
      if (item.kind === 'fin' || item.kind === 'reset') this.serverEnded = true;
    }
    return problems;
  }

  /** What the RFC says the server must do about the step. */
  private requirementOf(step: WireStep): StepRequirement {
    switch (step.kind) {
      case 'frame': {
        const header = step.part !== 'payload' ? this.headerViolation(step.frame) : undefined;
        if (header !== undefined) return this.failWith(header);
        if (step.part === 'header') return {};
        return this.frameReceived(step.frame);
      }
      case 'violation':
        // A data frame that begins a message inside another breaks §5.4 before its payload is read.
        if (step.opening !== undefined && step.opening.type !== 'CONTINUATION_FRAME' && this.message !== undefined) {
          return this.failWith('messageInsideMessage');
        }
        return this.failWith(RULE_OF_CAUSE[step.cause]);
      case 'request-close':
        // §7.1.2: the application's close starts the closing handshake with its code, once.
        return this.serverSentClose ? {} : { close: { code: step.code, rule: 'closeStartsWithRequestedCode' } };
      default:
        return {};
    }
  }

  /** §5.1, §5.2, §5.4, §5.5, RFC 7692 §6: what the frame's header alone breaks. */
  private headerViolation(frame: WireFrame): RfcRuleName | undefined {
    const opcode = frame.opcode;
    const control = (opcode & 0x8) !== 0;
    const rsv1 = (frame.rsv & 0b100) !== 0;
    if ((frame.rsv & 0b011) !== 0 || (rsv1 && !this.deflate)) return 'rsvWithoutExtension';
    if (!(Object.values(RFC_OPCODES) as number[]).includes(opcode)) return 'reservedOpcode';
    if (control && !frame.fin) return 'fragmentedControlFrame';
    if (control && rsv1) return 'rsv1OnControlFrame';
    if (control && frame.payload.length > 125) return 'controlFrameTooLong';
    if (!frame.masked) return 'unmaskedFrame';
    if (control) return undefined;
    if (opcode === CONTINUATION && this.message === undefined) return 'continuationWithoutMessage';
    if (opcode === CONTINUATION && rsv1) return 'rsv1OnContinuation';
    if (opcode !== CONTINUATION && this.message !== undefined) return 'messageInsideMessage';
    if (opcode !== CONTINUATION) this.message = { text: opcode === TEXT, compressed: rsv1, utf8: new Utf8Prefix(), plain: [] };
    return undefined;
  }

  /** A whole frame has arrived (its header was fine). */
  private frameReceived(frame: WireFrame): StepRequirement {
    if (frame.opcode === PING) {
      // §5.5.2 and §5.5.3: a Pong with the Ping's data (the server has received no Close: `reading`).
      return { pongs: { data: [frame.payload], rule: 'pingIsAnswered' } };
    }
    if (frame.opcode === PONG) return {};
    if (frame.opcode === CLOSE) return this.closeReceivedNow(frame.payload);
    const message = this.message!;
    if (message.compressed) {
      message.plain.push(frame.plain);
      if (!frame.fin) return {};
      this.message = undefined;
      return message.text && !isUtf8(Buffer.concat(message.plain)) ? this.failWith('invalidUtf8') : {};
    }
    if (message.text && (!message.utf8.addAll(frame.payload) || (frame.fin && !message.utf8.complete))) {
      return this.failWith('invalidUtf8');
    }
    if (frame.fin) this.message = undefined;
    return {};
  }

  /** §5.5.1: a Close frame's body, then the answer. */
  private closeReceivedNow(body: Buffer): StepRequirement {
    if (body.length === 1) return this.failWith('closeBodyOfOneByte');
    const code = body.length >= 2 ? body.readUInt16BE(0) : undefined;
    if (code !== undefined && !closeCodeMayBeReceived(code)) return this.failWith('invalidCloseCode');
    if (!isUtf8(body.subarray(2))) return this.failWith('closeReasonNotUtf8');
    this.closeReceived = true;
    // §5.5.1: a Close in response (echoing the code) unless one was sent; §7.1.1: then TCP closes.
    return {
      ...(this.serverSentClose ? {} : { close: { code, rule: 'closeIsAnswered' as const } }),
      closeTcp: 'serverClosesTcpFirst',
    };
  }

  /** §7.1.7: a Close with the violation's code (unless one was sent already), then TCP closes. */
  private failWith(rule: RfcRuleName): StepRequirement {
    this.failed = true;
    const code = (RFC_RULES[rule] as { closeCode?: number }).closeCode!;
    return { ...(this.serverSentClose ? {} : { close: { code, rule } }), closeTcp: 'nothingAfterFailing' };
  }

  /** Compares what the server did with what the RFC requires. */
  private judge(step: WireStep, requirement: StepRequirement, observed: readonly Observable[]): string[] {
    const problems: string[] = [];
    const cite = (rule: RfcRuleName) => `${RFC_RULES[rule].section}: "${RFC_RULES[rule].says}"`;
    const closes = observed.filter((item) => item.kind === 'close');
    const pongs = observed.filter((item) => item.kind === 'pong');

    if (requirement.close !== undefined) {
      const want = requirement.close.code;
      if (closes.length !== 1 || closes[0]!.code !== want) {
        problems.push(`expected a Close ${want ?? '(no code)'}, saw ${closes.length === 0 ? 'none' : closes.map((c) => c.code ?? '(no code)').join(', ')} — ${cite(requirement.close.rule)}`);
      }
    } else if (closes.length > 0 && (this.serverSentClose || step.kind === 'frame')) {
      // A second Close, or a Close the frames sent do not call for.
      const rule = this.serverSentClose ? 'oneCloseFrame' : this.failed || this.closeReceived ? 'nothingAfterFailing' : 'closeIsAnswered';
      problems.push(`a Close ${closes.map((c) => c.code ?? '(no code)').join(', ')} that the RFC does not call for here — ${cite(rule)}`);
    }

    if (requirement.pongs !== undefined) {
      const want = requirement.pongs.data;
      if (pongs.length !== want.length || pongs.some((pong, i) => !pong.data.equals(want[i]!))) {
        problems.push(`expected Pong ${want.map((data) => JSON.stringify(data.toString('latin1'))).join(', ')}, saw ${pongs.length === 0 ? 'none' : pongs.map((p) => JSON.stringify(p.data.toString('latin1'))).join(', ')} — ${cite(requirement.pongs.rule)}; ${cite('pongEchoesPing')}`);
      }
    } else if (pongs.length > 0 && (this.closeReceived || this.failed)) {
      problems.push(`a Pong after ${this.failed ? 'failing the connection' : 'the Close was received'} — ${cite(this.failed ? 'nothingAfterFailing' : 'serverClosesTcpFirst')}`);
    }

    if (requirement.closeTcp !== undefined && !observed.some((item) => item.kind === 'fin' || item.kind === 'reset')) {
      problems.push(`the server did not close TCP — ${cite(requirement.closeTcp)}`);
    }

    // §5.5.1: no data frame once the server sent its Close (earlier, or earlier in this step).
    const firstClose = observed.findIndex((item) => item.kind === 'close');
    const dataAfterClose = observed.some((item, i) => item.kind === 'message' && (this.serverSentClose || (firstClose >= 0 && i > firstClose)));
    if (dataAfterClose) problems.push(`a data frame after the server's Close — ${cite('noDataAfterClose')}`);
    return problems;
  }
}
