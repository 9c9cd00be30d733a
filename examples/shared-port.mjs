// An HTTP application and a WebSocket server on one port: plain requests are the
// application's, upgrades the WebSocket server's. Written for `ws`; with statesocket only the
// import differs. Run: node examples/shared-port.mjs
import { createServer } from 'node:http';
import { WebSocketServer } from 'statesocket';

let messages = 0;
const server = createServer((request, response) => {
  if (request.url === '/stats') {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    return response.end(JSON.stringify({ clients: wss.clients.size, messages }));
  }
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end('hello from the HTTP application\n');
});

const wss = new WebSocketServer({ server, path: '/live' });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    messages++;
    ws.send(`got ${data}`);
  });
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () =>
  console.log(`listening on ws://127.0.0.1:${server.address().port}`),
);
