/**
 * A WebSocket client library in the load-client process: statesocket's `WebSocket` or ws's (with
 * or without bufferutil), behind the part of ws's client API that the loads use.
 */
import { createRequire } from 'node:module';
import type { ClientLibrary } from './bench-messages.js';

/** The part of ws's client API (which statesocket's client copies) that the load uses. */
export interface LibraryWebSocket {
  readonly readyState: number;
  send(data: Buffer, options: { binary: boolean }): void;
  terminate(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close', listener: (code: number) => void): this;
  once(event: 'open', listener: () => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
  removeAllListeners(event?: string): this;
}

export type LibraryWebSocketClass = new (address: string, protocols: string[], options: { perMessageDeflate: boolean }) => LibraryWebSocket;

/** The client class of `library`; ws decides at its first load whether it uses bufferutil. */
export async function loadLibrary(library: ClientLibrary): Promise<LibraryWebSocketClass> {
  if (library === 'statesocket') {
    const statesocket = await import('../src/index.js');
    return statesocket.WebSocket as unknown as LibraryWebSocketClass;
  }
  if (library === 'ws') process.env['WS_NO_BUFFER_UTIL'] = '1';
  else delete process.env['WS_NO_BUFFER_UTIL'];
  const require = createRequire(import.meta.url);
  const ws = require('ws') as { WebSocket: LibraryWebSocketClass };
  const bufferutilLoaded = Object.keys(require.cache).some((path) => /[\\/]bufferutil[\\/]index\.js$/.test(path));
  if (library === 'ws+bufferutil' && !bufferutilLoaded) throw new Error('bufferutil did not load in the ws client');
  if (library === 'ws' && bufferutilLoaded) throw new Error('bufferutil loaded although WS_NO_BUFFER_UTIL was set');
  return ws.WebSocket;
}

export function openLibraryWebSocket(WebSocket: LibraryWebSocketClass, url: string): Promise<LibraryWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [], { perMessageDeflate: false });
    const onError = (error: Error): void => reject(error);
    socket.on('error', onError);
    socket.once('open', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

