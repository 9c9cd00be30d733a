/**
 * The echo server: every message comes back as it was sent (text as text, binary as binary).
 * It is the target of the Autobahn|Testsuite fuzzingclient and of the in-repo conformance suite.
 */
import { WebSocketServer, type ServerOptions } from './server.js';

export interface EchoServer {
  server: WebSocketServer;
  url: string;
  port: number;
  /** Close every connection with 1001 and stop listening. */
  close(): Promise<void>;
}

/** Starts the echo server; permessage-deflate is on unless `options.perMessageDeflate` says otherwise. */
export async function startEchoServer(options: ServerOptions = {}): Promise<EchoServer> {
  const server = new WebSocketServer({ perMessageDeflate: true, ...options });
  server.on('connection', (connection) => {
    connection.on('message', (data: Buffer, isBinary: boolean) => {
      if (connection.readyState === 'open') connection.send(data, { binary: isBinary });
    });
  });
  const { url, port } = await server.listen();
  return { server, url, port, close: () => server.close() };
}
