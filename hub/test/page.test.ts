/**
 * The hub's page in real Chromium, in Vietnamese and English, in a browser set to en-US and New York
 * time (so dd/MM/yyyy and Vietnam hours cannot come from the browser): the login form alone (the
 * dashboard no longer shows under it), login refusals as sentences (429 included), tabs at full
 * width, site names instead of codes, typed dd/MM/yyyy days, the fleet table sorted and searched, a
 * kiosk's page, the hourly chart's bars under their own hour, and a session that ends → the login form.
 */
import {
  DOCTOR_SCHEMA_ID,
  type DoctorReport,
  validateDoctorReport,
  vnDay,
  vnDayStart,
} from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, requireChromium, sampleCheckin } from '@qrkiosk/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFleet } from './fleet-fixtures.js';
import { httpHub } from './http-server.js';

const ADMIN = '0900000001';
const OFFICER = '0900000002';
const PASSWORD = 'page-password';
const VN_DAY = vnDay(new Date());
const vnDate = (day: string) => day.split('-').reverse().join('/');
/** A Vietnam hour today that has begun (a multiple of 3, so the axis labels it). */
const HOUR = Math.floor(((new Date().getUTCHours() + 7) % 24) / 3) * 3;

/** A doctor report as `qrkiosk doctor --json` writes it (two of its checks). */
const doctorReport = (): DoctorReport => ({
  schema: DOCTOR_SCHEMA_ID,
  kiosk: 'k-0001',
  site: 's-0001',
  at: new Date().toISOString(),
  software: '0.2.0',
  config: '/etc/qrkiosk/kiosk.yaml',
  status: 'warn',
  checks: [
    {
      id: 'scanner',
      status: 'ok',
      message: { vi: 'Máy quét đã kết nối', en: 'Scanner connected' },
      fix: { vi: '', en: '' },
      values: { connected: true },
    },
    {
      id: 'disk',
      status: 'warn',
      message: { vi: 'Ổ đĩa đầy 91 %', en: 'Disk 91 % full' },
      fix: { vi: 'Dọn nhật ký cũ', en: 'Prune old journals' },
      values: { usedPercent: 91 },
    },
  ],
});

