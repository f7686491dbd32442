/**
 * Reception after the guard's outcomes (issue #13 item 7), in real Chromium at 800×480: only admitted
 * people count as "Vào"/"Đang ở trong", refused and pending checks are counted apart, a person
 * checked in twice counts once, a REVIEW is let in from the page (one relay pulse), and the manual
 * form stays on screen. A forged POST (no token, or another Origin) is refused with a reason.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, hashIdentity, NO_FACTS, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import {
  CHROMIUM_ARGS,
  freePort,
  kioskYaml,
  makeTempDir,
  REPO_ROOT,
  relayPulses,
  requireChromium,
  testerCccd,
} from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const ALLOWED = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021';

describe('reception counts after the guard’s outcomes, in Chromium at 800×480', () => {
  let browser: Browser;
  let controller: Controller;
  let gpio: SimGpio;
  let base: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    const loaded = settingsFromText(
      kioskYaml({
        direction: 'in',
        dataDir: makeTempDir('reception-outcomes-'),
        lines: [
          `ui: { port: ${port}, host: 127.0.0.1 }`,
          'rules: { duplicateWindowSeconds: 0, unknownPerson: REVIEW }',
        ],
      }),
      'reception outcomes test',
      {},
    );
    gpio = new SimGpio();
    controller = new Controller(loaded, { gpio, withoutUplink: true, withoutScanner: true });
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
  });

  it('admitted only inside, refused and pending apart, a repeat once; let in from the page; the form in view', async () => {
    // The same admitted person twice (outside any duplicate window here), three people for review.
    expect(controller.scan(ALLOWED)?.decision.verdict).toBe('ALLOW');
    expect(controller.scan(ALLOWED)?.decision.verdict).toBe('ALLOW');
    const letIn = controller.scan(testerCccd(1))!.checkin!;
    const waiting = controller.scan(testerCccd(2))!.checkin!;
    const refused = controller.scan(testerCccd(3))!.checkin!;
    expect([letIn.verdict, waiting.verdict, refused.verdict]).toEqual(['REVIEW', 'REVIEW', 'REVIEW']);
    gpio.press('deny'); // the button: the newest REVIEW only
    const pulsesBefore = relayPulses(gpio);

    const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
    await page.goto(`${base}/reception`);
    await page.waitForFunction(() => document.querySelectorAll('#list tbody tr').length === 5);
    const counts = async () =>
      Object.fromEntries(
        await Promise.all(
          ['inCount', 'outCount', 'occupancy', 'refusedCount', 'pendingCount'].map(
            async (id) => [id, await page.textContent(`#${id}`)] as const,
          ),
        ),
      );
    expect(await counts()).toEqual({
      inCount: '1',
      outCount: '0',
      occupancy: '1',
      refusedCount: '1',
      pendingCount: '2',
    });
    expect(await page.getAttribute(`tr[data-id="${refused.id}"]`, 'data-outcome')).toBe('denied');

    await page.click(`tr[data-id="${letIn.id}"] button.admit`);
    await page.waitForFunction(
      (id) => document.querySelector(`tr[data-id="${id}"]`)?.getAttribute('data-outcome') === 'admitted',
      letIn.id,
    );
    expect(await counts()).toEqual({
      inCount: '2',
      outCount: '0',
      occupancy: '2',
      refusedCount: '1',
      pendingCount: '1',
    });
    expect(await page.locator(`tr[data-id="${waiting.id}"] button.admit`).count()).toBe(1);
    // Let in from the page for an earlier check — not the one the door shows now (that was denied at
    // the button): recorded only; the door does not open for whoever stands there now.
    expect(relayPulses(gpio)).toBe(pulsesBefore);

    // The manual-entry form is on screen at 800×480, its button included.
    for (const selector of ['#name', '#phone', '#manual button']) {
      const box = await page.locator(selector).boundingBox();
      expect(box, selector).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, selector).toBeLessThanOrEqual(800);
      expect(box!.y + box!.height, selector).toBeLessThanOrEqual(480);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'reception-800x480.png') });
    await page.close();
  });

  it('a forged outcome POST is refused with a reason: no token, another Origin', async () => {
    const review = controller.scan(testerCccd(9))!.checkin!;
    const body = JSON.stringify({ checkin: review.id, outcome: 'admitted' });
    const noToken = await fetch(`${base}/api/outcome`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body,
    });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { vi: string } }).error.vi).toMatch(
      /không đến từ trang lễ tân/,
    );
    const page = await (await fetch(`${base}/reception`)).text();
    const token = /name="qrkiosk-token" content="([0-9a-f]+)"/.exec(page)?.[1] ?? '';
    const otherOrigin = await fetch(`${base}/api/outcome`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'http://evil.example',
        'x-qrkiosk-token': token,
      },
      body,
    });
    expect(otherOrigin.status).toBe(403);
    expect(controller.journal.outcomesSince(new Date(0).toISOString()).map((o) => o.checkin)).not.toContain(
      review.id,
    );
  });
});
