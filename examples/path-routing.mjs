// Two WebSocket servers on one HTTP server, routed by path with `noServer`. Written for `ws`;
// with statesocket only the import differs. Run: node examples/path-routing.mjs
import { createServer } from 'node:http';
import { WebSocketServer } from 'statesocket';

const server = createServer();
const echo = new WebSocketServer({ noServer: true });
const shout = new WebSocketServer({ noServer: true });

echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
shout.on('connection', (ws) => ws.on('message', (data) => ws.send(data.toString().toUpperCase())));

server.on('upgrade', (request, socket, head) => {
  const { pathname } = new URL(request.url, 'http://localhost');
  const wss = pathname === '/echo' ? echo : pathname === '/shout' ? shout : undefined;
  if (wss === undefined) return socket.destroy();
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () =>
  console.log(`listening on ws://127.0.0.1:${server.address().port}`),
);
