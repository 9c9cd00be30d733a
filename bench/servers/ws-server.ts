/**
 * The reference: `ws`'s WebSocketServer echoing every message, with or without the native
 * `bufferutil` addon, in a process of its own.
 *
 * usage: node dist/bench/servers/ws-server.js [--bufferutil] [--deflate] [--tls-cert FILE --tls-key FILE]
 *
 * ws decides when it is first loaded: it uses Node's own `http.websocketUnmask` where Node
 * has one, else `require('bufferutil')` unless WS_NO_BUFFER_UTIL is set, else its JavaScript
 * loop. This file sets WS_NO_BUFFER_UTIL for the plain column, then checks which one ws
 * really took: a column that did not get what its name says carries a warning into the
 * report instead of being measured silently.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { serveOrchestrator } from './server-harness.js';

const { values } = parseArgs({
  options: {
    bufferutil: { type: 'boolean', default: false },
    deflate: { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
const wantBufferutil = values.bufferutil;
if (wantBufferutil) delete process.env['WS_NO_BUFFER_UTIL'];
else process.env['WS_NO_BUFFER_UTIL'] = '1';

const require = createRequire(import.meta.url);
const ws = require('ws') as typeof import('ws');
const wsVersion = (require('ws/package.json') as { version: string }).version;

interface BufferutilModule {
  mask: (...args: unknown[]) => void;
  unmask: (...args: unknown[]) => void;
}

/** How ws unmasks in this process, and what is wrong with that for this column. */
function unmaskImplementation(): { label: string; warnings: string[] } {
  const nodeHasNativeUnmask = typeof (require('node:http') as Record<string, unknown>)['websocketUnmask'] === 'function';
  if (nodeHasNativeUnmask) {
    return {
      label: "Node's http.websocketUnmask",
      warnings: ['this Node has http.websocketUnmask: ws uses it and never loads bufferutil'],
    };
  }
  const cached = Object.entries(require.cache).find(([path]) => /[\\/]bufferutil[\\/]index\.js$/.test(path));
  const loaded = cached?.[1]?.exports as BufferutilModule | undefined;
  const native = loaded !== undefined && Function.prototype.toString.call(loaded.unmask).includes('[native code]');
  if (wantBufferutil) {
    if (loaded === undefined) {
      return { label: 'JavaScript', warnings: ['bufferutil did NOT load: this column measured ws WITHOUT it'] };
    }
    if (!native) {
      return {
        label: "bufferutil's JavaScript fallback",
        warnings: ['bufferutil loaded its JavaScript fallback, not the native addon: this column measured ws without it'],
      };
    }
    const version = (require('bufferutil/package.json') as { version: string }).version;
    return { label: `bufferutil ${version} (native)`, warnings: [] };
  }
  if (loaded !== undefined) {
    return { label: 'bufferutil', warnings: ['bufferutil loaded although WS_NO_BUFFER_UTIL was set'] };
  }
  return { label: 'JavaScript', warnings: [] };
}

const unmask = unmaskImplementation();
// Over TLS: an https.Server passed as `server`, as a ws application serves wss://.
const https =
  values['tls-cert'] && values['tls-key']
    ? createHttpsServer({ cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) })
    : undefined;
const server = https
  ? new ws.WebSocketServer({ server: https, perMessageDeflate: values.deflate })
  : new ws.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: values.deflate });
https?.listen(0, '127.0.0.1');
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  socket.on('error', () => socket.terminate());
});
await new Promise<void>((resolve) => server.once('listening', resolve));
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');

serveOrchestrator({
  port: address.port,
  description: `ws ${wsVersion}, unmask: ${unmask.label}${values.deflate ? ', perMessageDeflate: true' : ''}${https ? ', over TLS' : ''}`,
  warnings: unmask.warnings,
  connectionCount: () => server.clients.size,
});
