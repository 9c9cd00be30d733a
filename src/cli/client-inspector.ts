/**
 * `statesocket connect --inspect`: the live inspector of src/inspector/ for the client's own
 * connection, on a small local HTTP server (127.0.0.1 only): the same page at /inspect and its
 * feed at /inspect/events as `statesocket serve --inspect` serves beside the echo server.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InspectorFeed } from '../inspector/inspector-feed.js';
import { WebSocketServer } from '../server.js';

export interface ClientInspector {
  feed: InspectorFeed;
  /** http://127.0.0.1:PORT/inspect */
  url: string;
  close(): Promise<void>;
}

export async function serveClientInspector(port: number): Promise<ClientInspector> {
  const feed = new InspectorFeed();
  // Only the page's own WebSocket is served here; it is never inspected.
  const pages = new WebSocketServer({ noServer: true });
  const http = createServer((request, response) => {
    if (!feed.handleRequest(request, response)) response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: the inspector is at /inspect\n');
  });
  http.on('upgrade', (request, socket: Socket, head: Buffer) => {
    const attach = feed.pageUpgrade(request, socket);
    if (attach === 'refused') return;
    if (attach === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    pages.handleUpgrade(request, socket, head, (connection) => attach(connection));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  const address = http.address() as AddressInfo;
  return {
    feed,
    url: `http://127.0.0.1:${address.port}/inspect`,
    close: async () => {
      for (const connection of pages.connections) connection.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
