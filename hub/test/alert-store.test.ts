/**
 * The alert store (storage/alerts.ts, migration 9) on both engines, opened twice on one database as
 * two hub processes would: one alert in force per key, one clear, one notice per key, one taker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HubStore, type NewAlert } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';

const open: HubStore[] = [];
// Closed after each test: engines.ts stops the PostgreSQL server after the file.
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function twoProcesses(engine: (typeof ENGINES)[number]) {
  const where = await newDatabase(engine);
  const a = await HubStore.open(where.database, where.dataDir);
  const b = await HubStore.open(where.database, where.dataDir);
  open.push(a, b);
  return [a.repo.alerts, b.repo.alerts] as const;
}

const alert = (at: string, key = 'silent:s-1:k-1'): NewAlert => ({
  key,
  rule: 'silent',
  site: 's-1',
  kiosk: 'k-1',
  severity: 'critical',
  detail: JSON.stringify({ vi: 'im lặng', en: 'silent' }),
  raisedAt: new Date(at),
});

describe.each(ENGINES)('alert store (%s)', (engine) => {
  it('a condition raised by two processes at once is one alert; cleared once; raised again later as a new one', async () => {
    const [a, b] = await twoProcesses(engine);
    const raised = await Promise.all([
      a.raise(alert('2026-11-26T02:00:00Z')),
      b.raise(alert('2026-11-26T02:00:00Z')),
    ]);
    const rows = raised.filter((r) => r !== null);
    expect(rows).toHaveLength(1);
    const first = rows[0];
    expect(first).toMatchObject({
      key: 'silent:s-1:k-1',
      kiosk: 'k-1',
      raisedAt: '2026-11-26T02:00:00.000Z',
      clearedAt: null,
    });
    const cleared = await Promise.all([
      a.clear(first?.id ?? 0, new Date('2026-11-26T02:05:00Z')),
      b.clear(first?.id ?? 0, new Date('2026-11-26T02:05:00Z')),
    ]);
    expect(cleared.filter((r) => r !== null)).toHaveLength(1);
    expect(await a.list(true, 10)).toEqual([]);
    const again = await b.raise(alert('2026-11-26T03:00:00Z'));
    expect(again?.id).not.toBe(first?.id);
    const all = await a.list(false, 10);
    expect(all.map((r) => [r.raisedAt, r.clearedAt])).toEqual([
      ['2026-11-26T03:00:00.000Z', null],
      ['2026-11-26T02:00:00.000Z', '2026-11-26T02:05:00.000Z'],
    ]);
    // Announcing: the raise of the first, its clear, and the second raise are owed; marked, none are.
    const owed = await a.unannounced(10);
    expect(owed.map((r) => [r.id, r.event])).toEqual([
      [first?.id, 'raise'],
      [again?.id, 'raise'],
    ]);
    for (const r of owed) await b.announced(r.id, 'raise', new Date());
    expect((await a.unannounced(10)).map((r) => [r.id, r.event])).toEqual([[first?.id, 'clear']]);
    await a.announced(first?.id ?? 0, 'clear', new Date());
    expect(await b.unannounced(10)).toEqual([]);
  });

  it('a silent clear (a revoked kiosk) is closed and owes no notice in one statement: no other process sees it owed in between', async () => {
    const [a, b] = await twoProcesses(engine);
    const row = await a.raise(alert('2026-11-26T02:00:00Z'));
    await a.announced(row?.id ?? 0, 'raise', new Date('2026-11-26T02:00:01Z'));
    // Two processes at once: one clears silently, the other reads what is owed. Whatever the order,
    // it never finds this clear owed (in two steps, clear then mark, it could).
    const [cleared, owed] = await Promise.all([
      a.clear(row?.id ?? 0, new Date('2026-11-26T02:05:00Z'), true),
      b.unannounced(10),
    ]);
    expect(cleared).toMatchObject({ id: row?.id, clearedAt: '2026-11-26T02:05:00.000Z' });
    expect(owed).toEqual([]);
    expect(await b.unannounced(10)).toEqual([]);
    // A silent clear of an alert cleared already changes nothing.
    expect(await b.clear(row?.id ?? 0, new Date('2026-11-26T02:06:00Z'), true)).toBeNull();
    expect((await a.list(false, 10))[0]?.clearedAt).toBe('2026-11-26T02:05:00.000Z');
  });

  it('a notice queued twice is one; two takers get different notices; retried with its error, given up, or sent', async () => {
    const [a, b] = await twoProcesses(engine);
    const now = new Date('2026-11-26T02:00:00Z');
    const notice = (i: number) => ({
      key: `alert:${i}:raise:mail:a@x.vn`,
      channel: 'mail' as const,
      target: 'a@x.vn',
      payload: '{}',
      dueAt: now,
    });
    const batch = Array.from({ length: 20 }, (_, i) => notice(i));
    const queued = await Promise.all([a.queue(batch, now), b.queue(batch, now)]);
    expect(queued[0] + queued[1]).toBe(20);
    // Held (quiet hours): not due yet.
    await a.queue([{ ...notice(99), dueAt: new Date('2026-11-26T23:00:00Z') }], now);
    const [ta, tb] = await Promise.all([a.take(now, 60_000, 15), b.take(now, 60_000, 15)]);
    const ids = [...ta, ...tb].map((n) => n.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    // Each took at most its limit (PostgreSQL once took 20 with LIMIT 15: storage/alerts.ts).
    expect(Math.max(ta.length, tb.length)).toBeLessThanOrEqual(15);
    expect(ta.every((n) => n.attempts === 1)).toBe(true);
    // Leased: nothing more to take until the lease ends.
    expect(await a.take(now, 60_000, 50)).toEqual([]);
    const [one, two, three] = ta;
    await a.sent(one?.id ?? 0, now);
    await a.failed(two?.id ?? 0, now, 'connect ECONNREFUSED', new Date('2026-11-26T02:00:30Z'));
    await a.failed(three?.id ?? 0, now, 'HTTP 500', null);
    // After the lease: the retried one is due again at 02:00:30, with the rest of the leased ones.
    const later = await b.take(new Date('2026-11-26T02:01:01Z'), 60_000, 50);
    expect(later.map((n) => n.id)).toContain(two?.id);
    expect(later.map((n) => n.id)).not.toContain(one?.id);
    expect(later.map((n) => n.id)).not.toContain(three?.id);
    expect(later.find((n) => n.id === two?.id)).toMatchObject({
      attempts: 2,
      lastError: 'connect ECONNREFUSED',
    });
    const rows = await a.notices(100);
    expect(rows.find((n) => n.id === three?.id)).toMatchObject({
      failedAt: '2026-11-26T02:00:00.000Z',
      lastError: 'HTTP 500',
    });
    expect(rows.find((n) => n.id === one?.id)?.sentAt).toBe('2026-11-26T02:00:00.000Z');
    // Retention: only what was sent or given up goes; what still waits stays.
    expect(await b.purgeNotices(new Date('2026-11-26T02:00:01Z'))).toBe(2);
    const left = (await a.notices(100)).map((n) => n.id);
    expect(left).toHaveLength(19);
    expect(left).toContain(two?.id);
  });
});
