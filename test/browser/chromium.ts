/**
 * Debian's Chromium, headless, for the browser tests (`npm run test:browser`), through
 * playwright-core. It needs `apt-get install -y chromium`, or CHROMIUM_PATH pointing at a Chromium.
 */
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `extraArgs` adds flags for one suite, e.g. `--ignore-certificate-errors` for a test certificate. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Screenshots are written only when asked (`UPDATE_SCREENSHOTS=1`), so that a test run leaves the tree clean. */
export const updateScreenshots = process.env['UPDATE_SCREENSHOTS'] === '1';
