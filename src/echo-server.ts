/**
 * The echo server: every message comes back as it was sent (text as text, binary as binary).
 * It is the target of the Autobahn|Testsuite fuzzingclient, of the in-repo conformance suite, of
 * the interop tests and of `statesocket serve`.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type ServerOptions } from './server.js';

export interface EchoServerOptions extends ServerOptions {
  /** Serve `wss://`: an HTTPS server with this certificate and key (PEM) listens on `port`. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface EchoServer {
  server: WebSocketServer;
  url: string;
  port: number;
  /** Close every connection with 1001 and stop listening. */
  close(): Promise<void>;
}

/** An echo speaks every subprotocol: it answers with the client's first choice. */
function firstOffered(protocols: Set<string>): string | undefined {
  return protocols.values().next().value;
}

function upgradeRequired(_request: IncomingMessage, response: ServerResponse): void {
  const body = 'this is a WebSocket echo server: send Upgrade: websocket\n';
  response.writeHead(426, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(body);
}

/**
 * Starts the echo server on `port` (default 9001). permessage-deflate is on unless
 * `options.perMessageDeflate` says otherwise; the first subprotocol offered is chosen unless
 * `options.handleProtocols` says otherwise.
 */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const { tls, ...rest } = options;
  const serverOptions: ServerOptions = { perMessageDeflate: true, handleProtocols: firstOffered, ...rest };
  if (serverOptions.server === undefined && !serverOptions.noServer) serverOptions.port ??= 9001;
  const httpsServer = tls ? createHttpsServer(tls, upgradeRequired) : undefined;
  const { port, host, ...shared } = serverOptions;
  const server = new WebSocketServer(httpsServer ? { ...shared, server: httpsServer, host } : serverOptions);
  server.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => connection.send(data as Buffer, { binary: isBinary }));
  });
  httpsServer?.listen(port, host);
  const listening = await server.listen();
  const close = async () => {
    await server.shutdown();
    if (httpsServer === undefined) return;
    // The HTTPS server is the echo server's own: it stops with it.
    httpsServer.closeAllConnections();
    await new Promise((resolve) => httpsServer.close(resolve));
  };
  return { server, url: listening.url, port: listening.port, close };
}
