/**
 * What a hostile client tries on the hub's HTTP API (issue #12, defects 10 and 16): password
 * guessing from many addresses (per-address limit, IPv6 by /64, per-account back-off), impossible
 * days, unknown and oversize parameters. Behind the documented proxy setup (`trustProxy`), so each
 * request can come from its own address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from './engines.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const PHONE = '0900000001';
const PASSWORD = 'limits-password';

describe.each(ENGINES)('login limits on %s', (engine) => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  beforeAll(async () => {
    hub = await httpHub(engine, { trustProxy: '127.0.0.1', loginsPerMinute: 5 });
    await hub.store.users.add(PHONE, PASSWORD, 'admin', ['*']);
  });
  afterAll(async () => hub?.stop());
  const login = async (from: string, phone: string, password = 'wrong-password') => {
    const r = await fetch(`${hub.address}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body: JSON.stringify({ phone, password }),
    });
    return {
      status: r.status,
      body: (await r.json()) as { error?: { vi: string; en: string } },
      headers: r.headers,
    };
  };

  it('an address gets 5 tries a minute, then a 429 in Vietnamese and English', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('203.0.113.7', `090000010${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const r = await login('203.0.113.7', '0900000200');
    expect(r.body.error?.vi).toContain('Quá nhiều lần đăng nhập từ địa chỉ này');
    expect(r.body.error?.en).toContain('Too many logins from this address');
  });

  it('IPv6 addresses of one /64 share a limit; another /64 has its own', async () => {
    const statuses = [];
    for (let i = 1; i <= 6; i++) statuses.push((await login(`2001:db8:1:2::${i}`, `090000030${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await login('2001:db8:1:2:ffff:ffff:ffff:ffff', '0900000400')).status).toBe(429);
    expect((await login('2001:0db8:0001:0002:0:0:0:1', '0900000401')).status).toBe(429);
    expect((await login('2001:db8:1:3::1', '0900000402')).status).toBe(401);
  });

  it('one account gets 5 wrong passwords from any number of addresses, then waits, right password or not', async () => {
    const statuses = [];
    for (let i = 1; i <= 5; i++) statuses.push((await login(`198.51.100.${i}`, PHONE)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const locked = await login('198.51.100.50', PHONE, PASSWORD);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body.error?.vi).toContain('nhập sai mật khẩu nhiều lần');
    expect(locked.body.error?.en).toContain('Too many wrong passwords for this account');
    // Another account is not affected.
    await hub.store.users.add('0900000002', PASSWORD, 'officer', ['s-001']);
    expect((await login('198.51.100.51', '0900000002', PASSWORD)).status).toBe(200);
    const audit = (await hub.store.auditLog(20)).map((a) => a.action);
    expect(audit).toContain('login-locked');
  });

  it('a burst of 30 parallel guesses on one account from 30 addresses gets at most 5 passwords checked', async () => {
    await hub.store.users.add('0900000003', PASSWORD, 'officer', ['s-001']);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(`192.0.2.${i + 1}`, '0900000003')),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
  });
});

describe('days, areas and parameters', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let admin: { cookie: string; csrf: string };
  beforeAll(async () => {
    hub = await httpHub('sqlite');
    await hub.store.users.add(PHONE, PASSWORD, 'admin', ['*']);
    admin = await logIn(hub.address, PHONE, PASSWORD);
  });
  afterAll(async () => hub?.stop());
  const get = async (path: string) => {
    const r = await fetch(`${hub.address}${path}`, { headers: { cookie: admin.cookie } });
    return { status: r.status, text: await r.text() };
  };
  const trace = async (body: Record<string, unknown>) =>
    fetch(`${hub.address}/api/trace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      body: JSON.stringify({
        type: 'cccd',
        id: '079090001234',
        from: '2021-10-30',
        to: '2021-10-30',
        ...body,
      }),
    });

  it('an impossible day is a 400 with a message in both languages, on every route that takes one', async () => {
    for (const day of ['2021-13-45', '2021-02-30', '2021-00-01', '30-10-2021', ''])
      for (const path of ['/api/report', '/report']) {
        const r = await get(`${path}?day=${day}`);
        expect(r.status, `${path} ${day}`).toBe(400);
        // The API answers JSON; the printable report, opened in a browser, a page with both texts.
        const error =
          path === '/report'
            ? { vi: r.text, en: r.text }
            : (JSON.parse(r.text) as { error: { vi: string; en: string } }).error;
        expect(error.vi).toMatch(/ngày|Yêu cầu không hợp lệ/);
        expect(error.en).toMatch(/day|Invalid request/);
      }
    expect((await get('/api/report?day=2024-02-29')).status).toBe(200);
    expect((await trace({ from: '2021-02-30' })).status).toBe(400);
    expect((await trace({ to: '2021-13-45' })).status).toBe(400);
    expect((await trace({})).status).toBe(200);
  });

  it('unknown, oversize or misshapen parameters are refused and never reach the audit log', async () => {
    const long = `district:${'x'.repeat(200)}`;
    for (const path of [
      '/api/report?day=2021-10-30&foo=1',
      `/api/report?day=2021-10-30&area=${long}`,
      '/api/report?day=2021-10-30&area=<script>',
      '/api/report?day=2021-10-30&area=district:760&area=ward:1',
      '/api/report?format=xml',
      '/api/checkins?limit=100000',
      '/api/kiosks?x=1',
      `/report?day=2021-10-30&area=${long}`,
    ])
      expect((await get(path)).status, path).toBe(400);
    expect((await trace({ window: 10_000 })).status).toBe(400);
    const post = (body: string) =>
      fetch(`${hub.address}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const huge = await post(JSON.stringify({ phone: PHONE, password: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { vi: string } }).error.vi).toContain('Yêu cầu không hợp lệ');
    expect((await post(JSON.stringify({ phone: PHONE, password: 'x', admin: true }))).status).toBe(400);
    expect((await trace({ extra: 'x'.repeat(500) })).status).toBe(400);
    const audit = JSON.stringify(await hub.store.auditLog(1000));
    expect(audit).not.toContain('xxxxxxxxxx');
    expect(audit).not.toContain('<script>');
  });
});
