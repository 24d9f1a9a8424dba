import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium unless KUBEDISPATCH_CHROMIUM names another; Playwright downloads no browser here. */
export const CHROMIUM_PATH = process.env['KUBEDISPATCH_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Headless Chromium with a fresh profile. Without the background-networking flags it opens
 * connections of its own (updates, sync, field trials) that are refused in sandboxes.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
