/**
 * The client's declared path in the fuzzingserver direction is the server's declared path with
 * the client role's steps (test/client-conformance/client-declared-path.ts): the opening
 * handshake sent and its answer checked, the `client.*` states, and the wait for the server's
 * TCP close (RFC 6455 §7.1.1).
 */
import { expect } from 'chai';
import { clientPathOf } from './client-conformance/client-declared-path.js';
import { clientClosePath, serverFailPath, textMessagePath, HANDSHAKE_ACCEPTED_WITH_DEFLATE } from './conformance/expected-path.js';
import { comparePaths } from './conformance/grade.js';

describe('the client paths declared for the fuzzingserver direction', () => {
  it('a Close from the server, answered: the client waits in client.awaitingServerClose for the server\'s FIN', () => {
    expect(clientPathOf(clientClosePath({ message: textMessagePath() }))).to.deep.equal({
      connection: 'CLIENT_HANDSHAKE_SENT->requestSent HANDSHAKE_RESPONSE[else]->open SEND_REQUESTED->open CLOSE_FRAME->closing TCP_CLOSED->closed',
      message: 'TEXT_FRAME->text.finalFrame FRAME_END->awaitingMessage CONTROL_FRAME->awaitingMessage',
      closingHandshake:
        'CLIENT_HANDSHAKE_SENT->client.connecting CONNECTION_OPENED->client.open CLOSE_FRAME[else]->client.awaitingServerClose ' +
        'TCP_END->client.awaitingServerClose TCP_CLOSED->client.closed',
    });
  });

  it('a failure: the client waits in client.failed for the server\'s FIN', () => {
    const path = clientPathOf(serverFailPath('RESERVED_OPCODE'));
    expect(path.connection).to.equal('CLIENT_HANDSHAKE_SENT->requestSent HANDSHAKE_RESPONSE[else]->open RESERVED_OPCODE->closing TCP_CLOSED->closed');
    expect(path.closingHandshake).to.equal(
      'CLIENT_HANDSHAKE_SENT->client.connecting CONNECTION_OPENED->client.open CONNECTION_FAILED->client.failed TCP_END->client.failed TCP_CLOSED->client.closed',
    );
  });

  it('permessage-deflate agreed: the answer is accepted on the isPerMessageDeflateAccepted branch', () => {
    expect(clientPathOf(clientClosePath({ handshake: HANDSHAKE_ACCEPTED_WITH_DEFLATE })).connection).to.match(
      /^CLIENT_HANDSHAKE_SENT->requestSent HANDSHAKE_RESPONSE\[isPerMessageDeflateAccepted\]->open /,
    );
  });

  it('a path that differs is reported, machine by machine', () => {
    const declared = clientPathOf(clientClosePath());
    const actual = { ...declared, closingHandshake: declared.closingHandshake.replace('TCP_END->client.awaitingServerClose ', '') };
    expect(comparePaths(declared, actual)).to.have.length(1);
    expect(comparePaths(declared, actual)[0]).to.match(/^closingHandshake path/);
  });
});
