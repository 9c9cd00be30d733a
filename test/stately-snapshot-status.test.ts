/**
 * The snapshots the Stately forwarder reports, without a socket: a machine that reached a final
 * state is reported `done`, as an XState actor reports it. The message machine's `failed` is final
 * (RFC 6455 §7.1.7: once the connection is failed, no further frame is read); the connection
 * machine's `closing` is not (TCP still has to close).
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { ConnectionRecord } from '../src/inspector/connection-record.js';
import { StatelyForwarder, type StatelyInspector } from '../src/inspector/stately-forwarder.js';
import { clientFrame, HANDSHAKE_REQUEST } from './client-frame.js';

describe('the Stately forwarder: snapshot status', () => {
  it('reports the message machine done once a continuation frame with no message failed the connection (§5.4, §7.1.7)', () => {
    const snapshots: [string, unknown][] = [];
    const inspector = {
      actor: () => {},
      event: () => {},
      snapshot: (sessionId: string, snapshot: unknown) => void snapshots.push([sessionId, snapshot]),
    } as unknown as StatelyInspector;
    const forwarder = new StatelyForwarder({ inspector });
    const record = new ConnectionRecord(7, '/', '127.0.0.1', 0, 16);
    forwarder.track(record);
    const protocol = new ConnectionProtocol(new DiscardingOutput(), {
      maxMessageSize: 1024,
      onTransition: (transition, event) => forwarder.transition(record, transition, event),
    });
    protocol.receiveHandshake(HANDSHAKE_REQUEST);
    snapshots.length = 0;
    // §5.4: a continuation frame with no message in progress.
    protocol.receiveData(clientFrame(0x0, 'x'));
    expect(snapshots).to.deep.equal([
      ['ws7.message', { status: 'done', value: 'failed' }],
      ['ws7.connection', { status: 'active', value: 'closing' }],
      ['ws7.closingHandshake', { status: 'active', value: 'failed' }],
    ]);
  });
});