describe('hub page in Chromium', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let browser: Browser;
  let page: Page;
  const logIn = async (p: Page, phone: string) => {
    await p.fill('#phone', phone);
    await p.fill('#password', PASSWORD);
    await p.click('#loginForm button');
    await p.waitForSelector('#app:not([hidden])');
  };
  const rows = (p: Page, table: string) =>
    p.$$eval(`#${table} tbody tr`, (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')),
    );

  beforeAll(async () => {
    hub = await httpHub('sqlite', { loginsPerMinute: 100, liveSessionCheckMs: 1500 });
    await seedFleet(hub.store, 12, 30);
    await hub.store.users.add(ADMIN, PASSWORD, 'admin', ['*']);
    await hub.store.users.add(OFFICER, PASSWORD, 'officer', ['district:760']);
    const start = vnDayStart(VN_DAY).getTime() + HOUR * 3600_000;
    for (let i = 0; i < 3; i++)
      await hub.store.addCheckin(
        sampleCheckin({
          site: 's-0001',
          kiosk: 'k-0001',
          at: new Date(start + (10 + i) * 60_000).toISOString(),
        }),
        new Date(),
      );
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    const context = await browser.newContext({
      locale: 'en-US',
      timezoneId: 'America/New_York',
      viewport: { width: 1366, height: 768 },
    });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('shows the login form alone and says why a login is refused, in the UI language', async () => {
    await page.goto(hub.address);
    await page.waitForSelector('#login:not([hidden])');
    // `main {display:grid}` once overrode `hidden`: the empty dashboard showed under the form.
    expect(await page.isVisible('#app')).toBe(false);
    expect(await page.isVisible('#tabs')).toBe(false);
    // An empty field: the browser's own message would be English here (en-US); the page says it in Vietnamese.
    await page.click('#loginForm button');
    expect(await page.$eval('#phone', (i) => (i as HTMLInputElement).validationMessage)).toBe(
      'Hãy điền ô này.',
    );
    await page.fill('#phone', ADMIN);
    await page.fill('#password', 'wrong');
    await page.click('#loginForm button');
    await page.waitForFunction(
      () => document.getElementById('loginError')?.textContent === 'Sai số điện thoại hoặc mật khẩu',
    );
    await page.click('#lang');
    expect(await page.textContent('#loginTitle')).toBe('Log in');
    await page.click('#loginForm button');
    await page.waitForFunction(
      () => document.getElementById('loginError')?.textContent === 'Wrong phone number or password',
    );
    await page.click('#lang');
    // A rate-limited login (429) reads as a sentence with the wait, not "429".
    const limited = await httpHub('sqlite', { loginsPerMinute: 1 });
    try {
      const p = await page.context().newPage();
      await p.goto(limited.address);
      for (let i = 0; i < 2; i++) {
        await p.fill('#phone', ADMIN);
        await p.fill('#password', 'wrong');
        await p.click('#loginForm button');
      }
      await p.waitForFunction(() =>
        document.getElementById('loginError')?.textContent?.startsWith('Quá nhiều lần đăng nhập'),
      );
      expect(await p.textContent('#loginError')).toMatch(
        /^Quá nhiều lần đăng nhập từ địa chỉ này; thử lại sau \d+ giây$/,
      );
      await p.close();
    } finally {
      await limited.stop();
    }
  });

  it('has a full-width tab per view, site names for codes, Vietnam times as dd/MM/yyyy HH:mm', async () => {
    await logIn(page, ADMIN);
    const tabs = await page.$$eval('#tabs a', (as) => as.map((a) => a.textContent));
    expect(tabs).toEqual([
      'Trực tiếp',
      'Kiosk',
      'Báo cáo',
      'Truy vết',
      'Thẻ QR',
      'Cảnh báo',
      'Cập nhật',
      'Người dùng',
    ]);
    for (const view of ['kiosks', 'reports', 'tracing', 'passes', 'alerts', 'updates', 'users', 'live']) {
      await page.click(`#tabs a[data-view="${view}"]`);
      await page.waitForSelector(`#app[data-view="${view}"] section`);
      const width = await page.$eval('#app > :first-child', (s) => s.getBoundingClientRect().width);
      expect(width, view).toBeGreaterThan(1366 * 0.9);
      expect(await page.getAttribute(`#tabs a[data-view="${view}"]`, 'aria-current')).toBe('page');
    }
    await page.waitForFunction(() => document.querySelectorAll('#checkins tbody tr').length === 3);
    const [first] = await rows(page, 'checkins');
    expect(first?.[0]).toMatch(new RegExp(`^${vnDate(VN_DAY)} ${String(HOUR).padStart(2, '0')}:12$`));
    expect(first?.[1]).toBe('Trường số 1 Tân Định');
  });

  it('draws the hourly chart with a scale and each bar above its own Vietnam hour', async () => {
    const bars = await page.$$eval('#chart div', (els) =>
      els.map((el) => Number((el as HTMLElement).dataset.n)),
    );
    expect(bars).toHaveLength(24);
    expect(bars[HOUR]).toBe(3);
    expect(bars.reduce((a, b) => a + b, 0)).toBe(3);
    // The scale: 0 at the bottom, a top at least the highest bar.
    expect(await page.$$eval('.chart .yaxis span', (s) => s.map((x) => x.textContent))).toEqual([
      '4',
      '2',
      '0',
    ]);
    // Every label sits under its own bar (the old axis put "18h" over the 17:00 bar).
    const misplaced = await page.evaluate(() => {
      const bars = [...document.querySelectorAll('#chart div')];
      const labels = [...document.querySelectorAll('.chart .xaxis span')];
      return labels.flatMap((l, h) => {
        if (!l.textContent) return [];
        const b = (bars[h] as Element).getBoundingClientRect();
        // The text's own box, not its cell's: a label wider than its cell must still centre on the bar.
        const range = document.createRange();
        range.selectNodeContents(l);
        const r = range.getBoundingClientRect();
        const mid = (r.left + r.right) / 2;
        return l.textContent === `${h}h` && mid >= b.left && mid <= b.right ? [] : [`${l.textContent}@${h}`];
      });
    });
    expect(misplaced).toEqual([]);
  });

  it('takes days typed as dd/MM/yyyy; the report links follow the day as it is typed', async () => {
    await page.click('#tabs a[data-view="reports"]');
    await page.waitForSelector('#reportTable tbody tr');
    expect(await page.inputValue('#reportDay')).toBe(vnDate(VN_DAY));
    await page.fill('#reportDay', '31/02/2026');
    expect(await page.$eval('#reportDay', (i) => (i as HTMLInputElement).validationMessage)).toBe(
      'Ngày không hợp lệ; hãy nhập nn/tt/nnnn, ví dụ 30/10/2021',
    );
    await page.fill('#reportDay', '01/11/2026');
    expect(await page.getAttribute('#reportCsv', 'href')).toBe('/api/report?day=2026-11-01&format=csv');
    expect(await page.getAttribute('#reportPrint', 'href')).toBe('/report?day=2026-11-01');
    await page.fill('#reportDay', vnDate(VN_DAY));
    await page.click('#reportRun');
    await page.waitForFunction(() =>
      document.getElementById('noScans')?.textContent?.includes('Bệnh viện số 2 Đa Kao'),
    );
    const names = (await rows(page, 'reportTable')).map((r) => r[0]);
    expect(names).toContain('Trường số 1 Tân Định');
  });

  it('sorts the fleet by any column, searches without accents, and opens a kiosk page', async () => {
    await page.click('#tabs a[data-view="kiosks"]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 30);
    const disk = async () => (await rows(page, 'fleet')).map((r) => Number.parseInt(r[12] ?? '', 10));
    await page.click('#fleet th[data-key="disk"] button');
    const up = await disk();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await page.click('#fleet th[data-key="disk"] button');
    const down = await disk();
    expect(down).toEqual([...up].reverse());
    expect(await page.getAttribute('#fleet th[data-key="disk"]', 'aria-sort')).toBe('descending');
    await page.click('#fleet th[data-key="lastSeen"] button');
    // Oldest first: the kiosks silent for three hours (fleet-fixtures.ts).
    expect((await rows(page, 'fleet'))[0]?.[3]).toBe('3 giờ trước');
    await page.fill('#app .search', 'tan dinh');
    const found = await rows(page, 'fleet');
    // Sites 1, 6 and 11 are in Tân Định, with kiosks 1, 13, 25, 6, 18, 30, 11 and 23.
    expect(found.length).toBe(8);
    expect(found.every((r) => r[0]?.includes('Tân Định'))).toBe(true);
    await page.fill('#app .search', '');
    // A kiosk's update state in the page's language, with the version it tried (k-0009 rolled back).
    expect(await page.textContent('#fleet tbody tr[data-kiosk="k-0009"] td:nth-child(5)')).toBe(
      '0.1.0 (đã quay lại bản cũ → 0.2.0)',
    );
    await page.selectOption('#fleetFilter', 'offline');
    expect((await rows(page, 'fleet')).map((r) => r[2])).toEqual(Array(4).fill('mất kết nối'));
    // The last doctor report comes from the fleet engineer's GET /api/kiosks/:kiosk/doctor; a stand-in
    // answers with a report that protocol's own schema accepts.
    const report = doctorReport();
    expect(validateDoctorReport(report)).toMatchObject({ ok: true });
    await page.route('**/api/kiosks/*/doctor', (route) => route.fulfill({ json: { at: report.at, report } }));
    await page.click('#fleet a.kiosk-link');
    await page.waitForSelector('#kioskTitle');
    expect(page.url()).toMatch(/#\/kiosk\/k-00\d\d$/);
    expect(await page.textContent('#kioskTitle')).toMatch(/^k-00\d\d — .+ số \d+ /);
    expect((await rows(page, 'telemetryHistory')).length).toBe(1);
    await page.waitForSelector('#doctorChecks tbody tr');
    expect(await rows(page, 'doctorChecks')).toEqual([
      ['scanner', 'tốt', 'Máy quét đã kết nối', ''],
      ['disk', 'cần xem', 'Ổ đĩa đầy 91 %', 'Dọn nhật ký cũ'],
    ]);
    await page.unroute('**/api/kiosks/*/doctor');
  });

  it('sends kiosk commands and shows every refusal as a sentence; buttons follow the role', async () => {
    // A stand-in for the fleet engineer's endpoint, answering in the contract's shapes
    // (/work/notes/i17-contracts.md), one answer per press.
    const answers = [
      { status: 200, body: { ok: true, result: { passed: true } } },
      {
        status: 200,
        body: {
          ok: false,
          error: { vi: 'Kiosk từ chối: level-lower', en: 'The kiosk refused: level-lower' },
        },
      },
      { status: 504, body: { error: { vi: 'kiosk không trả lời', en: 'the kiosk did not answer' } } },
      {
        status: 200,
        body: {
          ok: true,
          result: { schema: 'qrkiosk.doctor/1', status: 'warn', at: new Date().toISOString(), checks: [] },
        },
      },
      {
        status: 404,
        body: {
          message: 'Route POST:/api/kiosks/k-0001/commands not found',
          error: 'Not Found',
          statusCode: 404,
        },
      },
      { status: 200, body: { ok: true, result: { inForce: { level: 2 } } } },
    ];
    const sent: unknown[] = [];
    await page.route('**/api/kiosks/*/commands', async (route) => {
      if (route.request().method() === 'GET') return route.fulfill({ json: [] });
      sent.push(route.request().postDataJSON());
      const a = answers.shift() ?? { status: 500, body: {} };
      return route.fulfill({ status: a.status, json: a.body });
    });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${hub.address}/#/kiosk/k-0001`);
    await page.waitForSelector('#commandsBox .actions button');
    expect(
      await page.$$eval('#commandsBox .actions button', (b) =>
        b.map((x) => (x as HTMLElement).dataset.command),
      ),
    ).toEqual([
      'selftest',
      'resync',
      'doctor',
      'alert-level',
      'rotate-credentials',
      'revoke-enrolment',
      'clear-tightening',
    ]);
    const press = async (command: string, expected: string) => {
      await page.click(`#commandsBox .actions button[data-command="${command}"]`);
      await page.waitForFunction(
        (t) => document.getElementById('commandResult')?.textContent === t,
        expected,
      );
    };
    await press('selftest', 'Kiosk đã làm xong: Tự kiểm tra — {"passed":true}');
    await page.selectOption('#alertLevel', '3');
    await press('alert-level', 'Kiosk từ chối: level-lower');
    await press('resync', 'kiosk không trả lời');
    await press('doctor', 'Kiosk đã làm xong: Chạy chẩn đoán — warn');
    // A hub without the fleet's routes (Fastify's own 404, no words of the hub's): said plainly.
    await press('rotate-credentials', 'Hub này chưa hỗ trợ lệnh tới kiosk.');
    // An admin's way back from a remote tightening (hostile review #13), confirmed like the other two.
    await press(
      'clear-tightening',
      'Kiosk đã làm xong: Bỏ siết chặt từ xa (về quy tắc đã ký) — {"inForce":{"level":2}}',
    );
    expect(sent).toEqual([
      { command: 'selftest' },
      { command: 'alert-level', level: 3 },
      { command: 'resync' },
      { command: 'doctor' },
      { command: 'rotate-credentials' },
      { command: 'clear-tightening' },
    ]);
    await page.unroute('**/api/kiosks/*/commands');
  });

  it('returns to the login form with a message when the session ends, and back to where it was', async () => {
    const sessionId = async () =>
      (await page.context().cookies()).find((c) => c.name === 'qrk_session')?.value ?? '';
    // An API call that meets 401 (the session ended elsewhere): the login form, not an error.
    await page.goto(`${hub.address}/#/reports`);
    await page.waitForSelector('#reportRun');
    await hub.store.users.logout(await sessionId());
    await page.click('#reportRun');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#loginNotice')).toBe('Phiên đăng nhập đã hết. Hãy đăng nhập lại.');
    expect(await page.isVisible('#app')).toBe(false);
    // The live feed's check (every 1.5 s here) closes with 4401: the same, not "reconnecting" for ever.
    await logIn(page, ADMIN);
    await page.click('#tabs a[data-view="live"]');
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === '● Đang nhận dữ liệu');
    await hub.store.users.logout(await sessionId());
    await page.waitForSelector('#login:not([hidden])', { timeout: 5000 });
    expect(await page.textContent('#loginNotice')).toBe('Phiên đăng nhập đã hết. Hãy đăng nhập lại.');
    expect(await page.textContent('#conn')).toBe('');
    // The printable report without a session: the login form says why, then the report's day.
    await page.goto(`${hub.address}/report?day=2026-11-01`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#loginNotice')).toBe('Hãy đăng nhập để mở trang này.');
    await logIn(page, ADMIN);
    await page.waitForSelector('#reportTable');
    expect(await page.inputValue('#reportDay')).toBe('01/11/2026');
    expect(new URL(page.url()).search).toBe('');
  });

  it('in English: tabs, headings, relative times, and errors from the hub', async () => {
    await page.click('#lang');
    expect(await page.$$eval('#tabs a', (as) => as.map((a) => a.textContent))).toEqual([
      'Live',
      'Kiosks',
      'Reports',
      'Tracing',
      'QR passes',
      'Alerts',
      'Updates',
      'Users',
    ]);
    await page.click('#tabs a[data-view="kiosks"]');
    await page.waitForSelector('#fleet tbody tr');
    expect(await page.$$eval('#fleet th', (th) => th.map((x) => x.textContent))).toEqual([
      'Site',
      'Kiosk',
      'Online',
      'Last seen',
      'Version',
      'Cache',
      'Rules',
      'Trust',
      'Data age',
      'Clock',
      'Scanner',
      'Outbox',
      'Disk',
      'Alerts',
    ]);
    await page.click('#fleet th[data-key="lastSeen"] button');
    expect((await rows(page, 'fleet'))[0]?.[3]).toBe('3 h ago');
    await page.click('#tabs a[data-view="tracing"]');
    await page.fill('#traceId', 'abc');
    await page.click('#traceForm button[type="submit"]');
    await page.waitForSelector('#traceResult p.error');
    expect(await page.textContent('#traceResult')).toBe('id: 6–20 digits or letters');
    // The language switch draws the view again: the form is new.
    await page.click('#lang');
    await page.fill('#traceId', 'abc');
    await page.click('#traceForm button[type="submit"]');
    await page.waitForFunction(
      () => document.getElementById('traceResult')?.textContent === 'Số giấy tờ: 6–20 chữ số hoặc chữ cái',
    );
  });

  it('an officer gets the commands of their role only, in their scope only', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    await logIn(page, OFFICER);
    await page.goto(`${hub.address}/#/kiosks`);
    await page.waitForSelector('#fleet tbody tr');
    const sites = new Set((await rows(page, 'fleet')).map((r) => r[0]));
    // District 760 holds sites 1, 6 and 11 of the 12 (fleet-fixtures.ts).
    expect([...sites].sort()).toEqual([
      'Trường số 1 Tân Định',
      'Trường số 11 Tân Định',
      'Trường số 6 Tân Định',
    ]);
    expect(await page.isVisible('#enrolBox')).toBe(false);
    await page.click('#fleet a.kiosk-link');
    await page.waitForSelector('#commandsBox .actions button');
    expect(
      await page.$$eval('#commandsBox .actions button', (b) =>
        b.map((x) => (x as HTMLElement).dataset.command),
      ),
    ).toEqual(['selftest', 'resync', 'doctor', 'alert-level']);
    await page.goto(`${hub.address}/#/kiosk/k-0002`);
    await page.waitForSelector('#app .error');
    expect(await page.textContent('#app .error')).toBe('Không có kiosk "k-0002" trong phạm vi của bạn');
  });
});
