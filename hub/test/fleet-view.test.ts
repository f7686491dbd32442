/**
 * The fleet's read model over HTTP on both engines: GET /api/fleet and GET /api/kiosks/:kiosk scoped
 * to the session (a kiosk outside it is a 404 like an unknown one), telemetry snapshots kept and
 * capped (migration 13); a past day's report counts the kiosks of that day; the printable report
 * sends a browser without a session to the login form and refuses a bad day with a page in both
 * languages; schema refusals said in Vietnamese too.
 */
import { validateTelemetry, vnDay } from '@qrkiosk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelemetryHistory } from '../src/telemetry-history.js';
import { ENGINES } from './engines.js';
import { telemetry } from './fleet-fixtures.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

describe.each(ENGINES)('fleet read model on %s', (engine) => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let admin: { cookie: string; csrf: string };
  let officer: { cookie: string; csrf: string };
  const get = async (who: { cookie: string }, path: string) => {
    const r = await fetch(`${hub.address}${path}`, { headers: { cookie: who.cookie }, redirect: 'manual' });
    const text = await r.text();
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  };

  beforeAll(async () => {
    hub = await httpHub(engine, {
      activeAlerts: async () => [
        { site: 's-001', kiosk: 'k-001' },
        { site: 's-001', kiosk: 'k-001' },
        { site: 's-001', kiosk: null },
      ],
    });
    await hub.store.registerSites([
      { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' },
      { site: 's-002', name: 'Siêu thị Cầu Kho', district: '770', ward: '27139' },
    ]);
    await hub.store.users.add('0900000001', 'admin-password', 'admin', ['*']);
    await hub.store.users.add('0900000003', 'officer-password', 'officer', ['district:770']);
    admin = await logIn(hub.address, '0900000001', 'admin-password');
    officer = await logIn(hub.address, '0900000003', 'officer-password');
    const t1 = telemetry('s-001', 'k-001', {
      at: new Date(Date.now() - 60_000).toISOString(),
      outboxDepth: 4,
      faults: ['disk-low'],
      update: { state: 'idle' },
    });
    expect(validateTelemetry(t1)).toMatchObject({ ok: true });
    await hub.store.setKioskTelemetry(t1, new Date(t1.at));
    await hub.store.setKioskTelemetry(telemetry('s-002', 'k-002'), new Date());
    await hub.store.setKioskState('s-002', 'k-003', 'offline', new Date(Date.now() - 3600_000));
  });
  afterAll(async () => hub?.stop());

  it('lists the fleet in the contract shape, with site names and ages brought up to now', async () => {
    const r = await get(admin, '/api/fleet');
    expect(r.status).toBe(200);
    const rows = r.json() as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.kiosk)).toEqual(['k-001', 'k-002', 'k-003']);
    const k1 = rows[0] as Record<string, unknown>;
    expect(k1).toMatchObject({
      site: 's-001',
      siteName: 'Chợ Bến Thành',
      state: 'online',
      online: true,
      software: '0.1.0',
      clockSynced: true,
      scannerConnected: true,
      outboxDepth: 4,
      outboxOldestAt: null,
      diskUsedPercent: 40,
      update: { state: 'idle' },
      faults: ['disk-low'],
      alerts: 2,
    });
    // Reported 60 s ago with a 7,200 s old cache: the page shows it as about 7,260 s old now.
    expect(k1.cacheAgeSeconds).toBeGreaterThanOrEqual(7_259);
    expect(k1.cacheAgeSeconds).toBeLessThan(7_300);
    expect(k1.rulesAgeSeconds).toBeGreaterThanOrEqual(86_459);
    expect(k1.trustAgeSeconds).toBeGreaterThanOrEqual(3 * 86_400 + 59);
    // A kiosk that never sent telemetry: nulls, not zeros (the page shows "—").
    expect(rows[2]).toMatchObject({
      online: false,
      software: null,
      cacheAgeSeconds: null,
      diskUsedPercent: null,
      faults: [],
      alerts: 0,
    });
  });

  it('scopes the fleet and a kiosk page to the session; out of scope is a 404 like unknown', async () => {
    const rows = (await get(officer, '/api/fleet')).json() as Array<{ kiosk: string; siteName: string }>;
    expect(rows.map((x) => [x.kiosk, x.siteName])).toEqual([
      ['k-002', 'Siêu thị Cầu Kho'],
      ['k-003', 'Siêu thị Cầu Kho'],
    ]);
    const hidden = await get(officer, '/api/kiosks/k-001');
    const unknown = await get(officer, '/api/kiosks/k-999');
    expect(hidden.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(hidden.json().error.vi).toContain('Không có kiosk');
    expect((await get({ cookie: '' }, '/api/fleet')).status).toBe(401);
    expect((await get(admin, '/api/kiosks/..%2Fetc')).status).toBe(400);
    expect((await get(admin, '/api/fleet?x=1')).status).toBe(400);
  });

  it("a kiosk's page: its telemetry now and its history, newest first", async () => {
    const r = await get(admin, '/api/kiosks/k-001');
    expect(r.status).toBe(200);
    const k = r.json();
    expect(k).toMatchObject({ kiosk: 'k-001', site: 's-001', siteName: 'Chợ Bến Thành', alerts: 2 });
    expect(k.telemetry).toMatchObject({ schema: 'qrkiosk.telemetry/1', outboxDepth: 4 });
    expect(k.history).toHaveLength(1);
    expect(k.history[0]).toMatchObject({
      uptimeSeconds: 3600,
      outboxDepth: 4,
      cacheAgeSeconds: 7200,
      diskUsedPercent: 40,
    });
  });

  it('keeps one snapshot per interval per kiosk and only the newest few', async () => {
    const history = new TelemetryHistory(hub.store.repo, 60_000, 3);
    const t0 = Date.parse('2026-01-05T01:00:00Z');
    for (let m = 0; m < 10; m++) {
      const at = new Date(t0 + m * 30_000);
      await history.record(telemetry('s-009', 'k-009', { at: at.toISOString(), outboxDepth: m }), at);
    }
    // Every 30 s for 4.5 min, one kept a minute: 0, 2, 4, 6, 8; the newest 3 stay.
    const rows = await history.list('s-009', 'k-009');
    expect(rows.map((x) => x.outboxDepth)).toEqual([8, 6, 4]);
    expect(rows[0]?.at).toBe(new Date(t0 + 8 * 30_000).toISOString());
  });

  it("a past day's report counts the kiosks that existed that day, not today's", async () => {
    const yesterday = vnDay(new Date(Date.now() - 86_400_000));
    const past = (await get(admin, `/api/report?day=${yesterday}`)).json() as {
      sites: Array<{ site: string; kiosks: number }>;
    };
    const today = (await get(admin, `/api/report?day=${vnDay(new Date())}`)).json() as typeof past;
    // Every kiosk here was first seen today (k-003 an hour ago, which may be yesterday in Vietnam).
    const count = (r: typeof past, site: string) => r.sites.find((s) => s.site === site)?.kiosks;
    expect(count(today, 's-001')).toBe(1);
    expect(count(today, 's-002')).toBe(2);
    expect(count(past, 's-001')).toBe(0);
    expect(count(past, 's-002')).toBe(vnDay(new Date(Date.now() - 3600_000)) === yesterday ? 1 : 0);
  });

  it('the printable report: no session → the login form with a message; a bad day → a page in both languages', async () => {
    const r = await get({ cookie: '' }, '/report?day=2021-10-30');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/?login=required#/reports/2021-10-30');
    for (const day of ['2021-02-30', '2021-13-45', '', '0000-00-00']) {
      const bad = await get(admin, `/report?day=${day}`);
      expect(bad.status, day).toBe(400);
      expect(bad.headers.get('content-type')).toContain('text/html');
      expect(bad.text).toContain('không phải là ngày hợp lệ');
      expect(bad.text).toContain('is not a real day');
    }
    const long = await get(admin, '/report?day=2021-10-30-and-more');
    expect(long.status).toBe(400);
    expect(long.text).toContain('Yêu cầu không hợp lệ: &quot;day&quot; dài quá 10 ký tự');
    expect((await get(admin, '/report?day=2024-02-29')).status).toBe(200);
  });

  it('says a schema refusal in Vietnamese as well as English', async () => {
    const r = await fetch(`${hub.address}/api/trace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      body: JSON.stringify({
        type: 'cccd',
        id: '079090001234',
        from: '2021-10-30',
        to: '2021-10-30',
        window: 10_000,
      }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: unknown }).error).toEqual({
      vi: 'Yêu cầu không hợp lệ: "window" phải ≤ 720',
      en: 'Invalid request: "window" must be at most 720',
    });
  });
});
