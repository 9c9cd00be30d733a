/**
 * The client role without a socket: the frame parser reading a server's frames (§5.1: never
 * masked), the masked frames a client writes (§5.3), the permessage-deflate offer and the reading
 * of its answer (RFC 7692 §7.1), and the sans-I/O core taking the client role.
 */
import { expect } from 'chai';
import { FrameParser, type FrameHeader, type FrameParserHandler } from '../src/frame-parser.js';
import { encodeMaskedFrame } from '../src/frame-encoder.js';
import { maskInto, unmaskWithTypeScript } from '../src/masking.js';
import { randomBytes } from 'node:crypto';
import { perMessageDeflateOffer, readExtensionAnswer } from '../src/client-deflate-offer.js';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { expectedAccept } from '../src/client-handshake.js';
import type { FrameViolationType } from '../machines/protocol-events.js';
import { readClientFrame, readClientFrames, serverFrame } from './raw-server.js';

class Recorder implements FrameParserHandler {
  readonly log: string[] = [];
  onFrameHeader({ opcode, fin, payloadLength }: FrameHeader): void {
    this.log.push(`header ${opcode} ${fin ? 'fin' : 'more'} ${payloadLength}`);
  }
  onFramePayload(chunk: Buffer): void {
    this.log.push(`payload ${chunk.toString()}`);
  }
  onFrameEnd(): void {
    this.log.push('end');
  }
  onFrameViolation(cause: FrameViolationType): void {
    this.log.push(`violation ${cause}`);
  }
}

/** The parser as a client runs it, fed `bytes` in chunks of `size`; payload pieces merged. */
function parseAsClient(bytes: Buffer, size: number): string[] {
  const recorder = new Recorder();
  const parser = new FrameParser(recorder);
  parser.expectMasked = false;
  for (let at = 0; at < bytes.length; at += size) parser.push(Buffer.from(bytes.subarray(at, at + size)));
  const merged: string[] = [];
  for (const line of recorder.log) {
    const last = merged[merged.length - 1];
    if (line.startsWith('payload ') && last?.startsWith('payload ')) merged[merged.length - 1] = last + line.slice(8);
    else merged.push(line);
  }
  return merged;
}

