/**
 * The hub's page in real Chromium (Playwright): login (a wrong password refused), a check-in
 * published by a kiosk over a real Mosquitto appears live, a tracing query returns the co-visitors,
 * the daily report lists a site without scans; sessions, CSRF and roles enforced on the API.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckinMessage, hashIdentity, kioskTopics, vnDay } from '@qrkiosk/protocol';
import {
  CHROMIUM_ARGS,
  REPO_ROOT,
  type RunningMosquitto,
  requireChromium,
  sampleCheckin,
  startMosquitto,
} from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';
import { logIn } from './session.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const key = randomBytes(32);
const F0 = '079090001234';

describe.each(ENGINES)('hub dashboard in Chromium on %s', (engine) => {
  let broker: RunningMosquitto;
  let hub: Hub;
  let address: string;
  let kiosk: MqttClient;
  let browser: Browser;
  const checkin = (who: string, at: Date, site = 's-001'): CheckinMessage =>
    sampleCheckin({
      id: ulid(at.getTime()),
      site,
      at: at.toISOString(),
      document: {
        numberMasked: `********${who.slice(-4)}`,
        nameMasked: `NGƯỜI ${who.slice(-4)}`,
        idHash: hashIdentity(key, 'cccd', who).toString('hex'),
      },
    });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    broker = await startMosquitto();
    const { database, dataDir } = await newDatabase(engine);
    hub = new Hub({
      mqtt: {
        url: broker.url,
        protocolVersion: 5,
        ...(engine === 'postgres' ? { shareGroup: 'hub', lanes: 2 } : {}),
      },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      hashKey: key,
      loginsPerMinute: 8,
      log: pino({ level: 'silent' }),
    });
    address = await hub.start();
    await hub.store!.users.add('0900000001', 'admin-password', 'admin', ['*']);
    await hub.store!.users.add('0900000002', 'owner-password', 'site-owner', ['s-002']);
    await hub.store!.setKioskState('s-003', 'k-003', 'online', new Date());
    kiosk = await connectAsync(broker.url, { protocolVersion: 5 });
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await kiosk?.endAsync();
    await hub?.stop();
    await broker?.stop();
  });

  it('logs in, shows a scan live, traces co-visitors and reports sites without scans', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => process.env.QRKIOSK_DEBUG && console.log('page:', m.text()));
    page.on('pageerror', (e) => process.env.QRKIOSK_DEBUG && console.log('pageerror:', e.message));
    await page.goto(address);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#phone', '0900000001');
    await page.fill('#password', 'wrong-password');
    await page.click('#loginForm button');
    await page.waitForFunction(
      () => document.getElementById('loginError')?.textContent === 'Sai số điện thoại hoặc mật khẩu',
    );
    await page.fill('#password', 'admin-password');
    await page.click('#loginForm button');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === '● Đang nhận dữ liệu');

    const now = Date.now();
    // The newer check-in is sent first and the older one is waited for before the list is read: by
    // arrival the older one would head the list every run; by check-in time the newer one does. (Sent
    // the other way round, the order on the page depended on which of 32 ingest lanes was faster.)
    await kiosk.publishAsync(
      kioskTopics('s-001', 'k-001').checkin,
      JSON.stringify(checkin('001088000001', new Date(now - 60_000))),
      { qos: 1 },
    );
    await page.waitForFunction(
      () => document.querySelectorAll('#checkins tbody tr').length === 1,
      undefined,
      { timeout: 5000 },
    );
    await kiosk.publishAsync(
      kioskTopics('s-001', 'k-001').checkin,
      JSON.stringify(checkin(F0, new Date(now - 5 * 60_000))),
      { qos: 1 },
    );
    await page.waitForFunction(
      () => document.querySelectorAll('#checkins tbody tr').length === 2,
      undefined,
      { timeout: 5000 },
    );
    expect(await page.textContent('#checkins tbody tr:first-child')).toContain('********0001');
    // The API's recent list is in the same order (check-in time, then id), whatever the arrival.
    const recent = (await page.evaluate(() =>
      fetch('/api/checkins').then((r) => r.json()),
    )) as CheckinMessage[];
    expect(recent.map((c) => c.document.numberMasked)).toEqual(['********0001', '********1234']);

    // The chart counts the live check-ins of today (Vietnam hours) without a reload.
    const bars = await page.$$eval('#chart div', (els) =>
      els.reduce((n, el) => n + Number((el as HTMLElement).dataset.n), 0),
    );
    // The hourly chart counts today's scans (Vietnam hours).
    const hourly = (await page.evaluate(() => fetch('/api/hourly').then((r) => r.json()))) as {
      hours: number[];
    };
    const today = vnDay(new Date());
    const expected = [now - 5 * 60_000, now - 60_000].filter((t) => vnDay(new Date(t)) === today).length;
    expect(hourly.hours.reduce((a, b) => a + b, 0)).toBe(expected);
    expect(bars).toBe(expected);
    await page.click('#tabs a[data-view="tracing"]');
    await page.fill('#traceId', F0);
    await page.click('#traceForm button');
    // The visit and the one person there with them, masked (hub/test/tracing-page.test.ts tests the rest).
    await page.waitForSelector('#traceVisits tbody tr');
    expect(await page.textContent('#traceVisits tbody')).toContain('k-001');
    expect(await page.textContent('#tracePeople tbody')).toContain('********0001');
    expect(await page.textContent('#traceSummary')).toMatch(/Lượt đến: 1.*F1: 1 người/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#traceCsv')]);
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    expect(csv.split('\n')[1]).toContain(',F1-001,1,');
    expect(csv.split('\n')[1]).toContain(',s-001,');
    expect(csv).not.toContain(F0);
    // s-003 has a kiosk but no scan today: it heads today's list, in red.
    await page.click('#tabs a[data-view="live"]');
    expect(await page.textContent('#today tr.zero')).toContain('s-003');
    expect(await page.textContent('#idleToday')).toBe('Chưa quét hôm nay: 1');

    await page.click('#tabs a[data-view="reports"]');
    // The day is typed as Vietnam writes it (dd/MM/yyyy), whatever the browser's locale.
    await page.fill('#reportDay', vnDay(new Date()).split('-').reverse().join('/'));
    await page.click('#reportRun');
    await page.waitForFunction(() => document.getElementById('noScans')?.textContent?.includes('s-003'));
    await page.screenshot({ path: join(ARTIFACTS, `hub-dashboard-${engine}.png`), fullPage: true });
    // The printable report opens from the dashboard with the same session.
    const [print] = await Promise.all([page.context().waitForEvent('page'), page.click('#reportPrint')]);
    await print.waitForLoadState();
    expect(await print.title()).toContain('Báo cáo check-in ngày');
    expect(await print.textContent('#no-scans')).toContain('s-003');
    expect(Number(await print.textContent('#total'))).toBe(expected);
    await print.screenshot({ path: join(ARTIFACTS, `hub-report-print-${engine}.png`), fullPage: true });
    await print.close();
    const audit = (await hub.store!.auditLog()).map((a) => a.action);
    expect(audit).toEqual(
      expect.arrayContaining(['login-failed', 'login', 'trace', 'trace-export', 'report']),
    );
    expect(JSON.stringify(await hub.store!.auditLog())).not.toContain(F0);
    await page.close();
  });

  const login = (phone: string, password: string) => logIn(address, phone, password);

  it('an area officer sees only the sites of their district once the sites are registered', async () => {
    const admin = await login('0900000001', 'admin-password');
    const register = (csrf?: string) =>
      fetch(`${address}/api/sites`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: admin.cookie,
          ...(csrf ? { 'x-csrf-token': csrf } : {}),
        },
        body: JSON.stringify([
          { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' },
          {
            site: 's-003',
            name: 'Siêu thị',
            district: '770',
            ward: '27139',
            address: '12 Nguyễn Huệ, Quận 1',
          },
        ]),
      });
    expect((await register()).status).toBe(403);
    expect((await register(admin.csrf)).status).toBe(200);
    await hub.store!.users.add('0900000003', 'officer-password', 'officer', ['district:770']);
    const officer = await login('0900000003', 'officer-password');
    const get = async (path: string) =>
      (await fetch(`${address}${path}`, { headers: { cookie: officer.cookie } })).json() as Promise<unknown>;
    expect((await get('/api/kiosks')) as Array<{ site: string }>).toEqual([
      expect.objectContaining({ site: 's-003' }),
    ]);
    expect(await get('/api/checkins')).toEqual([]);
    expect(await get('/api/sites')).toEqual([
      { site: 's-003', name: 'Siêu thị', district: '770', ward: '27139', address: '12 Nguyễn Huệ, Quận 1' },
    ]);
    const report = (await get(`/api/report?day=${vnDay(new Date())}`)) as {
      sites: Array<{ site: string }>;
      areas: Array<{ district: string; sitesWithoutScans: string[] }>;
    };
    expect(report.sites.map((x) => x.site)).toEqual(['s-003']);
    expect(report.areas).toEqual([
      expect.objectContaining({ district: '770', sitesWithoutScans: ['s-003'] }),
    ]);
  });

  it('enforces sessions, CSRF and roles on the API', async () => {
    const owner = await login('0900000002', 'owner-password');
    const trace = (cookie: string, csrf?: string) =>
      fetch(`${address}/api/trace`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
        // The last 14 days (a trace's period is at most 60 days).
        body: JSON.stringify({
          type: 'cccd',
          id: F0,
          from: vnDay(new Date(Date.now() - 14 * 86_400_000)),
          to: vnDay(new Date()),
        }),
      });
    expect((await trace('')).status).toBe(401);
    expect((await trace(owner.cookie, owner.csrf)).status).toBe(403); // a site owner may not trace
    const admin = await login('0900000001', 'admin-password');
    expect((await trace(admin.cookie)).status).toBe(403); // no CSRF token
    expect((await trace(admin.cookie, admin.csrf)).status).toBe(200);
    // A site owner sees only their sites.
    const visible = (await (
      await fetch(`${address}/api/checkins`, { headers: { cookie: owner.cookie } })
    ).json()) as CheckinMessage[];
    expect(visible.every((c) => c.site === 's-002')).toBe(true);
    // Logins are rate-limited per address.
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++)
      statuses.push(
        (
          await fetch(`${address}/api/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ phone: '0900000009', password: 'x' }),
          })
        ).status,
      );
    expect(statuses).toContain(429);
  });
});
