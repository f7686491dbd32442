import { randomBytes } from 'node:crypto';
import { hashIdentity, hashPersonKey, type IdType } from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { checkTrace, F2_LIMITS, type HubStore, runTrace, type TraceQuery } from '../src/index.js';
import { ENGINES, openStore } from './engines.js';

/**
 * Small hand-worked days for the trace's edge cases (the hostile review's findings 2–6): each scan
 * is one person's check-in; the expected lists are worked out by hand in the comments.
 */
const hashKey = randomBytes(32);
const hash = (type: IdType, n: string) => hashIdentity(hashKey, type, n).toString('hex');
interface Scan {
  who: [IdType, string];
  site: string;
  at: string;
  out?: boolean;
}
async function seed(store: HubStore, scans: Scan[], persons: Array<[string, Array<[IdType, string]>]> = []) {
  await store.addCheckins(
    scans.map((s) => ({
      checkin: sampleCheckin({
        id: ulid(Date.parse(s.at)),
        site: s.site,
        at: s.at,
        direction: s.out ? 'out' : 'in',
        document: {
          kind: s.who[0] === 'bhyt' ? 'bhyt' : 'cccd',
          numberMasked: `********${s.who[1].slice(-4)}`,
          idHash: hash(s.who[0], s.who[1]),
        },
      }),
      receivedAt: new Date(),
    })),
  );
  const pairs = persons.flatMap(([key, docs]) =>
    docs.map(([t, n]) => [hash(t, n), hashPersonKey(hashKey, key)] as [string, string]),
  );
  if (pairs.length) await store.repo.links.add(pairs, 'import', new Date());
}
const ask = (over: Partial<Parameters<typeof checkTrace>[0]> = {}): TraceQuery => {
  const c = checkTrace({
    type: 'cccd',
    id: F0[1],
    from: '2021-10-30',
    to: '2021-10-30',
    window: 30,
    ...over,
  });
  if (!c.ok) throw new Error(c.problem.en);
  return c.query;
};
const F0: [IdType, string] = ['cccd', '079090001234'];
const P1: [IdType, string] = ['cccd', '001088000011'];
const P1b: [IdType, string] = ['bhyt', 'DN4797900000011'];
const P2: [IdType, string] = ['cccd', '001088000012'];
const X: [IdType, string] = ['cccd', '001088000013'];
const Xb: [IdType, string] = ['bhyt', 'DN4797900000013'];
const masked = (p: { documents: Array<{ numberMasked: string }> }) =>
  p.documents.map((d) => d.numberMasked.slice(-4)).sort();

