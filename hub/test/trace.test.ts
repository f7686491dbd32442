import { describe, expect, it } from 'vitest';
import { checkTrace, F2_LIMITS, RevealError, runTrace, type TraceQuery, traceCsv } from '../src/index.js';
import { ENGINES, openStore } from './engines.js';
import { A, F0, seedTrace } from './trace-fixtures.js';

const query = (over: Partial<Parameters<typeof checkTrace>[0]> = {}): TraceQuery => {
  const c = checkTrace({
    type: 'bhyt',
    id: F0.bhyt,
    from: '2021-10-30',
    to: '2021-10-30',
    window: 30,
    ...over,
  });
  if (!c.ok) throw new Error(c.problem.en);
  return c.query;
};

describe('checkTrace', () => {
  it('takes f2, a case label and a reveal reason of 5–500 characters, and refuses the rest in both languages', () => {
    expect(query({ f2: true, case: ' Ca 17/HCM ' })).toMatchObject({ f2: true, case: 'Ca 17/HCM' });
    expect(query({ reveal: { reason: '  F0 xác nhận\nPCR dương tính ' } }).reason).toBe(
      'F0 xác nhận PCR dương tính',
    );
    for (const bad of [
      { reveal: { reason: 'abc' } },
      { reveal: {} },
      { reveal: { reason: 'x'.repeat(501) } },
      { case: 'x'.repeat(65) },
      { case: 'a\u0007b' },
    ]) {
      const c = checkTrace({ type: 'cccd', id: F0.cccd, from: '2021-10-30', to: '2021-10-30', ...bad });
      expect(c.ok, JSON.stringify(bad)).toBe(false);
      if (!c.ok) expect(c.problem.vi).not.toBe(c.problem.en);
    }
  });
});

