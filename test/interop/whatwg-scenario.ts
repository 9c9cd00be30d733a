/**
 * The interop scenario for the WHATWG WebSocket API, run as it is in Chromium's page (through
 * playwright's `page.evaluate`, which sends the function's source: it must stay self-contained)
 * and in Node with undici's WebSocket as `globalThis.WebSocket`.
 */

export interface WhatwgResult {
  text: boolean;
  mib: boolean;
  binary: boolean;
  close: { code: number; reason: string; wasClean: boolean };
  protocol: string;
  extensions: string;
}

/** Text, 1 MiB and binary echoes, then a close with 4000 "bye"; what came back. */
export async function whatwgScenario({ url, protocols }: { url: string; protocols: string[] }): Promise<WhatwgResult> {
  const socket = new WebSocket(url, protocols);
  socket.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error('did not open')), { once: true });
  });
  const next = () => new Promise<unknown>((resolve) => socket.addEventListener('message', (event) => resolve(event.data), { once: true }));
  socket.send('hello');
  const text = (await next()) === 'hello';
  const big = 'x'.repeat(1 << 20);
  socket.send(big);
  const mib = (await next()) === big;
  socket.send(new Uint8Array([0, 1, 2, 255]));
  const back = await next();
  const binary = back instanceof ArrayBuffer && [...new Uint8Array(back)].join() === '0,1,2,255';
  const closed = new Promise<WhatwgResult['close']>((resolve) =>
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }), { once: true }),
  );
  socket.close(4000, 'bye');
  return { text, mib, binary, close: await closed, protocol: socket.protocol, extensions: socket.extensions };
}
