import { existsSync } from 'node:fs';

/**
 * Debian's Chromium, for Playwright (playwright-core never downloads a browser). The flags keep a
 * headless Chromium from reaching out to the network at start-up, which a closed machine refuses.
 */
export const CHROMIUM = process.env.QRKIOSK_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function requireChromium(): string {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: bash scripts/install.sh --test installs Debian's chromium`);
  return CHROMIUM;
}
