/**
 * The occupancy cap on the screens (issue #13, item 8), in real Chromium at 800×480: the verdict
 * screen and reception show the count the door goes by and whose it is (here a kiosk with no hub:
 * its own count, said so); at the cap the verdict screen shows the held entry's reason; reception's
 * "Đã ra" button frees a place, and the next person is let in.
 */
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import {
  CHROMIUM_ARGS,
  freePort,
  kioskYaml,
  makeTempDir,
  requireChromium,
  testerCccd,
} from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('the occupancy cap on the verdict screen and at reception, in Chromium at 800×480', () => {
  let browser: Browser;
  let controller: Controller;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    const loaded = settingsFromText(
      kioskYaml({
        direction: 'in',
        dataDir: makeTempDir('occupancy-screens-'),
        lines: [
          `ui: { port: ${port}, host: 127.0.0.1 }`,
          'rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW, level: 3, maxInside: { "3": 2 } }',
        ],
      }),
      'occupancy screens test',
      {},
    );
    controller = new Controller(loaded, { gpio: new SimGpio(), withoutUplink: true, withoutScanner: true });
    await controller.start();
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await controller?.stop();
  });

  it('shows the count and its scope; holds the third person; “Đã ra” frees a place', async () => {
    const verdict = await browser.newPage({ viewport: { width: 800, height: 480 } });
    await verdict.goto(base);
    const reception = await browser.newPage({ viewport: { width: 800, height: 480 } });
    await reception.goto(`${base}/reception`);
    await verdict.waitForFunction(() => !document.getElementById('occupancy')!.hidden);
    expect(await verdict.textContent('#occupancy')).toBe(
      'Trong địa điểm: 0/2 (chỉ kiosk này — mất kết nối trung tâm)',
    );

    const first = controller.scan(testerCccd(1))!.checkin!;
    expect(controller.scan(testerCccd(2))!.decision.verdict).toBe('ALLOW');
    const held = controller.scan(testerCccd(3))!;
    expect(held.decision.reason.code).toBe('occupancy-full');
    await verdict.waitForFunction(() => document.body.dataset.state === 'REVIEW');
    expect(await verdict.textContent('#reason')).toBe('Đã đủ số người (2/2) — chờ người ra');
    expect(await verdict.textContent('#occupancy')).toMatch(/^Trong địa điểm: 2\/2 /);
    expect(await verdict.getAttribute('#occupancy', 'class')).toBe('bad');

    await reception.waitForFunction(() => document.querySelectorAll('#list tbody tr').length === 3);
    expect(await reception.textContent('#cap')).toBe(
      'Giới hạn người trong địa điểm: 2/2 (chỉ đếm kiosk này — mất kết nối trung tâm) — ĐÃ ĐỦ — lượt vào tiếp theo chờ kiểm tra',
    );
    // The exit button is on admitted entries only: not on the held REVIEW (it has admit/refuse).
    expect(await reception.locator(`tr[data-id="${held.checkin!.id}"] button.leave`).count()).toBe(0);
    await reception.click(`tr[data-id="${first.id}"] button.leave`);
    await reception.waitForFunction(
      (id) => document.querySelector(`tr[data-id="${id}"]`)?.getAttribute('data-left') === 'true',
      first.id,
    );
    await reception.waitForFunction(() => document.getElementById('cap')!.textContent!.includes(': 1/2 '));
    expect(await reception.textContent('#occupancy')).toBe('1');
    expect(await reception.textContent('#outCount')).toBe('1');
    await verdict.waitForFunction(() =>
      document.getElementById('occupancy')!.textContent!.includes(': 1/2 '),
    );
    expect(controller.scan(testerCccd(4))!.decision.verdict).toBe('ALLOW');

    // English toggle: the scope is said in English too.
    await verdict.click('#lang');
    expect(await verdict.textContent('#occupancy')).toBe('Inside: 2/2 (this kiosk only — hub out of reach)');
    // The manual-entry form stays on screen at 800×480 with the exit buttons in the rows.
    for (const selector of ['#name', '#phone', '#manual button']) {
      const box = await reception.locator(selector).boundingBox();
      expect(box, selector).not.toBeNull();
      expect(box!.x + box!.width, selector).toBeLessThanOrEqual(800);
      expect(box!.y + box!.height, selector).toBeLessThanOrEqual(480);
    }
  });
});
