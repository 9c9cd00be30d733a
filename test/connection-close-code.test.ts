/**
 * RFC 6455 §7.1.5, _The WebSocket Connection Close Code_ the application is told: the code of
 * the valid Close received; 1005 for a Close without a code; 1006 when the connection was failed
 * (by a protocol error on either side, an invalid Close from the peer included) or dropped
 * without a valid Close. Never a number taken from an invalid frame.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import { once } from 'node:events';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import { startEchoServer } from '../src/echo-server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import { CloseCode, LOCAL_ONLY_CLOSE_CODES } from '../src/close-code.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST as REQUEST } from './client-frame.js';


class Output extends DiscardingOutput {
  closedWith: [number, string] | undefined;
  override closed(code: number, reason: string) { this.closedWith = [code, reason]; }
}

/** The close code and reason the application is told after `act`, then TCP closing. */
function closeCodeAfter(act: (core: ConnectionProtocol) => void): [number, string] | undefined {
  const out = new Output();
  const core = new ConnectionProtocol(out, { maxMessageSize: 1 << 20 });
  core.receiveHandshake(REQUEST);
  act(core);
  core.receiveTcpClosed();
  return out.closedWith;
}

describe('the close code the application sees (RFC 6455 §7.1.5)', () => {
  describe('over the sans-I/O core', () => {
    for (const code of [1000, 1001, 1003, 1011, 1014, 3000, 4000, 4999]) {
      it(`reports ${code} for a valid Close with ${code}, with its reason`, () => {
        expect(closeCodeAfter((core) => core.receiveData(clientFrame(0x8, closeBody(code, 'why'))))).to.deep.equal([code, 'why']);
      });
    }

    it('reports 1005 for a Close without a code', () => {
      expect(closeCodeAfter((core) => core.receiveData(clientFrame(0x8)))).to.deep.equal([CloseCode.noStatusReceived, '']);
    });

    // §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control frame".
    it('names 1005, 1006 and 1015, and only them, as local-only codes, none of which close() may send (§7.4.1)', () => {
      expect(LOCAL_ONLY_CLOSE_CODES).to.deep.equal([1005, 1006, 1015]);
      for (const code of LOCAL_ONLY_CLOSE_CODES) {
        const core = new ConnectionProtocol(new Output(), { maxMessageSize: 1 << 20 });
        core.receiveHandshake(REQUEST);
        expect(() => core.close(code), String(code)).to.throw(RangeError);
        expect(core.readyState, String(code)).to.equal('open');
      }
    });

    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
      it(`reports 1006, not ${code}, for a Close with the invalid code ${code}`, () => {
        expect(closeCodeAfter((core) => core.receiveData(clientFrame(0x8, closeBody(code, 'no'))))).to.deep.equal([1006, '']);
      });
    }

    it('reports 1006 for a Close with a 1-byte body or a reason that is not UTF-8', () => {
      expect(closeCodeAfter((core) => core.receiveData(clientFrame(0x8, Buffer.from([3]))))).to.deep.equal([1006, '']);
      expect(closeCodeAfter((core) => core.receiveData(clientFrame(0x8, closeBody(1000, Buffer.from([0xff])))))).to.deep.equal([1006, '']);
    });

    it('reports 1006 when the server failed the connection, even if a valid Close follows', () => {
      expect(
        closeCodeAfter((core) => core.receiveData(Buffer.concat([clientFrame(0x1, Buffer.from([0xff])), clientFrame(0x8, closeBody(1000))]))),
      ).to.deep.equal([1006, '']);
    });

    it('reports 1006 when TCP ends or drops without a Close', () => {
      expect(closeCodeAfter((core) => core.receiveTcpEnd())).to.deep.equal([1006, '']);
      expect(closeCodeAfter(() => {})).to.deep.equal([1006, '']);
    });

    it("reports the peer's code when the server closed first and the peer answered, 1006 when it never did", () => {
      expect(
        closeCodeAfter((core) => {
          core.close(1001);
          core.receiveData(clientFrame(0x8, closeBody(1001)));
        }),
      ).to.deep.equal([1001, '']);
      expect(
        closeCodeAfter((core) => {
          core.close(1001);
          core.closeTimeout();
        }),
      ).to.deep.equal([1006, '']);
    });
  });

  describe('over TCP', () => {
    /** Opens a raw connection, writes `frames`, and resolves with the code and reason of the server's `close` event. */
    async function closeEventAfter(frames: Buffer): Promise<[number, string]> {
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0, closeTimeoutMs: 500 });
      try {
        const closed = new Promise<[number, string]>((resolve) => {
          echo.server.on('connection', (connection: WebSocketConnection) =>
            connection.on('close', (code, reason) => resolve([code, reason.toString()])),
          );
        });
        const socket = connect({ port: echo.port, host: '127.0.0.1' });
        socket.on('error', () => {});
        socket.on('data', () => {});
        await once(socket, 'connect');
        socket.write(
          'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
        socket.write(frames);
        socket.end();
        return await closed;
      } finally {
        await echo.close();
      }
    }

    it('reports 4000 and the reason for a valid Close 4000', async () => {
      expect(await closeEventAfter(clientFrame(0x8, closeBody(4000, 'done')))).to.deep.equal([4000, 'done']);
    });

    it('reports 1005 for a Close without a code', async () => {
      expect(await closeEventAfter(clientFrame(0x8))).to.deep.equal([1005, '']);
    });

    it('reports 1006, not the number in the frame, for a Close with the invalid code 1005', async () => {
      expect(await closeEventAfter(clientFrame(0x8, closeBody(1005, 'lie')))).to.deep.equal([1006, '']);
    });

    it('reports 1006 when the server fails the connection for invalid UTF-8', async () => {
      expect(await closeEventAfter(clientFrame(0x1, Buffer.from([0xc3, 0x28])))).to.deep.equal([1006, '']);
    });
  });
});
