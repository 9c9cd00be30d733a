/**
 * Interop: Python websockets (Debian's python3-websockets, run with /usr/bin/python3) against the
 * echo server plain, with permessage-deflate and over TLS: text, 1 MiB, binary, ping, a fragmented
 * message, the close code and reason echoed, the subprotocol, and permessage-deflate agreed.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EchoServer } from '../../src/echo-server.js';
import { testCertificate } from '../tls-certificate.js';
import { OFFERED_SUBPROTOCOLS, VARIANTS, deflateExpected, record, startInteropServer } from './interop-servers.js';

/** This file runs as dist/test/interop/python.interop.js. */
const script = fileURLToPath(new URL('../../../test/interop/python-client.py', import.meta.url));
const python = process.env['INTEROP_PYTHON'] ?? '/usr/bin/python3';

interface PythonResult {
  version: string;
  subprotocol: string | null;
  extensions: string[];
  text: boolean;
  mib: boolean;
  binary: boolean;
  ping: boolean;
  fragmented: boolean;
  close: { code: number | null; reason: string | null };
}

function runClient(url: string, cafile?: string): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    execFile(python, [script, url, ...(cafile ? [cafile] : [])], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as PythonResult);
    });
  });
}

describe('interop: Python websockets', () => {
  for (const variant of VARIANTS) {
    it(`against the echo server (${variant})`, async () => {
      let echo: EchoServer | undefined;
      try {
        echo = await startInteropServer(variant);
        const result = await runClient(`${echo.url}/python`, variant === 'wss+deflate' ? testCertificate().certPath : undefined);
        const client = `Python websockets ${result.version}`;
        const deflate = result.extensions.includes('permessage-deflate') === deflateExpected(variant);
        record(client, variant, 'text', result.text);
        record(client, variant, '1 MiB', result.mib);
        record(client, variant, 'binary', result.binary);
        record(client, variant, 'close code+reason', result.close.code === 4000 && result.close.reason === 'bye');
        record(client, variant, 'subprotocol', result.subprotocol === OFFERED_SUBPROTOCOLS[0]);
        record(client, variant, 'permessage-deflate', deflate);
        record(client, variant, 'ping', result.ping);
        record(client, variant, 'fragmented', result.fragmented);
        expect(result).to.include({ text: true, mib: true, binary: true, ping: true, fragmented: true, subprotocol: 'chat.v2' });
        expect(result.close).to.deep.equal({ code: 4000, reason: 'bye' });
        expect(deflate, `permessage-deflate agreed: ${result.extensions.join(', ') || 'none'}`).to.equal(true);
      } finally {
        await echo?.close();
      }
    });
  }
});
