/**
 * Interop: Chromium's WebSocket (Debian's chromium, driven headless by playwright-core) against the
 * echo server plain, with permessage-deflate and over TLS (the test certificate is accepted with
 * --ignore-certificate-errors): text, 1 MiB, binary, the close code and reason with wasClean, the
 * subprotocol, permessage-deflate agreed. The page has no ping API.
 */
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import type { EchoServer } from '../../src/echo-server.js';
import { OFFERED_SUBPROTOCOLS, VARIANTS, deflateExpected, record, startInteropServer } from './interop-servers.js';
import { whatwgScenario } from './whatwg-scenario.js';
import { CHROMIUM_ARGS } from '../browser/chromium-args.js';


describe('interop: Chromium', function () {
  let browser: Browser;
  let echo: EchoServer | undefined;

  before(async function () {
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'] });
  });
  after(async () => browser?.close());
  afterEach(async () => echo?.close());

  for (const variant of VARIANTS) {
    it(`against the echo server (${variant})`, async () => {
      echo = await startInteropServer(variant);
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      try {
        const result = await page.evaluate(whatwgScenario, { url: `${echo.url}/chromium`, protocols: [...OFFERED_SUBPROTOCOLS] });
        const client = `Chromium ${browser.version()}`;
        const deflate = /permessage-deflate/.test(result.extensions) === deflateExpected(variant);
        record(client, variant, 'text', result.text);
        record(client, variant, '1 MiB', result.mib);
        record(client, variant, 'binary', result.binary);
        record(client, variant, 'close code+reason', result.close.code === 4000 && result.close.reason === 'bye' && result.close.wasClean);
        record(client, variant, 'subprotocol', result.protocol === OFFERED_SUBPROTOCOLS[0]);
        record(client, variant, 'permessage-deflate', deflate);
        record(client, variant, 'ping', '—');
        record(client, variant, 'fragmented', '—');
        expect(result).to.deep.include({ text: true, mib: true, binary: true, protocol: 'chat.v2' });
        expect(result.close).to.deep.equal({ code: 4000, reason: 'bye', wasClean: true });
        expect(deflate, `extensions: ${result.extensions || 'none'}`).to.equal(true);
      } finally {
        await page.close();
      }
    });
  }
});
