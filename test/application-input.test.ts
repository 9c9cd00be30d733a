/**
 * Application input cannot wedge a connection (issue 14, point 5): every call checks its
 * arguments before any state changes; a listener that throws leaves the connection handled to
 * the end and uncorked; a peer that floods Pings while reading none of the Pongs is failed (1008).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { WebSocketServer } from '../src/server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { CloseCode } from '../src/close-code.js';
import { clientFrame, HANDSHAKE_REQUEST } from './client-frame.js';
import { RawTcpClient, serverFrames } from './raw-tcp-client.js';

class WireOutput extends DiscardingOutput {
  readonly wire: string[] = [];
  override write(bytes: Uint8Array) { this.wire.push(Buffer.from(bytes).toString('hex')); }
}

function openCore() {
  const output = new WireOutput();
  const core = new ConnectionProtocol(output, { maxMessageSize: 1024 });
  core.receiveHandshake(HANDSHAKE_REQUEST);
  output.wire.length = 0;
  return { output, core };
}

describe('Application input cannot wedge a connection', () => {
  const badCloses: [string, () => unknown[], typeof TypeError | typeof RangeError][] = [
    ["close('1000') (a string)", () => ['1000'], TypeError],
    ['close(1000.5)', () => [1000.5], TypeError],
    ['close(NaN)', () => [NaN], TypeError],
    ['close(1005) (local only, §7.4.1)', () => [1005], RangeError],
    ['close(1004) (reserved, §7.4.1)', () => [1004], RangeError],
    ['close(1000, a 124-byte reason) (§5.5: 125 bytes of body)', () => [1000, 'x'.repeat(124)], RangeError],
    ['close(1000, 42) (a reason that is neither text nor bytes)', () => [1000, 42], TypeError],
  ];
  for (const [what, args, errorType] of badCloses) {
    it(`throws for ${what}, sends nothing and leaves the connection open`, () => {
      const { output, core } = openCore();
      expect(() => (core.close as (...a: unknown[]) => void)(...args())).to.throw(errorType);
      expect(output.wire).to.deep.equal([]);
      expect(core.machineStates).to.deep.equal({ connection: 'open', message: 'awaitingMessage', closingHandshake: 'open' });
      // A valid close() still works: the Close is sent.
      core.close(1000);
      expect(output.wire).to.deep.equal(['880203e8']);
    });
  }

  it('throws a TypeError for send(), ping() or pong() with data that is not bytes, sending nothing', () => {
    const { output, core } = openCore();
    expect(() => core.send(42 as unknown as Uint8Array, true)).to.throw(TypeError);
    expect(() => core.ping('x' as unknown as Uint8Array)).to.throw(TypeError);
    expect(() => core.pong({} as unknown as Uint8Array)).to.throw(TypeError);
    expect(output.wire).to.deep.equal([]);
    expect(core.readyState).to.equal('open');
  });

  describe('over TCP', () => {
    let server: WebSocketServer | undefined;
    const saved: NodeJS.UncaughtExceptionListener[] = [];
    afterEach(async () => {
      for (const listener of saved.splice(0)) process.on('uncaughtException', listener);
      await server?.close();
      server = undefined;
    });

    async function listen(onConnection: (connection: WebSocketConnection) => void): Promise<number> {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      server.on('connection', onConnection);
      return (await server.listen()).port;
    }

    it('handles the rest of the input, uncorked, when a message listener throws, and rethrows the error after', async () => {
      const thrown: unknown[] = [];
      saved.push(...process.listeners('uncaughtException'));
      process.removeAllListeners('uncaughtException');
      process.on('uncaughtException', (error) => thrown.push(error));
      const port = await listen((connection) => {
        connection.on('message', (data) => {
          connection.send(data as Buffer);
          if (data.toString() === 'boom') throw new Error('listener failed');
        });
      });
      const client = new RawTcpClient(port);
      await client.upgrade();
      // Both messages in one TCP write: the second is handled although the first one's listener threw.
      client.socket.write(Buffer.concat([clientFrame(0x1, 'boom'), clientFrame(0x1, 'after')]));
      await client.waitFor(() => serverFrames(client.received).length === 2);
      client.socket.write(clientFrame(0x1, 'later'));
      await client.waitFor(() => serverFrames(client.received).length === 3);
      expect(serverFrames(client.received).map(([, payload]) => payload.toString())).to.deep.equal(['boom', 'after', 'later']);
      expect(thrown.map((error) => (error as Error).message)).to.deep.equal(['listener failed']);
      client.socket.destroy();
    });

    it('fails with 1008 a peer that floods Pings and reads none of the Pongs', async function () {
      this.timeout(20000);
      let failure: ProtocolError | undefined;
      let connection: WebSocketConnection | undefined;
      const port = await listen((opened) => {
        connection = opened;
        opened.on('error', (error: ProtocolError) => (failure = error));
      });
      const client = new RawTcpClient(port);
      await client.upgrade();
      client.socket.pause();
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => clientFrame(0x9, Buffer.alloc(125, 0x70))));
      for (let sent = 0; failure === undefined && sent < 400; sent++) {
        if (!client.socket.write(batch)) await Promise.race([once(client.socket, 'drain'), new Promise((resolve) => setTimeout(resolve, 200))]);
      }
      await client.waitFor(() => failure !== undefined, 5000);
      expect(failure!.code).to.equal('WS_ERR_PONGS_UNREAD');
      expect(failure!.closeCode).to.equal(CloseCode.policyViolation);
      expect(connection!.machineStates.closingHandshake).to.equal('failed');
      client.socket.destroy();
    });
  });
});
