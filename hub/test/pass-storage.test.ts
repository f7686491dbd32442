/**
 * Printed passes' rows (issue #20, migration 17) on both engines: a batch is stored whole or not at
 * all, a revocation keeps its first reason, the revoked ids a revocation list must carry leave out the
 * passes that have expired anyway, and validity days come back as the same `yyyy-MM-dd` text.
 */
import { describe, expect, it } from 'vitest';
import type { PassRow } from '../src/storage/repository.js';
import { ENGINES, openStore } from './engines.js';

const row = (n: number, o: Partial<PassRow> = {}): PassRow => ({
  passId: `a1b2c3d4e5f6a7b8c9${String(n).padStart(2, '0')}`,
  idHash: `${String(n).padStart(2, '0')}`.repeat(16),
  scopeKind: 'ward',
  scopeId: 'w-26734',
  validFrom: '2026-11-27',
  validUntil: '2027-11-26',
  nameMasked: 'N*** V** A',
  issuedBy: 'officer1',
  issuedAt: `2026-11-27T03:0${n % 10}:00.000Z`,
  revokedAt: null,
  revokedBy: null,
  reason: null,
  ...o,
});

describe.each(ENGINES)('pass records (%s)', (engine) => {
  it('stores, lists, revokes once, and names the revocations still worth sending', async () => {
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
        row(1, { revokedAt: at.toISOString(), revokedBy: 'officer2', reason: 'mất thẻ / lost' }),
      );
      expect((await passes.list()).map((r) => r.passId)).toEqual([row(3).passId, row(2).passId]);
      expect((await passes.list({ revoked: true })).length).toBe(3);

      await passes.revoke(row(3).passId, at, 'officer2', 'lost');
      expect(await passes.revokedIds('2026-11-30')).toEqual([row(1).passId, row(3).passId].sort());
      // Pass 3 expired on 2026-12-01: a kiosk refuses it as expired, its revocation need not travel.
      expect(await passes.revokedIds('2026-12-02')).toEqual([row(1).passId]);
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
