/**
 * GET /api/alerts filters by the session's scope in SQL, before its limit of 1,000: a busy area's
 * newer alerts do not push another area's officer's own alerts out of their list (review #12).
 * Real HTTP server over a real store, both engines; the alerts are stored as the engine stores them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from './engines.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const PASSWORD = 'mật-khẩu-đủ-dài';
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe.each(ENGINES)('GET /api/alerts scope (%s)', (engine) => {
  it('an officer, a ward and a site owner see their older alerts under 1,001 newer ones of another district', async () => {
    const hub = await httpHub(engine);
    stops.push(hub.stop);
    await hub.store.registerSites([
      { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' },
      { site: 's-002', name: 'Siêu thị Quận 7', district: '770', ward: '27139' },
    ]);
    await hub.store.users.add('0901000001', PASSWORD, 'officer', ['district:760']);
    await hub.store.users.add('0901000002', PASSWORD, 'officer', ['ward:26743']);
    await hub.store.users.add('0901000003', PASSWORD, 'site-owner', ['s-001']);
    await hub.store.users.add('0901000004', PASSWORD, 'officer', ['district:770']);
    const alerts = hub.store.repo.alerts;
    const raise = (site: string, kiosk: string, at: Date) =>
      alerts.raise({
        key: `silent:${site}:${kiosk}`,
        rule: 'silent',
        site,
        kiosk,
        severity: 'critical',
        detail: JSON.stringify({ vi: 'im lặng', en: 'silent' }),
        raisedAt: at,
      });
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    await raise('s-001', 'k-old', new Date(t0));
    for (let i = 1; i <= 1001; i++) await raise('s-002', `k-${i}`, new Date(t0 + i * 60_000));

    const cookies = new Map<string, string>();
    const list = async (phone: string, query: string) => {
      const cookie = cookies.get(phone) ?? (await logIn(hub.address, phone, PASSWORD)).cookie;
      cookies.set(phone, cookie);
      const r = await fetch(`${hub.address}/api/alerts${query}`, { headers: { cookie } });
      expect(r.status).toBe(200);
      return (await r.json()) as Array<{ site: string; kiosk: string }>;
    };
    for (const phone of ['0901000001', '0901000002', '0901000003'])
      for (const query of ['', '?state=all']) {
        const mine = await list(phone, query);
        expect(mine.map((a) => [a.site, a.kiosk])).toEqual([['s-001', 'k-old']]);
      }
    // The busy district's officer gets the newest 1,000 of theirs, nothing of 760.
    const busy = await list('0901000004', '?state=all');
    expect(busy).toHaveLength(1000);
    expect(new Set(busy.map((a) => a.site))).toEqual(new Set(['s-002']));
  });
});
