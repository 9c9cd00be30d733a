/**
 * A bound on what the application queues for a peer that does not read (issue 14, point 3):
 * past `maxBufferedAmount`, BUFFERED_AMOUNT_EXCEEDED fails the connection with 1008 and drops TCP.
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { CloseCode } from '../src/close-code.js';
import { WebSocketServer } from '../src/server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import { HANDSHAKE_REQUEST } from './client-frame.js';
import { RawTcpClient } from './raw-tcp-client.js';

class FailureOutput extends DiscardingOutput {
  readonly asked: string[] = [];
  override closeTcp() { this.asked.push('closeTcp'); }
  override destroyTcp() { this.asked.push('destroyTcp'); }
  override protocolError(error: ProtocolError) { this.asked.push(`error ${error.code} ${error.closeCode}`); }
}

describe('maxBufferedAmount: what the application queues for a peer that does not read', () => {
  it('fails an open connection with 1008 on BUFFERED_AMOUNT_EXCEEDED and drops TCP at once', () => {
    const output = new FailureOutput();
    const core = new ConnectionProtocol(output, { maxMessageSize: 1024 });
    core.receiveHandshake(HANDSHAKE_REQUEST);
    core.bufferedAmountExceeded();
    expect(output.asked).to.deep.equal([`error WS_ERR_BUFFERED_AMOUNT_EXCEEDED ${CloseCode.policyViolation}`, 'destroyTcp']);
    expect(core.machineStates.closingHandshake).to.equal('failed');
  });

  describe('over TCP', function () {
    this.timeout(20_000);
    let server: WebSocketServer;
    let client: RawTcpClient;

    async function connectNonReader(maxBufferedAmount: number | undefined): Promise<WebSocketConnection> {
      server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...(maxBufferedAmount === undefined ? {} : { maxBufferedAmount }) });
      const { port } = await server.listen();
      const opened = new Promise<WebSocketConnection>((resolve) => server.once('connection', resolve));
      client = new RawTcpClient(port);
      await client.upgrade();
      // The client reads nothing more: the server's sends pile up in the kernel, then in the socket.
      client.socket.pause();
      return opened;
    }

    afterEach(async () => {
      client.socket.destroy();
      await server.shutdown(1001, '', 500);
    });

    it('fails with 1008 once the sends pass the bound, and drops TCP', async () => {
      const connection = await connectNonReader(1024 * 1024);
      const errors: ProtocolError[] = [];
      connection.on('error', (error) => errors.push(error));
      const closed = new Promise<number>((resolve) => connection.once('close', (code) => resolve(code)));
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      // Bounded: 64 MiB at most; the kernel buffers some MiB first, then bufferedAmount grows.
      while (connection.readyState === connection.OPEN && sent < 1024) {
        connection.send(chunk);
        sent++;
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(errors.map((error) => [error.code, error.closeCode])).to.deep.equal([['WS_ERR_BUFFERED_AMOUNT_EXCEEDED', CloseCode.policyViolation]]);
      // TCP dropped at once: no closing handshake with a peer that does not read.
      expect(await closed).to.equal(CloseCode.abnormalClosure);
      expect(sent).to.be.below(1024);
    });

    it('lets the same sends through to a peer that does not read when the bound is Infinity (ws\'s behaviour)', async () => {
      const connection = await connectNonReader(Infinity);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i < 256; i++) connection.send(chunk);
      await new Promise((resolve) => setImmediate(resolve));
      expect(connection.readyState).to.equal(connection.OPEN);
      expect(connection.bufferedAmount, 'bufferedAmount shows what waits').to.be.above(1024 * 1024);
    });
  });
});
