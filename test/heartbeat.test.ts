/**
 * Timeouts as machine events: the heartbeat (HEARTBEAT_DUE → Ping, PONG_TIMEOUT → Close 1011 and
 * TCP dropped), its one shared timer (src/heartbeat-sweep.ts), and the opening handshake's
 * timeout (src/handshake-timeout.ts: Node's HTTP layer answers 408).
 */
import { expect } from 'chai';
import { ConnectionProtocol, DiscardingOutput } from '../src/connection-protocol.js';
import type { ProtocolError } from '../src/protocol-error.js';
import { HeartbeatMark, HeartbeatSweep, type HeartbeatTarget } from '../src/heartbeat-sweep.js';
import { startEchoServer, type EchoServer } from '../src/echo-server.js';
import { CloseCode } from '../src/close-code.js';
import { clientFrame, closeBody, HANDSHAKE_REQUEST } from './client-frame.js';
import { closeCodeIn, RawTcpClient, serverFrames, UPGRADE_REQUEST } from './raw-tcp-client.js';

class TimerOutput extends DiscardingOutput {
  readonly wire: string[] = [];
  readonly asked: string[] = [];
  override write(bytes: Uint8Array) { this.wire.push(Buffer.from(bytes).toString('hex')); }
  override startPongDeadline() { this.asked.push('startPongDeadline'); }
  override startCloseTimer() { this.asked.push('startCloseTimer'); }
  override closeTcp() { this.asked.push('closeTcp'); }
  override destroyTcp() { this.asked.push('destroyTcp'); }
  override protocolError(error: ProtocolError) { this.asked.push(`error ${error.code} ${error.closeCode}`); }
}

function openCore() {
  const output = new TimerOutput();
  const core = new ConnectionProtocol(output, { maxMessageSize: 1024 });
  core.receiveHandshake(HANDSHAKE_REQUEST);
  output.wire.length = 0;
  return { output, core };
}