describe.each(ENGINES)('the trace on %s', (engine) => {
  it('follows the F0 across documents, counts people not check-ins, with overlap minutes, site names and F2', async () => {
    const { store } = await openStore(engine);
    const { hashKey } = await seedTrace(store);
    const r = await runTrace(store, hashKey, query({ f2: true, case: 'Ca 17' }), {
      actor: '0900000004',
      format: 'json',
      now: new Date('2021-10-31T01:00:00Z'),
    });
    expect(r).toMatchObject({
      schema: 'qrkiosk.trace/1',
      case: 'Ca 17',
      ranBy: '0900000004',
      ranAt: '2021-10-31T01:00:00.000Z',
      query: { type: 'bhyt', idMasked: '…1234', from: '2021-10-30', to: '2021-10-30', window: 30, f2: true },
      revealed: false,
      identities: 3, // the BHYT card, the person key, the CCCD
      counts: { visits: 2, f1People: 3, f1Checkins: 5, f2People: 2, f2Checkins: 2 },
      limits: { f1ForF2: 200, f2People: 2000, truncated: false },
    });
    // Traced by the BHYT card, the visit made with the CCCD is found; an exit is no visit.
    expect(r.visits.map((v) => [v.site, v.kind, v.siteName, v.siteAddress, v.coVisitors])).toEqual([
      ['s-001', 'cccd', 'Chợ Bến Thành', 'Lê Lợi, Quận 1', 2],
      ['s-002', 'bhyt', 'Bệnh viện Quận 1', '235 Nguyễn Văn Cừ', 2],
    ]);
    const people = Object.fromEntries(r.people.map((p) => [p.ref, p]));
    // D (left at 09:05 after the F0 came at 09:00), A (by CCCD and by phone), E (2 minutes before the F0 left).
    expect(r.people.map((p) => [p.ref, p.documents[0]?.numberMasked, p.checkins, p.overlapMinutes])).toEqual([
      ['F1-001', '********0004', 1, 5],
      ['F1-002', '********0001', 3, 22],
      ['F1-003', '********0005', 1, 2],
      ['F2-001', '********0002', 1, 10],
      ['F2-002', '********0007', 1, 50],
    ]);
    expect(people['F1-002']?.documents.map((d) => d.kind).sort()).toEqual(['cccd', 'manual']);
    expect(people['F1-002']?.contacts.map((c) => [c.siteName, c.overlapMinutes])).toEqual([
      ['Chợ Bến Thành', 10],
      ['Bệnh viện Quận 1', 12],
    ]);
    expect(people['F1-002']?.contacts[0]?.visit).toBe(r.visits[0]?.checkin);
    // G met A and E at s-003 after they met the F0: one F2 reached through two F1s.
    expect(people['F2-002']?.contacts.map((c) => [c.via, c.site, c.overlapMinutes])).toEqual([
      ['F1-002', 's-003', 25],
      ['F1-003', 's-003', 25],
    ]);
    expect(r.people.every((p) => p.identities === undefined)).toBe(true);
    const [audit] = await store.auditLog(1);
    expect(audit?.action).toBe('trace');
    expect(JSON.parse(audit?.detail ?? '')).toEqual({
      case: 'Ca 17',
      type: 'bhyt',
      id: '…1234',
      from: '2021-10-30',
      to: '2021-10-30',
      window: 30,
      f2: true,
      visits: 2,
      people: 5,
      revealed: 0,
    });
    // Without F2 the F1 list is the same and nothing else is looked for.
    const f1Only = await runTrace(store, hashKey, query(), { actor: 'x', format: 'json' });
    expect(f1Only.counts).toEqual({ visits: 2, f1People: 3, f1Checkins: 5, f2People: 0, f2Checkins: 0 });
    await store.close();
  });

  it('a reveal opens each co-visitor’s sealed identity with the tracing key, audited with its reason', async () => {
    const { store } = await openStore(engine);
    const { hashKey, keys } = await seedTrace(store);
    const r = await runTrace(
      store,
      hashKey,
      query({ f2: true, reveal: { reason: 'Ca 17: F0 dương tính' } }),
      {
        actor: '0900000004',
        format: 'csv',
        keys: keys.open(),
      },
    );
    expect(r.revealed).toBe(true);
    const a = r.people.find((p) => p.ref === 'F1-002');
    expect(a?.identities).toEqual(
      expect.arrayContaining([
        { kind: 'cccd', number: A.cccd, name: A.name },
        { kind: 'manual', number: A.phone, name: A.name, phone: A.phone },
      ]),
    );
    expect(a?.unopened).toBe(0);
    // E scanned at a kiosk without the tracing key: masked only, counted as not opened.
    expect(r.people.find((p) => p.ref === 'F1-003')).toMatchObject({ identities: [], unopened: 1 });
    const [audit] = await store.auditLog(1);
    expect(audit?.action).toBe('trace-reveal');
    expect(JSON.parse(audit?.detail ?? '')).toMatchObject({
      revealed: 5,
      reason: 'Ca 17: F0 dương tính',
      people: 5,
    });
    // The audit log holds no number, clear or hashed, of anyone.
    for (const n of [F0.cccd, F0.bhyt, A.cccd, A.phone])
      expect(JSON.stringify(await store.auditLog(10))).not.toContain(n);
    // CSV: one row per person-contact (A twice, G twice), BOM, revealed numbers and phone.
    const csv = traceCsv(r);
    expect(csv.startsWith('\uFEFFcase,ref,level,via,visit,contact_time,overlap_minutes,site,site_name')).toBe(
      true,
    );
    const rows = csv.trim().split('\n').slice(1);
    expect(rows).toHaveLength(7);
    expect(rows.filter((l) => l.includes(',F1-002,'))[1]).toContain(`${A.phone}`);
    const g = rows.filter((l) => l.includes(',F2-002,2,'));
    expect(g.map((l) => l.split(',')[3])).toEqual(['F1-002', 'F1-003']);
    expect(g[0]).toContain('Siêu thị Quận 3');
    await store.close();
  });

  it('a wrong tracing key is refused and reveals nothing; a key that is no key is refused before the trace', async () => {
    const { store } = await openStore(engine);
    const { hashKey, keys } = await seedTrace(store);
    const { readTracingKeys } = await import('../src/index.js');
    const before = (await store.auditLog(100)).length;
    const err = await runTrace(store, hashKey, query({ reveal: { reason: 'Ca 17 F0' } }), {
      actor: 'x',
      format: 'json',
      keys: readTracingKeys([keys.otherPem]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevealError);
    expect((err as RevealError).code).toBe('wrong-key');
    expect((err as RevealError).text.vi).toMatch(/Khóa truy vết không khớp/);
    expect((await store.auditLog(100)).length).toBe(before);
    expect(() => readTracingKeys(['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'])).toThrow(
      RevealError,
    );
    await store.close();
  });

  it('F2 follows at most 200 F1 people and says the list was cut', async () => {
    const { store } = await openStore(engine);
    const { hashKey } = await seedTrace(store);
    const { sampleCheckin } = await import('@qrkiosk/testkit');
    const { hashIdentity } = await import('@qrkiosk/protocol');
    const { ulid } = await import('ulid');
    // 200 more people at s-001 with the F0: 203 F1 people, more than F2 follows.
    await store.addCheckins(
      Array.from({ length: F2_LIMITS.f1ForF2 }, (_, i) => {
        const at = `2021-10-30T02:${String(i % 30).padStart(2, '0')}:00.000Z`;
        return {
          checkin: sampleCheckin({
            id: ulid(Date.parse(at)),
            site: 's-001',
            at,
            document: {
              idHash: hashIdentity(hashKey, 'cccd', `0020880${String(i).padStart(5, '0')}`).toString('hex'),
            },
          }),
          receivedAt: new Date(),
        };
      }),
    );
    const r = await runTrace(store, hashKey, query({ f2: true }), { actor: 'x', format: 'json' });
    expect(r.counts.f1People).toBe(F2_LIMITS.f1ForF2 + 3);
    expect(r.limits.truncated).toBe(true);
    await store.close();
  });
});
