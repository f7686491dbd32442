/**
 * The tracing tab with an answer (F2 included, identities revealed) at an officer laptop's size,
 * 1366×768, in Vietnamese and English: the page never scrolls sideways, both tables show rows above
 * the fold and scroll in their own boxes. Screenshots docs/screenshots/hub-tracing-1366x768-{vi,en}.png
 * when refreshing the committed set (QRKIOSK_UPDATE_SCREENSHOTS=1), else test-artifacts/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_ARGS, REPO_ROOT, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F0, seedTracing, TRACER, TRACER_PASSWORD, type TracingSeed } from './tracing-fixtures.js';

const SHOTS = process.env.QRKIOSK_UPDATE_SCREENSHOTS
  ? join(REPO_ROOT, 'docs', 'screenshots')
  : join(REPO_ROOT, 'test-artifacts', 'screenshots');

describe('the tracing page at 1366×768', () => {
  let seed: TracingSeed;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    seed = await seedTracing(24);
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await seed?.hub.stop();
  });

  it('shows a revealed answer with both tables in view, in Vietnamese and English', async () => {
    const page = await browser.newPage({
      viewport: { width: 1366, height: 768 },
      locale: 'en-US',
      timezoneId: 'America/New_York',
    });
    await page.goto(seed.hub.address);
    await page.fill('#phone', TRACER);
    await page.fill('#password', TRACER_PASSWORD);
    await page.click('#loginForm button');
    await page.waitForSelector('#app:not([hidden])');
    for (const lang of ['vi', 'en'] as const) {
      if (lang === 'en') await page.click('#lang');
      await page.goto(`${seed.hub.address}/#/tracing`);
      await page.waitForSelector('#traceForm');
      await page.fill('#traceId', F0.number);
      await page.check('#traceF2');
      await page.fill('#traceCase', 'BN-0123');
      await page.click('#traceReveal summary');
      await page.setInputFiles('#traceKey', seed.keyFile);
      await page.fill('#traceReason', lang === 'vi' ? 'Công văn 12/TTYT' : 'Letter 12/TTYT');
      // The box folded again: the answer, not the form, is the subject of the picture.
      await page.click('#traceReveal summary');
      await page.click('#traceRun');
      await page.waitForSelector('#tracePeople tbody tr');
      const layout = await page.evaluate(() => {
        const box = (id: string) => {
          const scroll = document.getElementById(id)?.closest('.scroll') as HTMLElement;
          const first = document.querySelector(`#${id} tbody tr`) as HTMLElement;
          return {
            firstRowBottom: first.getBoundingClientRect().bottom,
            ownScroll: scroll.scrollHeight > scroll.clientHeight,
          };
        };
        return {
          sideways: document.documentElement.scrollWidth > window.innerWidth,
          pageScrolls: (() => {
            const app = document.getElementById('app') as HTMLElement;
            return app.scrollHeight > app.clientHeight;
          })(),
          visits: box('traceVisits'),
          people: box('tracePeople'),
          revealed: document.getElementById('traceRevealed')?.textContent,
        };
      });
      expect(layout.sideways).toBe(false);
      expect(layout.pageScrolls).toBe(false);
      expect(layout.visits.firstRowBottom).toBeLessThan(768);
      expect(layout.people.firstRowBottom).toBeLessThan(768);
      expect(layout.people.ownScroll).toBe(true);
      expect(layout.revealed).toBe(lang === 'vi' ? 'Danh tính đã mở' : 'Identities revealed');
      await page.screenshot({ path: join(SHOTS, `hub-tracing-1366x768-${lang}.png`) });
    }
    await page.close();
  });
});
