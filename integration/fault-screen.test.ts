/**
 * The verdict screen in real Chromium while the journal cannot record (a full tmpfs): a full-screen
 * fault state instead of "Mời quét mã QR", in Vietnamese with its English twin, until a write
 * succeeds again. Screenshot: test-artifacts/verdict-fault.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cccdFor } from '@qrkiosk/firmware-sim';
import { Controller, hashIdentity, NO_FACTS, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import {
  CHROMIUM_ARGS,
  freePort,
  kioskYaml,
  mountTmpfs,
  REPO_ROOT,
  requireChromium,
  type Tmpfs,
} from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

describe('verdict screen while nothing can be recorded', () => {
  let browser: Browser | undefined;
  let controller: Controller | undefined;
  let disk: Tmpfs | undefined;
  afterAll(async () => {
    await browser?.close();
    await controller?.stop();
    disk?.unmount();
  });

  it('shows the fault full-screen, in both languages, and clears it when a write succeeds again', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    disk = mountTmpfs('4m', 'fault-screen-');
    const port = await freePort();
    const loaded = settingsFromText(
      kioskYaml({ direction: 'in', dataDir: disk.dir, lines: [`ui: { port: ${port}, host: 127.0.0.1 }`] }),
      'fault screen test',
      {},
    );
    const gpio = new SimGpio();
    controller = new Controller(loaded, { gpio, withoutUplink: true, withoutScanner: true });
    await controller.start();
    const number = cccdFor(1).split('|')[0]!;
    controller.cache.upsert([
      {
        key: hashIdentity(controller.identityHashKey(), 'cccd', number),
        facts: { ...NO_FACTS, primarySeriesComplete: true, dosesReceived: 2, lastDoseDate: '2021-09-01' },
      },
    ]);
    disk.fill();
    expect(controller.scan(cccdFor(1))?.decision.reason.code).toBe('record-failed');

    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-state="FAULT"]', { timeout: 5000 });
    expect(await page.textContent('#headline')).toBe('Không ghi được nhật ký');
    expect(await page.textContent('#reason')).toBe('Kiểm tra bằng tay / báo kỹ thuật');
    await page.screenshot({ path: join(ARTIFACTS, 'verdict-fault.png') });
    await page.click('#lang');
    expect(await page.textContent('#headline')).toBe('Cannot record check-ins');
    expect(await page.textContent('#reason')).toBe('Check by hand / call a technician');
    await page.click('#lang');
    expect(gpio.timeline.filter((e) => e.value === 1 && (e.line === 'green' || e.line === 'relay'))).toEqual(
      [],
    );

    disk.free();
    expect(controller.scan(cccdFor(1))?.decision.colour).toBe('green');
    await page.waitForSelector('body[data-state="ALLOW"]');
    // After the verdict's hold the screen goes back to "please scan", not to the fault.
    await page.waitForSelector('body[data-state="idle"]', { timeout: 10_000 });
    expect(await page.textContent('#headline')).toBe('Mời quét mã QR');
    await page.close();
  });
});
