/**
 * Printed passes' rows (issue #20, migration 17) on both engines: a batch is stored whole or not at
 * all, a revocation keeps its first reason, validity days come back as the same `yyyy-MM-dd` text, an
 * officer's list is filtered before its limit, and pass-list versions are never handed out twice —
 * also to two connections asking at once.
 */

import { describe, expect, it } from 'vitest';
import { applyRetention, HubStore } from '../src/index.js';
import type { PassRow } from '../src/storage/repository.js';
import { ENGINES, openStore } from './engines.js';

const row = (n: number, o: Partial<PassRow> = {}): PassRow => ({
  passId: `a1b2c3d4e5f6a7b8c9${String(n).padStart(2, '0')}`,
  idHash: `${String(n).padStart(2, '0')}`.repeat(16),
  links: n === 2 ? 'c3'.repeat(16) : '',
  scopeKind: 'ward',
  scopeId: 'w-26734',
  validFrom: '2026-11-27',
  validUntil: '2027-11-26',
  nameMasked: 'N*** V** A',
  issuer: 'UBND phường 26734',
  issuedBy: 'officer1',
  issuedAt: `2026-11-27T03:0${n % 10}:00.000Z`,
  revokedAt: null,
  revokedBy: null,
  reason: null,
  ...o,
});

