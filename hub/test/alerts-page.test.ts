/**
 * The alerts view (hub/public/app/views/alerts.js) in real Chromium: an area officer sees the alerts
 * of their district in force and in the history, in Vietnamese then in English, dates dd/MM/yyyy
 * HH:mm, and nothing of another district. The alerts are stored as the engine stores them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_ARGS, REPO_ROOT, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHub } from './http-server.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const PASSWORD = 'mật-khẩu-đủ-dài';

describe('alerts page in Chromium', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    hub = await httpHub('sqlite');
    await hub.store.registerSites([
      { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' },
      { site: 's-002', name: 'Siêu thị Quận 7', district: '770', ward: '27139' },
    ]);
    await hub.store.users.add('0901000001', PASSWORD, 'officer', ['district:760']);
    const alerts = hub.store.repo.alerts;
    const raise = (
      key: string,
      site: string,
      kiosk: string | null,
      rule: string,
      at: string,
      vi: string,
      en: string,
    ) =>
      alerts.raise({
        key,
        rule,
        site,
        kiosk,
        severity: rule === 'silent' ? 'critical' : 'warning',
        detail: JSON.stringify({ vi, en }),
        raisedAt: new Date(at),
      });
    await raise(
      'silent:s-001:k-001',
      's-001',
      'k-001',
      'silent',
      '2026-11-26T02:11:00Z',
      'Kiosk k-001 im lặng 11 phút',
      'Kiosk k-001 silent for 11 min',
    );
    const old = await raise(
      'clock:s-001:k-002',
      's-001',
      'k-002',
      'clock',
      '2026-11-25T16:30:00Z',
      'Đồng hồ kiosk k-002 chưa đồng bộ',
      "Kiosk k-002's clock is not synchronised",
    );
    await alerts.clear(old?.id ?? 0, new Date('2026-11-25T17:00:00Z'));
    await raise(
      'silent:s-002:k-009',
      's-002',
      'k-009',
      'silent',
      '2026-11-26T02:00:00Z',
      'Kiosk k-009 im lặng',
      'Kiosk k-009 silent',
    );
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('lists the district’s alerts in force and the history, in vi then en; another district’s are not there', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(hub.address);
    await page.fill('#phone', '0901000001');
    await page.fill('#password', PASSWORD);
    await page.click('#loginButton');
    await page.waitForSelector('#tabs:not([hidden])');
    await page.goto(`${hub.address}/#/alerts`);
    await page.waitForSelector('#alertsActive tbody tr[data-alert]');
    const rows = (id: string) =>
      page.$$eval(`#${id} tbody tr[data-alert]`, (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())),
      );
    expect(await rows('alertsActive')).toEqual([
      [
        'nghiêm trọng',
        'Kiosk im lặng',
        'Chợ Bến Thành',
        'k-001',
        'Kiosk k-001 im lặng 11 phút',
        '26/11/2026 09:11',
      ],
    ]);
    expect(await rows('alertsHistory')).toEqual([
      [
        'nghiêm trọng',
        'Kiosk im lặng',
        'Chợ Bến Thành',
        'k-001',
        'Kiosk k-001 im lặng 11 phút',
        '26/11/2026 09:11',
        'đang diễn ra',
      ],
      [
        'cảnh báo',
        'Đồng hồ chưa đồng bộ',
        'Chợ Bến Thành',
        'k-002',
        'Đồng hồ kiosk k-002 chưa đồng bộ',
        '25/11/2026 23:30',
        '26/11/2026 00:00',
      ],
    ]);
    await page.screenshot({ path: join(ARTIFACTS, 'alerts-vi-1366x768.png'), fullPage: true });
    await page.click('#lang');
    await page.waitForFunction(() =>
      document.querySelector('#alertsActive tbody td:nth-child(5)')?.textContent?.includes('silent'),
    );
    expect((await rows('alertsActive'))[0]).toEqual([
      'critical',
      'Kiosk silent',
      'Chợ Bến Thành',
      'k-001',
      'Kiosk k-001 silent for 11 min',
      '26/11/2026 09:11',
    ]);
    expect(await page.textContent('#app h2')).toBe('Alerts in force');
    await page.close();
  });
});
