// The same API misused: each marked line must fail to compile (test/typed-events.test.ts).
import { WebSocketServer } from 'statesocket';

const wss = new WebSocketServer({ port: 8080 });
wss.on('conection', (ws) => ws); // TS2345: a misspelt event
wss.on('connection', (ws) => {
  ws.noSuchMethod(); // TS2339: a method that does not exist
  ws.on('mesage', () => {}); // TS2345: a misspelt event
  ws.on('close', (code: string) => code); // TS2345: a listener of the wrong type
});
