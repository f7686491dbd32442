/**
 * The hub's store of guard outcomes (migration 7) on both engines: linked to the check-in, stored
 * once by id, kept as long as check-ins (retention).
 */
import { OUTCOME_SCHEMA_ID, type OutcomeMessage } from '@qrkiosk/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES, openStore } from './engines.js';

const outcome = (id: string, at: string): OutcomeMessage => ({
  schema: OUTCOME_SCHEMA_ID,
  id,
  checkin: '01KAPW0X0C2B7Q2K7N3T9V1F4E',
  outcome: 'admitted',
  by: 'reception',
  at,
  clockSynced: true,
  kiosk: 'k-001',
  site: 's-001',
});

describe.each(ENGINES)('guard outcomes in the hub (%s)', (engine) => {
  it('stores an outcome once, linked to its check-in, and purges it with the check-ins', async () => {
    const { store } = await openStore(engine);
    try {
      const old = outcome('01KAPW1B7Q3M0X5D2R8S6T4V9W', '2021-10-01T03:00:00.000Z');
      const recent = outcome('01KAPW1B7Q3M0X5D2R8S6T4V9X', '2021-11-01T03:00:00.000Z');
      expect(await store.addOutcome(old, new Date('2021-10-01T03:00:01Z'))).toBe(true);
      expect(await store.addOutcome(old, new Date('2021-10-01T03:05:00Z'))).toBe(false);
      expect(await store.addOutcome(recent, new Date('2021-11-01T03:00:01Z'))).toBe(true);
      expect(await store.outcomesOf(old.checkin)).toEqual([old, recent]);
      expect(await store.outcomesOf('01KAPW0X0C2B7Q2K7N3T9V1F4F')).toEqual([]);
      await store.purge(new Date('2021-10-20T00:00:00Z'));
      expect(await store.outcomesOf(old.checkin)).toEqual([recent]);
    } finally {
      await store.close();
    }
  });
});
