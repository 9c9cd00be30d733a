// A chat room: every message goes to every other client. Written for `ws`; with statesocket
// only the import differs. Run: node examples/broadcast-chat.mjs (PORT=8080 by default).
import { WebSocketServer, WebSocket } from 'statesocket';

const wss = new WebSocketServer({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });

wss.on('connection', (ws) => {
  ws.on('error', console.error);
  ws.on('message', (data, isBinary) => {
    wss.clients.forEach((client) => {
      if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
  });
  ws.send(`welcome; ${wss.clients.size} here`);
});

wss.on('listening', () => console.log(`listening on ws://127.0.0.1:${wss.address().port}`));
