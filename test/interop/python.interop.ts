/**
 * Interop: Python websockets (Debian's python3-websockets, run with /usr/bin/python3) against the
 * echo server plain, with permessage-deflate and over TLS: text, 1 MiB, binary, ping, a fragmented
 * message, the close code and reason echoed, the subprotocol, and permessage-deflate agreed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EchoServer } from '../../src/echo-server.js';
import { testCertificate } from '../tls-certificate.js';
import { VARIANTS, check, startInteropServer } from './interop-servers.js';

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
        check(`Python websockets ${result.version}`, variant, {
          text: result.text,
          mib: result.mib,
          binary: result.binary,
          // The Close frame the server sent back: its code and reason (received: a clean close).
          close: { code: result.close.code ?? 1006, reason: result.close.reason ?? '', wasClean: result.close.code !== null },
          protocol: result.subprotocol ?? '',
          extensions: result.extensions.join(', '),
          ping: result.ping,
          fragmented: result.fragmented,
        });
      } finally {
        await echo?.close();
      }
    });
  }
});