describe.each(ENGINES)('trace edge cases on %s', (engine) => {
  it('F2 lists one person once across documents, and never an F1 under another document', async () => {
    const { store } = await openStore(engine);
    // F0 meets P1 and P2 at s-1; later P2 meets P1 (by BHYT) and X (by CCCD) at s-2; P1 meets X (by BHYT) at s-3.
    await seed(
      store,
      [
        { who: F0, site: 's-1', at: '2021-10-30T02:00:00Z' },
        { who: P1, site: 's-1', at: '2021-10-30T02:05:00Z' },
        { who: P2, site: 's-1', at: '2021-10-30T02:10:00Z' },
        { who: P2, site: 's-2', at: '2021-10-30T04:00:00Z' },
        { who: P1b, site: 's-2', at: '2021-10-30T04:05:00Z' },
        { who: X, site: 's-2', at: '2021-10-30T04:10:00Z' },
        { who: P1, site: 's-3', at: '2021-10-30T06:00:00Z' },
        { who: Xb, site: 's-3', at: '2021-10-30T06:05:00Z' },
      ],
      [
        ['p1', [P1, P1b]],
        ['x', [X, Xb]],
      ],
    );
    const r = await runTrace(store, hashKey, ask({ f2: true }), { actor: 'x', format: 'json' });
    expect(r.counts.f1People).toBe(2);
    expect(r.counts.f2People).toBe(1);
    const f2 = r.people.filter((p) => p.level === 2);
    expect(f2.map(masked)).toEqual([['0013', '0013']]);
    // P1 met X twice (by BHYT at s-2, by CCCD at s-3), P2 once.
    expect(f2[0]?.contacts.map((c) => c.via).sort()).toEqual(['F1-001', 'F1-001', 'F1-002']);
    await store.close();
  });

  it('an F0 exit after midnight on the last day ends the stay; later arrivals are no contact and no visit', async () => {
    const { store } = await openStore(engine);
    // F0 in 23:58 VN 30/10, out 00:01 31/10; Z in 00:00:30 (30 s together), W in 00:03 (after the F0 left).
    const Z: [IdType, string] = ['cccd', '001088000021'];
    const W: [IdType, string] = ['cccd', '001088000022'];
    await seed(store, [
      { who: F0, site: 's-1', at: '2021-10-30T16:58:00Z' },
      { who: F0, site: 's-1', at: '2021-10-30T17:01:00Z', out: true },
      { who: Z, site: 's-1', at: '2021-10-30T17:00:30Z' },
      { who: W, site: 's-1', at: '2021-10-30T17:03:00Z' },
      { who: F0, site: 's-3', at: '2021-10-30T17:00:00Z' }, // 00:00 31/10: the next day already
      { who: F0, site: 's-2', at: '2021-10-30T17:10:00Z' }, // 31/10: after the period
    ]);
    const r = await runTrace(store, hashKey, ask(), { actor: 'x', format: 'json' });
    expect(r.visits.map((v) => v.site)).toEqual(['s-1']);
    expect(r.people.map((p) => [masked(p), p.overlapMinutes])).toEqual([[['0021'], 1]]);
    await store.close();
  });

  it('F2 starts when the F1 met the F0, not at the F1’s own earlier arrival', async () => {
    const { store } = await openStore(engine);
    // P1 at s-1 from 01:45 (out 02:05); B with P1 01:25–01:55; the F0 arrives 02:00: B met P1 before, no F2.
    // C comes 02:02 and is with P1 02:02–02:05 and the F0 too, so C is an F1.
    const B: [IdType, string] = ['cccd', '001088000031'];
    await seed(store, [
      { who: B, site: 's-1', at: '2021-10-30T01:25:00Z' },
      { who: P1, site: 's-1', at: '2021-10-30T01:45:00Z' },
      { who: F0, site: 's-1', at: '2021-10-30T02:00:00Z' },
      { who: P1, site: 's-1', at: '2021-10-30T02:05:00Z', out: true },
    ]);
    const r = await runTrace(store, hashKey, ask({ f2: true }), { actor: 'x', format: 'json' });
    expect(r.people.map((p) => [p.ref, masked(p), p.overlapMinutes])).toEqual([['F1-001', ['0011'], 5]]);
    await store.close();
  });

  it('the F0 scanned twice within one stay (or two linked cards at one desk) counts the overlap once', async () => {
    const { store } = await openStore(engine);
    const F0b: [IdType, string] = ['bhyt', 'DN4797900001234'];
    const C: [IdType, string] = ['cccd', '001088000041'];
    await seed(
      store,
      [
        { who: F0, site: 's-1', at: '2021-10-30T03:00:00Z' },
        { who: F0, site: 's-1', at: '2021-10-30T03:05:00Z' },
        { who: F0b, site: 's-1', at: '2021-10-30T03:06:00Z' },
        { who: C, site: 's-1', at: '2021-10-30T03:00:00Z' },
      ],
      [['f0', [F0, F0b]]],
    );
    const r = await runTrace(store, hashKey, ask(), { actor: 'x', format: 'json' });
    expect(r.visits).toHaveLength(3);
    expect(r.people.map((p) => [masked(p), p.overlapMinutes, p.contacts.length])).toEqual([
      [['0041'], 30, 1],
    ]);
    await store.close();
  });

  it('lists at most 2,000 F2 people and says the list was cut', async () => {
    const { store } = await openStore(engine);
    // The F0 meets P1 at s-1; P1 then spends the afternoon at s-2 with 2,001 others.
    const scans: Scan[] = [
      { who: F0, site: 's-1', at: '2021-10-30T02:00:00Z' },
      { who: P1, site: 's-1', at: '2021-10-30T02:05:00Z' },
      { who: P1, site: 's-2', at: '2021-10-30T06:00:00Z' },
    ];
    for (let i = 0; i < F2_LIMITS.f2People + 1; i++)
      scans.push({
        who: ['cccd', `0020880${String(i).padStart(5, '0')}`],
        site: 's-2',
        at: new Date(Date.parse('2021-10-30T06:00:00Z') + i * 1000).toISOString(),
      });
    await seed(store, scans);
    const r = await runTrace(store, hashKey, ask({ f2: true, window: 60 }), { actor: 'x', format: 'json' });
    expect(r.counts.f1People).toBe(1);
    expect(r.counts.f2People).toBe(F2_LIMITS.f2People);
    expect(r.limits.truncated).toBe(true);
    expect(r.people.at(-1)?.ref).toBe('F2-2000');
    await store.close();
  });

  it('reads the store a few queries at a time, however many visits and F1 people there are', async () => {
    const { store } = await openStore(engine);
    const scans: Scan[] = [];
    for (let i = 0; i < 24; i++) {
      const at = new Date(Date.parse('2021-10-30T01:00:00Z') + i * 3_600_000 * 0.5).toISOString();
      scans.push({ who: F0, site: `s-${i}`, at });
      scans.push({ who: ['cccd', `0010880001${String(i).padStart(2, '0')}`], site: `s-${i}`, at });
    }
    await seed(store, scans);
    let inFlight = 0;
    let most = 0;
    const spied: Array<[object, string]> = [
      [store.repo, 'around'],
      [store.repo, 'visits'],
      [store.repo.links, 'neighbours'],
    ];
    for (const [target, name] of spied) {
      const t = target as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const orig = (t[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
      t[name] = async (...a: unknown[]) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await orig(...a);
        } finally {
          inFlight--;
        }
      };
    }
    const r = await runTrace(store, hashKey, ask({ f2: true }), { actor: 'x', format: 'json' });
    expect(r.counts.f1People).toBe(24);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(4);
    await store.close();
  });
});