describe('Heartbeat and handshake timeouts', () => {
  describe('in the machines (sans-I/O)', () => {
    it('answers HEARTBEAT_DUE on an open connection with a Ping and asks for a pong deadline (§5.5.2)', () => {
      const { output, core } = openCore();
      core.heartbeatDue();
      expect(output.wire).to.deep.equal(['8900']);
      expect(output.asked).to.deep.equal(['startPongDeadline']);
      expect(core.machineStates.closingHandshake).to.equal('open');
    });

    it('fails with 1011 on PONG_TIMEOUT and drops TCP without waiting for a closing handshake', () => {
      const { output, core } = openCore();
      core.heartbeatDue();
      core.pongTimeout();
      expect(output.wire).to.deep.equal(['8900', '880203f3']);
      expect(output.asked).to.deep.equal(['startPongDeadline', `error WS_ERR_PONG_TIMEOUT ${CloseCode.internalError}`, 'destroyTcp']);
      expect(core.machineStates).to.deep.equal({ connection: 'closing', message: 'awaitingMessage', closingHandshake: 'failed' });
      core.receiveTcpClosed();
      expect(core.readyState).to.equal('closed');
    });

    it('sends no heartbeat Ping once a Close was sent (§5.5.1: the close timer bounds the wait)', () => {
      const { output, core } = openCore();
      core.close(1000);
      output.wire.length = 0;
      output.asked.length = 0;
      core.heartbeatDue();
      core.pongTimeout();
      expect(output.wire).to.deep.equal([]);
      expect(output.asked).to.deep.equal([]);
      expect(core.machineStates.closingHandshake).to.equal('closeSent');
    });
  });

  describe('the shared sweep (one interval per server)', () => {
    function target(): HeartbeatTarget & { calls: string[] } {
      const calls: string[] = [];
      return {
        calls,
        heartbeatMarks: 0,
        heartbeatDue() {
          calls.push('due');
          this.heartbeatMarks |= HeartbeatMark.awaitingPong;
        },
        pongTimeout() {
          calls.push('timeout');
        },
      };
    }

    it('pings an idle connection, then times it out when nothing arrived since the Ping', () => {
      const sweep = new HeartbeatSweep(1000);
      const idle = target();
      sweep.add(idle);
      sweep.tick();
      sweep.tick();
      expect(idle.calls).to.deep.equal(['due', 'timeout']);
      sweep.delete(idle);
      expect(sweep.size).to.equal(0);
    });

    it('leaves alone a connection from which a byte (a Pong or data) arrived since the last tick', () => {
      const sweep = new HeartbeatSweep(1000);
      const busy = target();
      sweep.add(busy);
      sweep.tick(); // idle: Ping
      busy.heartbeatMarks |= HeartbeatMark.peerActive; // the Pong
      sweep.tick();
      busy.heartbeatMarks |= HeartbeatMark.peerActive; // data
      sweep.tick();
      expect(busy.calls).to.deep.equal(['due']);
      sweep.delete(busy);
    });

    it('refuses an interval that is not a positive integer', () => {
      expect(() => new HeartbeatSweep(0)).to.throw(RangeError);
      expect(() => new HeartbeatSweep(1.5)).to.throw(RangeError);
    });
  });

  describe('over TCP', () => {
    let echo: EchoServer | undefined;
    afterEach(async () => {
      await echo?.close();
      echo = undefined;
    });

    it('pings a silent peer and fails it with 1011, dropping TCP, when no Pong comes', async () => {
      echo = await startEchoServer({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 100 });
      const client = new RawTcpClient(echo.port);
      await client.upgrade();
      const started = Date.now();
      await client.waitFor(() => client.serverEnded, 2000);
      const elapsed = Date.now() - started;
      const frames = serverFrames(client.received).map(([opcode, payload]) => `${opcode}:${payload.toString('hex')}`);
      expect(frames).to.deep.equal(['9:', '8:03f3']);
      expect(closeCodeIn(client.received)).to.equal(CloseCode.internalError);
      // Idle for one to two intervals, then one interval to answer.
      expect(elapsed).to.be.within(150, 1000);
      await client.waitFor(() => echo!.server.connections.size === 0);
    });

    it('keeps open a peer that answers every Ping with a Pong', async () => {
      echo = await startEchoServer({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 50 });
      const client = new RawTcpClient(echo.port);
      await client.upgrade();
      let answered = 0;
      client.socket.on('data', () => {
        const pings = serverFrames(client.received).filter(([opcode]) => opcode === 0x9).length;
        for (; answered < pings; answered++) client.socket.write(clientFrame(0xa));
      });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(answered).to.be.greaterThan(2);
      expect(closeCodeIn(client.received)).to.equal(undefined);
      expect(client.isClosed).to.equal(false);
      expect(echo.server.connections.size).to.equal(1);
      client.socket.destroy();
    });

    it('fails with 1011 a frame announced as 60 MiB that stalls after 1 KiB', async () => {
      echo = await startEchoServer({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 100, maxMessageSize: 128 * 1024 * 1024 });
      const client = new RawTcpClient(echo.port);
      await client.upgrade();
      // FIN + binary, MASK + 64-bit length 60 MiB, a mask, then only 1 KiB of the payload.
      const header = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
      header.writeUInt32BE(60 * 1024 * 1024, 6);
      client.socket.write(Buffer.concat([header, Buffer.alloc(1024)]));
      await client.waitFor(() => client.serverEnded, 2000);
      expect(closeCodeIn(client.received)).to.equal(CloseCode.internalError);
    });

    it('sends nothing to a silent peer when heartbeats are off (the default)', async () => {
      echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
      const client = new RawTcpClient(echo.port);
      await client.upgrade();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(client.received.length).to.equal(0);
      client.socket.destroy();
    });

    it('answers a handshake that trickles past handshakeTimeoutMs with 408 and closes it', async () => {
      echo = await startEchoServer({ host: '127.0.0.1', port: 0, handshakeTimeoutMs: 300 });
      const client = new RawTcpClient(echo.port);
      const request = UPGRADE_REQUEST + 'X-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
      let sent = 0;
      const trickle = setInterval(() => {
        if (!client.isClosed && sent < request.length) client.socket.write(request[sent++]!);
      }, 20);
      try {
        await client.waitFor(() => client.isClosed || client.serverEnded, 3000);
      } finally {
        clearInterval(trickle);
      }
      expect(client.received.toString()).to.match(/^HTTP\/1\.1 408 /);
      expect(sent).to.be.lessThan(request.length);
    });

    it('does not apply the handshake timeout to an upgraded connection', async () => {
      echo = await startEchoServer({ host: '127.0.0.1', port: 0, handshakeTimeoutMs: 100 });
      const client = new RawTcpClient(echo.port);
      await client.upgrade();
      await new Promise((resolve) => setTimeout(resolve, 500));
      client.socket.write(clientFrame(0x1, 'still here'));
      await client.waitFor(() => serverFrames(client.received).length === 1);
      expect(serverFrames(client.received)[0]![1].toString()).to.equal('still here');
      client.socket.write(clientFrame(0x8, closeBody(1000)));
      await client.waitFor(() => client.serverEnded);
      client.socket.destroy();
    });
  });
});
