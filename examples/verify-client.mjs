// An asynchronous token check before the handshake completes: `verifyClient` with a callback.
// Written for `ws`; with statesocket only the import differs. Run: node examples/verify-client.mjs
import { WebSocketServer } from 'statesocket';

const sessions = new Map([['secret-token', 'alice']]);

/** Stands for a database or an auth service. */
function lookUpToken(token) {
  return new Promise((resolve) => setTimeout(() => resolve(sessions.get(token)), 10));
}

const wss = new WebSocketServer({
  port: Number(process.env.PORT ?? 8080),
  host: '127.0.0.1',
  verifyClient: (info, callback) => {
    const token = new URL(info.req.url, 'http://localhost').searchParams.get('token');
    lookUpToken(token).then((user) => {
      if (user === undefined) return callback(false, 401, 'unknown token');
      info.req.user = user;
      callback(true);
    });
  },
});

wss.on('connection', (ws, request) => ws.send(`hello ${request.user}`));
wss.on('listening', () => console.log(`listening on ws://127.0.0.1:${wss.address().port}`));
