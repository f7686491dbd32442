/**
 * The kiosk's screens in real Chromium (Debian's, driven by Playwright): a scan on the virtual
 * serial scanner turns the verdict screen the right colour, and a manual entry at reception appears
 * in the list. Screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { Controller, hashIdentity, NO_FACTS, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import {
  CHROMIUM_ARGS,
  freePort,
  kioskYaml,
  makeTempDir,
  REPO_ROOT,
  requireChromium,
} from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021';

describe('kiosk screens in Chromium', () => {
  let browser: Browser;
  let controller: Controller;
  let scanner: VirtualSerialScanner;
  let base: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    const port = await freePort();
    const loaded = settingsFromText(
      kioskYaml({
        direction: 'in',
        dataDir: makeTempDir('screens-'),
        lines: [
          `scanner: { type: serial, path: "${scanner.path}" }`,
          `ui: { port: ${port}, host: 127.0.0.1 }`,
          'rules: { duplicateWindowSeconds: 0 }',
        ],
      }),
      'screens test',
      {},
    );
    controller = new Controller(loaded, { gpio: new SimGpio(), withoutUplink: true });
    await controller.start();
    controller.cache.upsert([
      {
        key: hashIdentity(controller.identityHashKey(), 'cccd', '079090001234'),
        facts: { ...NO_FACTS, primarySeriesComplete: true, dosesReceived: 2, lastDoseDate: '2021-09-01' },
      },
    ]);
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await controller?.stop();
    await scanner?.unplug();
  });

  it('turns green with a tick and the masked name when an admitted person scans, red when refused', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-state="idle"]');
    await page.waitForFunction(() => document.getElementById('scanner')?.className === '');
    await scanner.scan(CCCD);
    await page.waitForSelector('body[data-state="ALLOW"]', { timeout: 5000 });
    expect(await page.textContent('#headline')).toBe('ĐƯỢC VÀO');
    expect(await page.textContent('#name')).toBe('NGUYỄN V** A*');
    expect(await page.textContent('#mark')).toBe('✓');
    const green = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(green).toBe('rgb(0, 105, 92)'); // teal-green: apart from the red under deuteranopia (issue #13)
    await page.screenshot({ path: join(ARTIFACTS, 'verdict-allow.png') });
    await page.click('#lang');
    expect(await page.textContent('#headline')).toBe('ADMITTED');
    // The card colour is a health fact: the public line is neutral (ui.publicReason), reception has it.
    expect(await page.textContent('#reason')).toBe('Please go in');
    await page.click('#lang');

    await scanner.scan('001185012345||Trần Thị Bích Ngọc|02031985|Nữ|Hà Nội|10072021');
    await page.waitForSelector('body[data-state="REVIEW"]', { timeout: 5000 });
    expect(await page.textContent('#mark')).toBe('!'); // in a black triangle: REVIEW's shape (issue #13)
    await scanner.scan('https://qr.tokhaiyte.vn/dd/1');
    await page.waitForFunction(() =>
      document.getElementById('reason')?.textContent?.includes('mã QR của địa điểm'),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'verdict-review.png') });
    await page.close();
  });

  it('lists check-ins live at reception, and a manual entry appears in the list', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/reception`);
    await page.waitForFunction(
      () => document.getElementById('none') !== null && document.documentElement.lang === 'vi',
    );
    await page.waitForLoadState('networkidle');
    const before = await page.locator('#list tbody tr').count();
    // Only admitted people count as in (issue #13): the refused scan of the test above does not.
    const inBefore = Number(await page.textContent('#inCount'));
    await page.fill('#name', 'Hoàng Thị Mai');
    await page.fill('#phone', '0912 345 678');
    await page.click('form button');
    await page.waitForFunction((n) => document.querySelectorAll('#list tbody tr').length === n + 1, before);
    const first = page.locator('#list tbody tr').first();
    expect(await first.locator('td').nth(1).textContent()).toBe('HOÀNG T** M**');
    expect(await first.locator('td').nth(2).textContent()).toBe('******5678');
    expect(await first.locator('td').nth(3).textContent()).toBe('Nhập tay');
    expect(await first.locator('td').nth(5).textContent()).toBe('Nhập tay tại lễ tân');
    expect(await page.textContent('#inCount')).toBe(String(inBefore + 1));
    // A bad phone number is refused with a reason, in Vietnamese.
    await page.fill('#name', 'Lê Văn B');
    await page.fill('#phone', '12');
    await page.click('form button');
    await page.waitForFunction(
      () => document.getElementById('formError')?.textContent === 'Số điện thoại không hợp lệ',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'reception.png'), fullPage: true });
    // The manual entry is in the journal, on its way to the hub like any check-in.
    expect(controller.journal.pendingCount()).toBe(before + 1);
    // A scan made meanwhile shows up without reloading.
    await scanner.scan(CCCD);
    await page.waitForFunction((n) => document.querySelectorAll('#list tbody tr').length === n + 2, before);
    await page.close();
  });
});