describe.each(ENGINES)('pass records (%s)', (engine) => {
  it('stores, lists, revokes once', async () => {
    const { store } = await openStore(engine);
    try {
      const passes = store.repo.passes;
      await passes.add([
        row(1),
        row(2, { scopeKind: 'site', scopeId: 's-001' }),
        row(3, { validUntil: '2026-12-01' }),
      ]);
      expect(await passes.get(row(1).passId)).toEqual(row(1));
      expect(await passes.get('ffffffffffffffffffff')).toBeUndefined();
      // Newest first; filters by scope.
      expect((await passes.list()).map((r) => r.passId)).toEqual([
        row(3).passId,
        row(2).passId,
        row(1).passId,
      ]);
      expect((await passes.list({ scopeKind: 'site', scopeId: 's-001' })).map((r) => r.passId)).toEqual([
        row(2).passId,
      ]);
      expect((await passes.list({ validOn: '2026-12-02' })).map((r) => r.passId)).toEqual([
        row(2).passId,
        row(1).passId,
      ]);

      const at = new Date('2026-11-28T01:00:00.000Z');
      expect(await passes.revoke(row(1).passId, at, 'officer2', 'mất thẻ / lost')).toBe(true);
      expect(await passes.revoke(row(1).passId, new Date(), 'officer3', 'again')).toBe(false);
      expect(await passes.revoke('ffffffffffffffffffff', at, 'officer2', 'x')).toBe(false);
      expect(await passes.get(row(1).passId)).toEqual(
        // The holder's keyed hashes go at revoke (review 3 finding 6): the list sends zeros for it anyway.
        row(1, {
          idHash: '0'.repeat(32),
          revokedAt: at.toISOString(),
          revokedBy: 'officer2',
          reason: 'mất thẻ / lost',
        }),
      );
      // Its links too (row 2 has one).
      expect(await passes.revoke(row(2).passId, at, 'officer2', 'x')).toBe(true);
      expect(await passes.get(row(2).passId)).toMatchObject({ idHash: '0'.repeat(32), links: '' });
      expect((await passes.list()).map((r) => r.passId)).toEqual([row(3).passId]);
      expect((await passes.list({ revoked: true })).length).toBe(3);
    } finally {
      await store.close();
    }
  });

  it("filters an officer's list by sites and wards before the limit (review finding 5)", async () => {
    const { store } = await openStore(engine);
    try {
      const passes = store.repo.passes;
      // Pass 1 is the oldest; 20 newer passes of another ward would fill a limit of 20 without the filter.
      const others = Array.from({ length: 20 }, (_, i) =>
        row(i + 10, { scopeId: 'w-99999', issuedAt: `2026-11-28T03:${String(i).padStart(2, '0')}:00.000Z` }),
      );
      await passes.add([row(1), row(2, { scopeKind: 'site', scopeId: 's-001' }), ...others]);
      const mine = await passes.list({ visible: { sites: [], wards: ['w-26734'] }, limit: 20 });
      expect(mine.map((r) => r.passId)).toEqual([row(1).passId]);
      const sites = await passes.list({ visible: { sites: ['s-001'], wards: [] }, limit: 20 });
      expect(sites.map((r) => r.passId)).toEqual([row(2).passId]);
      expect(await passes.list({ visible: { sites: [], wards: [] } })).toEqual([]);
      // A site id the same as a ward id does not let a ward pass through as a site one.
      expect(await passes.list({ visible: { sites: ['w-26734'], wards: [] } })).toEqual([]);
      expect((await passes.list({ limit: 20 })).length).toBe(20);
    } finally {
      await store.close();
    }
  });

  it('reserves pass-list versions: max(last + 1, now), never one twice, even asked at once', async () => {
    const { store, database, dataDir } = await openStore(engine);
    const second = await HubStore.open(database, dataDir);
    try {
      const passes = store.repo.passes;
      expect(await passes.publishedListVersion()).toBeNull();
      expect(await passes.reserveListVersion(1_800_000_000)).toBe(1_800_000_000);
      // The same second again, or a clock that went back: the next number.
      expect(await passes.reserveListVersion(1_800_000_000)).toBe(1_800_000_001);
      expect(await passes.reserveListVersion(1_700_000_000)).toBe(1_800_000_002);
      expect(await passes.reserveListVersion(1_900_000_000)).toBe(1_900_000_000);
      // Two connections (two hub processes, or the daemon and the CLI), 40 reservations at once.
      const got = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? second : store).repo.passes.reserveListVersion(1_900_000_000),
        ),
      );
      expect(new Set(got).size).toBe(40);
      expect(Math.min(...got)).toBe(1_900_000_001);
      expect(Math.max(...got)).toBe(1_900_000_040);
      // Published: only ever the larger, its digest with it (a late, older list does not move it).
      expect(await passes.publishedList()).toBeNull();
      await passes.listPublished(1_900_000_005, 'digest-5');
      await second.repo.passes.listPublished(1_900_000_003, 'digest-3');
      expect(await passes.publishedListVersion()).toBe(1_900_000_005);
      expect(await second.repo.passes.publishedList()).toEqual({
        version: 1_900_000_005,
        digest: 'digest-5',
      });
      await second.repo.passes.listPublished(1_900_000_006, 'digest-6');
      expect(await passes.publishedList()).toEqual({ version: 1_900_000_006, digest: 'digest-6' });
    } finally {
      await second.close();
      await store.close();
    }
  });

  it('retention deletes passes past their last day by more than the retention days, and their check-in links (review 2 finding 4)', async () => {
    const { store } = await openStore(engine);
    try {
      const passes = store.repo.passes;
      // 01:00 on 28/12/2026 in Vietnam, still 27/12 in UTC: 21 days back is 07/12 in Vietnam (06/12 in
      // UTC), so a pass whose last day was 06/12 goes only if the days are Vietnam days (review 3 finding 7).
      const now = new Date('2026-12-27T18:00:00.000Z');
      await passes.add([
        row(1, { validUntil: '2026-12-05' }),
        row(2, {
          validUntil: '2026-12-05',
          revokedAt: '2026-11-28T00:00:00.000Z',
          revokedBy: 'o',
          reason: 'lost',
        }),
        row(3, { validUntil: '2026-12-06' }),
        row(4, { validUntil: '2027-11-26' }),
        row(5, { validUntil: '2026-12-07' }),
      ]);
      for (const n of [1, 3, 4, 5])
        expect(await passes.claimCheckin(`01JD00000000000000000000A${n}`, row(n).passId, now)).toBe(true);
      const r = await applyRetention(store, 21, { actor: 'hub' }, now);
      expect(r).toMatchObject({ days: 21, passes: 3 });
      expect((await passes.list({ revoked: true })).map((p) => p.passId).sort()).toEqual(
        [row(4).passId, row(5).passId].sort(),
      );
      expect(await passes.passOfCheckin('01JD00000000000000000000A1')).toBeUndefined();
      expect(await passes.passOfCheckin('01JD00000000000000000000A3')).toBeUndefined();
      expect(await passes.passOfCheckin('01JD00000000000000000000A5')).toBe(row(5).passId);
      expect(JSON.parse((await store.auditLog())[0]?.detail ?? '{}')).toMatchObject({ passes: 3 });
      // Nothing more to remove: the daily run writes no audit row.
      expect(await applyRetention(store, 21, { actor: 'hub' }, now)).not.toHaveProperty('passes');
    } finally {
      await store.close();
    }
  });

  it('stores a batch whole or not at all', async () => {
    const { store } = await openStore(engine);
    try {
      const passes = store.repo.passes;
      await passes.add([row(1)]);
      // The second row repeats pass 1's id: the primary key refuses it, and row 4 is not kept either.
      await expect(passes.add([row(4), row(1)])).rejects.toThrow();
      expect((await passes.list()).map((r) => r.passId)).toEqual([row(1).passId]);
    } finally {
      await store.close();
    }
  });
});
