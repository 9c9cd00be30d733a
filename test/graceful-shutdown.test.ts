/**
 * Graceful operation (issue 14, point 5): `shutdown()` starts the closing handshake on every open
 * connection, lets those that answer finish it, and drops the rest once its timeout passes.
 */
import { expect } from 'chai';
import { WebSocketServer } from '../src/server.js';
import { clientFrame, closeBody } from './client-frame.js';
import { closeCodeIn, RawTcpClient } from './raw-tcp-client.js';

describe('shutdown(): closing handshakes within the timeout, then the rest dropped', function () {
  this.timeout(10_000);

  it('finishes the handshake with a peer that answers and drops a peer that does not, after timeoutMs', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const { port } = await server.listen();
    const answering = new RawTcpClient(port);
    const silent = new RawTcpClient(port);
    try {
      await answering.upgrade();
      await silent.upgrade();
      const started = Date.now();
      const done = server.shutdown(1001, 'bye', 400);
      await answering.waitFor(() => answering.received.length >= 4);
      expect(closeCodeIn(answering.received)).to.equal(1001);
      answering.socket.write(clientFrame(0x8, closeBody(1001)));
      await answering.waitFor(() => answering.serverEnded);
      expect(Date.now() - started, 'the answering peer closes before the timeout').to.be.below(400);
      await done;
      const elapsed = Date.now() - started;
      expect(elapsed).to.be.within(350, 3000);
      await silent.waitFor(() => silent.isClosed || silent.serverEnded);
      expect(server.connections.size).to.equal(0);
    } finally {
      answering.socket.destroy();
      silent.socket.destroy();
    }
  });
});
