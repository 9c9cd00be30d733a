/**
 * The floor for a Node server: a raw `node:net` byte echo behind the least HTTP it takes to
 * pass the load client's opening handshake (a fixed 101 with the computed
 * Sec-WebSocket-Accept). After that every byte goes back as it came, client frames
 * included (still masked), with no parsing: what any WebSocket server on Node costs at
 * least for the same traffic.
 *
 * usage: node dist/bench/servers/net-echo-server.js
 */
import { secWebSocketAccept } from '../../src/opening-handshake.js';
import { createServer, type Socket } from 'node:net';
import { serveOrchestrator } from './server-harness.js';

const END_OF_HEADERS = Buffer.from('\r\n\r\n');
const KEY_HEADER = /^sec-websocket-key:[ \t]*(\S+)/im;

let open = 0;

function upgradeThenEcho(socket: Socket): void {
  let head: Buffer = Buffer.alloc(0);
  const onHead = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf(END_OF_HEADERS);
    if (end < 0) return;
    const key = KEY_HEADER.exec(head.subarray(0, end).toString('latin1'))?.[1];
    if (key === undefined) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = secWebSocketAccept(key);
    socket.off('data', onHead);
    socket.on('data', (data: Buffer) => socket.write(data));
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const rest = head.subarray(end + END_OF_HEADERS.length);
    if (rest.length > 0) socket.write(rest);
  };
  socket.on('data', onHead);
}

const server = createServer((socket) => {
  open++;
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => open--);
  upgradeThenEcho(socket);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');

serveOrchestrator({
  port: address.port,
  description: `node:net byte echo (Node ${process.version})`,
  warnings: [],
  connectionCount: () => open,
});
