/**
 * The page at a province's size — 2,000 registered sites, 500 kiosks, seeded through the store as
 * ingest would — in Chromium at 1366×768 (an officer's laptop) and 1920×1080, in Vietnamese and
 * English. Screenshots: see SHOTS (the committed set in docs/screenshots/ is linked from the operator guide).
 * Asserted: the fleet table is above the fold and scrolls inside its own box, the page itself never
 * scrolls sideways, and all 500 kiosks are listed with their site names.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_ARGS, REPO_ROOT, requireChromium, sampleCheckin } from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFleet, siteId } from './fleet-fixtures.js';
import { httpHub } from './http-server.js';

/**
 * docs/screenshots/ when refreshing the committed set (QRKIOSK_UPDATE_SCREENSHOTS=1 npx vitest run
 * hub/test/page-screenshots.test.ts), otherwise test-artifacts/: a plain run must not rewrite tracked
 * files (relative times and the clock are in every shot).
 */
const SHOTS = process.env.QRKIOSK_UPDATE_SCREENSHOTS
  ? join(REPO_ROOT, 'docs', 'screenshots')
  : join(REPO_ROOT, 'test-artifacts', 'screenshots');
const PHONE = '0900000001';
const PASSWORD = 'screens-password';

describe('the page with 500 kiosks and 2,000 sites', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    hub = await httpHub('sqlite');
    await seedFleet(hub.store, 2000, 500);
    await hub.store.users.add(PHONE, PASSWORD, 'admin', ['*']);
    const now = Date.now();
    for (let i = 0; i < 60; i++)
      await hub.store.addCheckin(
        sampleCheckin({
          site: siteId((i % 40) + 1),
          kiosk: `k-${String((i % 40) + 1).padStart(4, '0')}`,
          at: new Date(now - i * 7 * 60_000).toISOString(),
          verdict: i % 9 === 0 ? 'REFUSE' : 'ALLOW',
          colour: i % 9 === 0 ? 'red' : 'green',
        }),
        new Date(),
      );
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('fleet at 1366×768 and 1920×1080, in Vietnamese and English; live and one kiosk at 1366×768 in Vietnamese', async () => {
    // One page and one login for every size and language: each login is an argon2 check.
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
    await page.goto(hub.address);
    await page.fill('#phone', PHONE);
    await page.fill('#password', PASSWORD);
    await page.click('#loginForm button');
    await page.waitForSelector('#app:not([hidden])');
    const shots: Array<[number, number, 'vi' | 'en']> = [
      [1366, 768, 'vi'],
      [1366, 768, 'en'],
      [1920, 1080, 'en'],
      [1920, 1080, 'vi'],
    ];
    let lang = 'vi';
    for (const [width, height, want] of shots) {
      await page.setViewportSize({ width, height });
      if (want !== lang) {
        await page.click('#lang');
        lang = want;
      }
      await page.goto(`${hub.address}/#/kiosks`);
      await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 500);
      const layout = await page.evaluate(() => {
        const box = document.querySelector('#fleet')?.closest('.scroll') as HTMLElement;
        const firstRow = document.querySelector('#fleet tbody tr') as HTMLElement;
        return {
          pageScrollsSideways: document.documentElement.scrollWidth > window.innerWidth,
          firstRowBottom: firstRow.getBoundingClientRect().bottom,
          ownScroll: box.scrollHeight > box.clientHeight,
          count: document.querySelector('#app .count')?.textContent,
          firstSite: firstRow.children[0]?.textContent,
        };
      });
      expect(layout.pageScrollsSideways, `${width} ${lang}`).toBe(false);
      expect(layout.firstRowBottom).toBeLessThan(height);
      expect(layout.ownScroll).toBe(true);
      expect(layout.count).toBe('500');
      expect(layout.firstSite).toMatch(/ số \d+ /);
      await page.screenshot({ path: join(SHOTS, `hub-fleet-${width}x${height}-${lang}.png`) });
      // The live page and a kiosk's page once (Vietnamese, the laptop's size): the fleet is the subject here.
      if (width === 1366 && lang === 'vi') {
        await page.goto(`${hub.address}/#/kiosk/k-0007`);
        await page.waitForSelector('#telemetryHistory tbody tr');
        await page.screenshot({ path: join(SHOTS, `hub-kiosk-${width}x${height}-${lang}.png`) });
        await page.goto(`${hub.address}/#/live`);
        await page.waitForSelector('#checkins tbody tr');
        await page.waitForFunction(() => document.querySelectorAll('#today tbody tr').length === 2000);
        expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(
          false,
        );
        await page.screenshot({ path: join(SHOTS, `hub-live-${width}x${height}-${lang}.png`) });
      }
    }
    await page.close();
  });
});
