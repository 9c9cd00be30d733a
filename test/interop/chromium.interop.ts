/**
 * Interop: Chromium's WebSocket (Debian's chromium, driven headless by playwright-core) against the
 * echo server plain, with permessage-deflate and over TLS (the test certificate is accepted with
 * --ignore-certificate-errors): text, 1 MiB, binary, the close code and reason with wasClean, the
 * subprotocol, permessage-deflate agreed. The page has no ping API.
 */
import { chromium, type Browser } from 'playwright-core';
import type { EchoServer } from '../../src/echo-server.js';
import { OFFERED_SUBPROTOCOLS, VARIANTS, check, startInteropServer } from './interop-servers.js';
import { whatwgScenario } from './whatwg-scenario.js';
import { launchChromium } from '../browser/chromium.js';


describe('interop: Chromium', function () {
  let browser: Browser;
  let echo: EchoServer | undefined;

  before(async function () {
    browser = await launchChromium(['--ignore-certificate-errors']);
  });
  after(async () => browser?.close());
  afterEach(async () => echo?.close());

  for (const variant of VARIANTS) {
    it(`against the echo server (${variant})`, async () => {
      echo = await startInteropServer(variant);
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      try {
        const result = await page.evaluate(whatwgScenario, { url: `${echo.url}/chromium`, protocols: [...OFFERED_SUBPROTOCOLS] });
        check(`Chromium ${browser.version()}`, variant, { ...result, ping: '—', fragmented: '—' });
      } finally {
        await page.close();
      }
    });
  }
});
