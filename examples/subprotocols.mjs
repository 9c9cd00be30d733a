// Subprotocol negotiation: the server prefers chat.v2, speaks chat.v1, and refuses to pick
// anything else. Written for `ws`; with statesocket only the import differs.
// Run: node examples/subprotocols.mjs
import { WebSocketServer } from 'statesocket';

const wss = new WebSocketServer({
  port: Number(process.env.PORT ?? 8080),
  host: '127.0.0.1',
  handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : protocols.has('chat.v1') ? 'chat.v1' : false),
});

wss.on('connection', (ws) => ws.send(`you speak ${ws.protocol || 'no subprotocol'}`));
wss.on('listening', () => console.log(`listening on ws://127.0.0.1:${wss.address().port}`));
