/**
 * Issue #19 on the fleet page, in real Chromium, Vietnamese then English: a kiosk past its data-age limit is
 * named in red with the kinds that are too old (one cut off since its last report too, aged by the hub), a fresh
 * one says "within limits", an older kiosk without the block shows "—"; a kiosk's page lists each kind's age and
 * limit and says its data-stale fault in words; a hub that cannot sign says why kiosks will go stale.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TELEMETRY_SCHEMA_ID, validateTelemetry } from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, REPO_ROOT, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_KEY } from '../src/fresh-publisher.js';
import { telemetry } from './fleet-fixtures.js';
import { httpHub } from './http-server.js';

const ADMIN = '0900000001';
const PASSWORD = 'page-password';
const H = 3600;
/** For a person to look at (never compared): the fleet and a stale kiosk's page. */
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

describe('data age on the fleet page in Chromium', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let browser: Browser;
  let page: Page;
  /** The data-age cell of a kiosk's row: its text and whether it is drawn in red. */
  const cell = (kiosk: string) =>
    page.$eval(`#fleet tbody tr[data-kiosk="${kiosk}"]`, (row) => {
      const keys = [...document.querySelectorAll('#fleet thead th')].map((th) => th.getAttribute('data-key'));
      const td = row.children[keys.indexOf('fresh')] as HTMLElement;
      return { text: td.textContent, red: td.querySelector('.bad') !== null };
    });

  beforeAll(async () => {
    hub = await httpHub('sqlite', {
      loginsPerMinute: 100,
      freshness: () => ({
        publishing: false,
        everyMinutes: 60,
        lastIssuedAt: null,
        statement: null,
        problem: NO_KEY,
      }),
    });
    await hub.store.registerSites([{ site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' }]);
    await hub.store.users.add(ADMIN, PASSWORD, 'admin', ['*']);
    const ok = { ageSeconds: H, maxSeconds: 48 * H, stale: false };
    const stale = telemetry('s-001', 'k-stale', {
      freshness: {
        facts: ok,
        rules: { ageSeconds: 50 * H, maxSeconds: 48 * H, stale: true },
        trust: { ageSeconds: null, maxSeconds: 48 * H, stale: false },
        revocation: { ageSeconds: 2 * H, maxSeconds: null, stale: false },
      },
      faults: ['data-stale'],
    });
    // Reported 2 h ago with its cache at 47 h of 48: cut off since, so past the limit now.
    const cutOff = telemetry('s-001', 'k-cut', {
      at: new Date(Date.now() - 2 * H * 1000).toISOString(),
      freshness: { facts: { ageSeconds: 47 * H, maxSeconds: 48 * H, stale: false }, rules: ok },
    });
    const fresh = telemetry('s-001', 'k-fresh', {
      freshness: { facts: ok, rules: ok, trust: ok, revocation: ok },
    });
    for (const t of [stale, cutOff, fresh, telemetry('s-001', 'k-old')]) {
      expect(validateTelemetry(t), t.kiosk).toMatchObject({ ok: true });
      expect(t.schema).toBe(TELEMETRY_SCHEMA_ID);
      await hub.store.setKioskTelemetry(t, new Date(t.at));
    }
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    page = await (
      await browser.newContext({ locale: 'en-US', viewport: { width: 1366, height: 768 } })
    ).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('names stale kinds in red, says within limits or — otherwise, and warns that the hub cannot sign', async () => {
    await page.goto(hub.address);
    await page.fill('#phone', ADMIN);
    await page.fill('#password', PASSWORD);
    await page.click('#loginForm button');
    await page.waitForSelector('#app:not([hidden])');
    await page.click('#tabs a[data-view="kiosks"]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 4);
    expect(await cell('k-stale')).toEqual({ text: 'quá cũ: quy tắc', red: true });
    expect(await cell('k-cut')).toEqual({ text: 'quá cũ: dữ liệu', red: true });
    expect(await cell('k-fresh')).toEqual({ text: 'trong giới hạn', red: false });
    expect(await cell('k-old')).toEqual({ text: '—', red: false });
    expect(await page.textContent('#freshBanner')).toBe(NO_KEY.vi);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'hub-fleet-data-age-vi.png') });

    await page.click('#fleet tbody tr[data-kiosk="k-stale"] a.kiosk-link');
    await page.waitForSelector('#kioskFreshness tbody tr');
    const rows = await page.$$eval('#kioskFreshness tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    expect(rows.map((r) => [r[0], r[3]])).toEqual([
      ['dữ liệu tiêm chủng/xét nghiệm', 'trong giới hạn'],
      ['quy tắc', 'quá cũ — cho phép thành KIỂM TRA'],
      ['danh sách tin cậy DCC', 'trong giới hạn'],
      ['danh sách thu hồi DCC', 'trong giới hạn'],
    ]);
    // Whole hours, as limits are set: 50 h against 48 h, not "2 days" against "2 days".
    expect(rows[1]?.slice(1, 3)).toEqual(['50 giờ', '48 giờ']);
    expect(rows[2]?.[1]).toBe('chưa cài');
    expect(rows[3]?.[2]).toBe('không giới hạn');
    expect(await page.textContent('#kioskFaults')).toBe('Lỗi đang có: Dữ liệu quá cũ — kiểm tra giấy tờ');
    await page.screenshot({ path: join(SHOTS, 'hub-kiosk-data-age-vi.png'), fullPage: true });
  });

  it('in English', async () => {
    await page.click('#lang');
    await page.waitForSelector('#kioskFreshness tbody tr');
    expect(await page.textContent('#kioskFaults')).toBe('Faults now: Data too old — check documents');
    expect(await page.textContent('#kioskFreshness tbody tr:nth-child(2)')).toContain(
      'too old — ALLOW becomes REVIEW',
    );
    await page.click('#tabs a[data-view="kiosks"]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 4);
    expect(await cell('k-stale')).toEqual({ text: 'too old: rules', red: true });
    expect(await cell('k-fresh')).toEqual({ text: 'within limits', red: false });
    expect(await page.textContent('#freshBanner')).toBe(NO_KEY.en);
  });
});
