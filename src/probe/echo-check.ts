/**
 * Before the probe generates hundreds of paths, one check with statesocket's own client that the
 * target is what every path assumes: a WebSocket server that echoes a text message and completes
 * a closing handshake. This is what a correct client does, so the library's client does it;
 * the paths themselves keep the raw wire client (probe-client.ts), which sends what a correct
 * client never would and never answers on its own.
 */
import { WebSocket } from '../index.js';

/** What the probe sends and expects back. */
const CHECK_MESSAGE = 'statesocket probe: echo check';

/** Resolves with undefined when the target echoes and closes cleanly, else with what went wrong, in words. */
export function checkEchoServer(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (problem: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (problem !== undefined) socket.terminate();
      resolve(problem);
    };
    const socket = new WebSocket(url, [], { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => settle(`no echo and closing handshake within ${timeoutMs} ms`), timeoutMs * 2);
    let echoed = false;
    socket.on('open', () => socket.send(CHECK_MESSAGE));
    socket.on('unexpected-response', (_request, response) => {
      settle(`the opening handshake was refused with HTTP ${response.statusCode}`);
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary || String(data) !== CHECK_MESSAGE) {
        settle(`it answered a text message with ${isBinary ? 'a binary' : 'another'} message: not an echo server`);
        return;
      }
      echoed = true;
      socket.close(1000);
    });
    socket.on('error', (error: Error & { code?: string }) => settle(error.message || (error.code ?? 'error')));
    socket.on('close', (code) => settle(echoed && code === 1000 ? undefined : `the connection closed with ${code}${echoed ? '' : ' before the echo'}`));
  });
}