describe('the client role without a socket', () => {
  describe("the frame parser reading a server's frames (RFC 6455 §5.1)", () => {
    const frames = Buffer.concat([serverFrame(0x1, 'hello'), serverFrame(0x9, ''), serverFrame(0x2, 'x'.repeat(200), { fin: false }), serverFrame(0x0, 'y')]);
    for (const size of [1, 2, 3, 7, frames.length]) {
      it(`reads unmasked frames in ${size}-byte chunks, an empty one included`, () => {
        expect(parseAsClient(frames, size)).to.deep.equal([
          'header 1 fin 5', 'payload hello', 'end',
          'header 9 fin 0', 'end',
          'header 2 more 200', `payload ${'x'.repeat(200)}`, 'end',
          'header 0 fin 1', 'payload y', 'end',
        ]);
      });
    }

    it('reports MASKED_FRAME for a masked frame ("A client MUST close a connection if it detects a masked frame")', () => {
      expect(parseAsClient(serverFrame(0x1, 'hi', { mask: Buffer.from([1, 2, 3, 4]) }), 1)).to.deep.equal(['violation MASKED_FRAME']);
    });

    it('still reports UNMASKED_FRAME to a server', () => {
      const recorder = new Recorder();
      new FrameParser(recorder).push(serverFrame(0x1, 'hi'));
      expect(recorder.log).to.deep.equal(['violation UNMASKED_FRAME']);
    });
  });

  describe('masked frames (RFC 6455 §5.3)', () => {
    for (const length of [0, 1, 125, 126, 65535, 65536, 200_000]) {
      it(`encodes a ${length}-byte payload masked, the MASK bit set and the minimal length`, () => {
        const payload = Buffer.alloc(length, 0x5a);
        const frame = encodeMaskedFrame(0x2, payload, true, false);
        const read = readClientFrame(frame)!;
        expect(read).to.include({ fin: true, rsv1: false, opcode: 0x2, masked: true, size: frame.length });
        expect(read.payload.equals(payload)).to.equal(true);
        expect(frame.length).to.equal((length < 126 ? 2 : length < 65536 ? 4 : 10) + 4 + length);
        expect(payload.every((byte) => byte === 0x5a), "the caller's bytes are not changed").to.equal(true);
      });
    }

    // Every tail length of the one-pass loop for short payloads (0–3 bytes after the groups of 4), and the longer paths.
    for (const length of [0, 1, 2, 3, 4, 32, 127, 128, 16 * 1024, 16 * 1024 + 1, 50_001]) {
      it(`masks ${length} bytes into a target at an odd offset as the byte-wise XOR does, leaving the source unchanged`, () => {
        const source = randomBytes(length);
        const original = Buffer.from(source);
        const key = randomBytes(4);
        const target = Buffer.alloc(length + 7, 0xee);
        maskInto(source, target, 3, key);
        const expected = Buffer.from(source);
        unmaskWithTypeScript(expected, key, 0);
        expect(target.subarray(3, 3 + length).equals(expected)).to.equal(true);
        expect(target.subarray(0, 3).equals(Buffer.alloc(3, 0xee)) && target.subarray(3 + length).equals(Buffer.alloc(4, 0xee))).to.equal(true);
        expect(source.equals(original)).to.equal(true);
      });
    }

    it('takes a fresh key for every frame, across refills of the key pool (1,024 keys each)', () => {
      const keys = new Set<string>();
      for (let i = 0; i < 3000; i++) keys.add(readClientFrame(encodeMaskedFrame(0x1, Buffer.from('k')))!.maskKey.toString('hex'));
      // 3,000 random 32-bit keys all differ with probability > 0.999.
      expect(keys.size).to.equal(3000);
    });
  });

  describe('the permessage-deflate offer (RFC 7692 §7.1)', () => {
    it('offers every parameter as asked, client_max_window_bits without a value by default', () => {
      expect(perMessageDeflateOffer({})).to.equal('permessage-deflate; client_max_window_bits');
      expect(perMessageDeflateOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 })).to.equal(
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
      );
      expect(perMessageDeflateOffer({ clientMaxWindowBits: false })).to.equal('permessage-deflate');
    });

    it('throws RangeError for window bits outside 8–15', () => {
      expect(() => perMessageDeflateOffer({ serverMaxWindowBits: 7 })).to.throw(RangeError);
      expect(() => perMessageDeflateOffer({ clientMaxWindowBits: 16 })).to.throw(RangeError);
    });

    const answers: [string, string | undefined, Parameters<typeof readExtensionAnswer>[1], string][] = [
      ['no header', undefined, {}, 'none'],
      ['the offer accepted as is', 'permessage-deflate', {}, 'agreed'],
      ['server_no_context_takeover not asked for (§7.1.1.1: the server MAY)', 'permessage-deflate; server_no_context_takeover', {}, 'agreed'],
      ['client_max_window_bits=9 answering the parameter without a value', 'permessage-deflate; client_max_window_bits=9', {}, 'agreed'],
      ['client_max_window_bits above the value offered', 'permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }, 'invalidParameters'],
      ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits', {}, 'invalidParameters'],
      ['server_max_window_bits above the value offered', 'permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }, 'invalidParameters'],
      ['server_max_window_bits=08 (leading zero)', 'permessage-deflate; server_max_window_bits=08', {}, 'invalidParameters'],
      ['server_no_context_takeover with a value', 'permessage-deflate; server_no_context_takeover=1', {}, 'invalidParameters'],
      ['two permessage-deflate answers', 'permessage-deflate, permessage-deflate', {}, 'notOffered'],
      ['a header that breaks the grammar', 'permessage-deflate; =', {}, 'invalidParameters'],
      ['permessage-deflate when none was offered', 'permessage-deflate', undefined, 'notOffered'],
    ];
    for (const [what, header, offer, verdict] of answers) {
      it(`reads ${what} as ${verdict}`, () => {
        expect(readExtensionAnswer(header, offer).verdict).to.equal(verdict);
      });
    }

    it('reads the parameters agreed from the client\'s view', () => {
      expect(readExtensionAnswer('permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11', {}).agreed).to.deep.equal({
        serverNoContextTakeover: true,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
      });
    });
  });

  describe('the sans-I/O core in the client role', () => {
    class Written extends DiscardingOutput {
      readonly bytes: Buffer[] = [];
      openings = 0;
      override write(bytes: Uint8Array): void {
        this.bytes.push(Buffer.from(bytes));
      }
      override opened(): void {
        this.openings++;
      }
    }
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const response = { status: 101, headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': expectedAccept(key) }, expectedAccept: expectedAccept(key), offeredSubprotocols: [] };

    it('takes the client role from CLIENT_HANDSHAKE_SENT, opens on a valid response and masks what it sends', () => {
      const output = new Written();
      const core = new ConnectionProtocol(output, { maxMessageSize: 1024 });
      core.clientHandshakeSent();
      expect(core.machineStates).to.deep.equal({ connection: 'requestSent', message: 'awaitingMessage', closingHandshake: 'client.connecting' });
      expect(core.readyState).to.equal('connecting');
      core.receiveHandshakeResponse(response, undefined);
      expect(core.readyState).to.equal('open');
      expect(output.openings).to.equal(1);
      core.send(Buffer.from('hi'), false);
      core.ping(Buffer.from('p'));
      core.close(1000, 'bye');
      const frames = readClientFrames(Buffer.concat(output.bytes));
      expect(frames.map((frame) => [frame.opcode, frame.masked])).to.deep.equal([[0x1, true], [0x9, true], [0x8, true]]);
      expect(frames[2]!.payload.toString('hex')).to.equal('03e8627965');
      expect(core.machineStates.closingHandshake).to.equal('client.closeSent');
    });

    it('fails with 1002 on a masked frame from the server, sends its Close masked and leaves TCP to the server (§7.1.1)', () => {
      const output = new Written();
      let closedTcp = 0;
      output.closeTcp = () => void closedTcp++;
      const core = new ConnectionProtocol(output, { maxMessageSize: 1024 });
      core.clientHandshakeSent();
      core.receiveHandshakeResponse(response, undefined);
      core.receiveData(serverFrame(0x1, 'x', { mask: Buffer.from([9, 9, 9, 9]) }));
      expect(core.failure?.code).to.equal('WS_ERR_UNEXPECTED_MASK');
      const [close] = readClientFrames(Buffer.concat(output.bytes));
      expect([close!.opcode, close!.masked, close!.payload.readUInt16BE(0)]).to.deep.equal([0x8, true, 1002]);
      expect(closedTcp).to.equal(0);
      expect(core.machineStates.closingHandshake).to.equal('client.failed');
    });
  });
});
