// A strict-mode application written against statesocket's emitted declarations, with no
// annotations on the listeners: it must compile (test/typed-events.test.ts).
import { createServer } from 'node:http';
import { WebSocketServer, WebSocket } from 'statesocket';

const http = createServer();
const wss = new WebSocketServer({ server: http, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });

wss.on('connection', (ws, request) => {
  const url: string | undefined = request.url;
  ws.on('message', (data, isBinary) => {
    const binary: boolean = isBinary;
    wss.clients?.forEach((client) => {
      if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data as Buffer, { binary });
    });
  });
  ws.on('close', (code, reason) => console.log(code.toFixed(), reason.toString('utf8'), url));
  ws.on('error', (error) => console.log(error.code, error.closeCode));
  ws.ping(undefined, undefined, (error) => error?.message);
  ws.send('hi', (error) => error?.message);
});
wss.on('headers', (headers, request) => headers.push(`X-Url: ${request.url}`));
wss.on('wsClientError', (error, socket) => socket.end(error.message));
wss.once('listening', () => wss.address());
wss.close((error) => error?.message);
