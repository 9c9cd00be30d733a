/**
 * The harness's answers to a client's permessage-deflate offer, per case group (RFC 7692 §7.1):
 * what it asks of the client, and that it never asks for client_max_window_bits the offer did
 * not allow (§7.1.2.2).
 */
import { expect } from 'chai';
import { answerDeflateOffer, asHarnessStreams } from './client-conformance/deflate-answers.js';

const WS_DEFAULT_OFFER = 'permessage-deflate; client_max_window_bits';

describe('the fuzzingserver-direction answers to permessage-deflate offers', () => {
  it('declines every offer in sections 1–10', () => {
    expect(answerDeflateOffer('1.1.1', WS_DEFAULT_OFFER)).to.equal(undefined);
    expect(answerDeflateOffer('9.1.1', WS_DEFAULT_OFFER)).to.equal(undefined);
  });

  it('accepts the offer as it is in section 12 and 13.1, repeating what the client asked of the server', () => {
    expect(answerDeflateOffer('12.3.4', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate');
    expect(answerDeflateOffer('13.1.1', 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10')?.header).to.equal(
      'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
    );
  });

  it('asks for client_no_context_takeover in 13.2 and 13.5–13.7, and client_max_window_bits 9 or 15 in 13.3–13.7', () => {
    expect(answerDeflateOffer('13.2.1', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate; client_no_context_takeover');
    expect(answerDeflateOffer('13.3.1', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate; client_max_window_bits=9');
    expect(answerDeflateOffer('13.4.1', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate; client_max_window_bits=15');
    expect(answerDeflateOffer('13.5.1', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate; client_no_context_takeover; client_max_window_bits=9');
    expect(answerDeflateOffer('13.6.1', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate; client_no_context_takeover; client_max_window_bits=15');
    expect(answerDeflateOffer('13.7.1', WS_DEFAULT_OFFER)?.header).to.equal('permessage-deflate; client_no_context_takeover; client_max_window_bits=9');
  });

  it('does not ask for client_max_window_bits when the offer lacks it (§7.1.2.2): 13.3 declines, 13.7 falls back', () => {
    expect(answerDeflateOffer('13.3.1', 'permessage-deflate')).to.equal(undefined);
    expect(answerDeflateOffer('13.7.1', 'permessage-deflate')?.header).to.equal('permessage-deflate; client_no_context_takeover');
    expect(answerDeflateOffer('13.4.1', 'permessage-deflate; client_max_window_bits=10')).to.equal(undefined);
  });

  it('holds each side to its parameters: the harness compresses with the server ones, inflates with the client ones', () => {
    const answer = answerDeflateOffer('13.5.1', 'permessage-deflate; server_max_window_bits=11; client_max_window_bits')!;
    expect(answer.agreed).to.deep.include({ serverMaxWindowBits: 11, clientMaxWindowBits: 9, clientNoContextTakeover: true, serverNoContextTakeover: false });
    expect(asHarnessStreams(answer.agreed)).to.deep.include({ clientMaxWindowBits: 11, serverMaxWindowBits: 9, serverNoContextTakeover: true, clientNoContextTakeover: false });
  });
});
