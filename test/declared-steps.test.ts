/**
 * src/model-based/declared-steps.ts: a declared step names its guard branch exactly where its
 * state has several on that event that end in the same target, and the server's records name the
 * branch the event really took.
 */
import { expect } from 'chai';
import type { CloseFrameEvent } from '../machines/protocol-events.js';
import { branchOfStep, guardToName, parseStep, writeStep } from '../src/model-based/declared-steps.js';
import { OPEN_PLAIN, OPEN_WITH_DEFLATE } from '../src/model-based/event-samples.js';
import { describeBranch } from '../src/model-based/transition-branches.js';

function closeFrame(payloadLength: number, code: number, reasonIsUtf8 = true): CloseFrameEvent {
  return { type: 'CLOSE_FRAME', payloadLength, code, reasonIsUtf8 };
}

describe('declared steps', () => {
  it('reads and writes EVENT->target and EVENT[guard]->target', () => {
    expect(parseStep('FRAME_END->awaitingMessage')).to.deep.equal({ eventType: 'FRAME_END', guard: undefined, target: 'awaitingMessage' });
    expect(parseStep('CLOSE_FRAME[!isValidCloseCode]->failed')).to.deep.equal({ eventType: 'CLOSE_FRAME', guard: '!isValidCloseCode', target: 'failed' });
    expect(parseStep('CLOSE_FRAME->')).to.equal(undefined);
    expect(writeStep('CLOSE_FRAME', 'else', 'closeHandshakeComplete')).to.equal('CLOSE_FRAME[else]->closeHandshakeComplete');
    expect(writeStep('TCP_CLOSED', undefined, 'closed')).to.equal('TCP_CLOSED->closed');
  });

  it("names the guard of the client's Close by its body (RFC 6455 §5.5.1, §7.4)", () => {
    const named = (event: CloseFrameEvent, target: string) => guardToName('closingHandshake', 'open', event, target);
    expect(named(closeFrame(0, 0), 'closeHandshakeComplete')).to.equal('hasNoCloseBody');
    expect(named(closeFrame(2, 1000), 'closeHandshakeComplete')).to.equal('else');
    expect(named(closeFrame(1, 0), 'failed')).to.equal('hasOneByteCloseBody');
    expect(named(closeFrame(2, 1005), 'failed')).to.equal('!isValidCloseCode');
    expect(named(closeFrame(6, 1000, false), 'failed')).to.equal('!isUtf8CloseReason');
  });

  it('names the guard of an accepted handshake, with and without permessage-deflate', () => {
    expect(guardToName('connection', 'connecting', OPEN_WITH_DEFLATE, 'open')).to.equal('isPerMessageDeflateAgreed');
    expect(guardToName('connection', 'connecting', OPEN_PLAIN, 'open')).to.equal('else');
  });

  it('names no guard where one branch has the event and target', () => {
    expect(guardToName('connection', 'open', closeFrame(2, 1000), 'closing')).to.equal(undefined);
    expect(guardToName('closingHandshake', 'open', { type: 'CONNECTION_FAILED' }, 'failed')).to.equal(undefined);
  });

  it('takes a declared step to exactly one branch, or says why it cannot', () => {
    const branch = branchOfStep('closingHandshake', 'open', 'CLOSE_FRAME[hasOneByteCloseBody]->failed');
    expect(typeof branch === 'string' ? branch : describeBranch(branch)).to.equal('open --CLOSE_FRAME [hasOneByteCloseBody]--> failed');
    expect(branchOfStep('closingHandshake', 'open', 'CLOSE_FRAME->failed')).to.match(/must name one of its branches/);
    expect(branchOfStep('connection', 'open', 'CLOSE_FRAME[else]->closing')).to.match(/names a guard/);
    expect(branchOfStep('connection', 'open', 'PING_FRAME->open')).to.match(/has no transition/);
  });
});
