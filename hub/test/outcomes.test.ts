/**
 * The hub's store of guard outcomes (migration 7) on both engines: linked to the check-in, stored
 * once by id, kept as long as check-ins (retention).
 */
import { type CheckinMessage, OUTCOME_SCHEMA_ID, type OutcomeMessage } from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KioskRegistry } from '../src/kiosk-registry.js';
import { ingestOutcome } from '../src/outcomes.js';
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

const checkin = (
  id: string,
  o: {
    kiosk?: string;
    at: string;
    who: string;
    verdict?: 'ALLOW' | 'REVIEW' | 'REFUSE';
    direction?: 'in' | 'out';
  },
): CheckinMessage =>
  sampleCheckin({
    id,
    kiosk: o.kiosk ?? 'k-001',
    direction: o.direction ?? 'in',
    at: o.at,
    document: { idHash: o.who.repeat(32) },
    verdict: o.verdict ?? 'ALLOW',
    colour: null,
    reason: 'x',
  });

describe.each(ENGINES)('outcomes and occupancy at the hub (%s)', (engine) => {
  it('an outcome from another kiosk than the check-in’s is refused; one for a check-in not here yet is taken', async () => {
    const { store } = await openStore(engine);
    const registry = new KioskRegistry(store, pino({ level: 'silent' }), false);
    try {
      const review = checkin('01KAPW0X0C2B7Q2K7N3T9V1F4E', {
        at: '2021-11-01T03:00:00.000Z',
        who: 'a',
        verdict: 'REVIEW',
      });
      await store.addCheckin(review, new Date());
      const now = new Date('2021-11-01T03:01:00Z');
      const from = (kiosk: string, id: string, on = review.id) =>
        ingestOutcome(
          { store, registry },
          { site: 's-001', kiosk },
          { ...outcome(id, now.toISOString()), checkin: on, kiosk },
          now,
        );
      expect(await from('k-002', '01KAPW1B7Q3M0X5D2R8S6T4V9W')).toEqual({
        ok: false,
        reason: `check-in ${review.id} was made by kiosk k-001 at s-001, not by this kiosk`,
      });
      expect(await from('k-001', '01KAPW1B7Q3M0X5D2R8S6T4V9X')).toMatchObject({ ok: true, fresh: true });
      expect(await from('k-002', '01KAPW1B7Q3M0X5D2R8S6T4V9Y', '01KAPW0X0C2B7Q2K7N3T9V1F4Z')).toMatchObject({
        ok: true,
      });
    } finally {
      await store.close();
    }
  });

  it('counts the people inside a site on a Vietnam day from its check-ins and outcomes', async () => {
    const { store } = await openStore(engine);
    try {
      const rows = [
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F40', { at: '2021-10-31T16:30:00.000Z', who: 'y' }), // 23:30 the day before
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F41', { at: '2021-11-01T01:00:00.000Z', who: 'a' }),
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F42', { at: '2021-11-01T01:05:00.000Z', who: 'b', kiosk: 'k-002' }),
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F43', {
          at: '2021-11-01T01:10:00.000Z',
          who: 'c',
          verdict: 'REVIEW',
        }),
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F44', {
          at: '2021-11-01T01:15:00.000Z',
          who: 'd',
          verdict: 'REVIEW',
        }),
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F45', {
          at: '2021-11-01T01:20:00.000Z',
          who: 'e',
          verdict: 'REFUSE',
        }),
        checkin('01KAPW0X0C2B7Q2K7N3T9V1F46', {
          at: '2021-11-01T02:00:00.000Z',
          who: 'b',
          kiosk: 'k-out',
          direction: 'out',
        }),
      ];
      for (const r of rows) await store.addCheckin(r, new Date());
      const add = (id: string, on: string, kind: 'admitted' | 'denied' | 'left', at: string) =>
        store.addOutcome({ ...outcome(id, at), checkin: on, outcome: kind }, new Date());
      await add(
        '01KAPW1B7Q3M0X5D2R8S6T4V90',
        '01KAPW0X0C2B7Q2K7N3T9V1F43',
        'admitted',
        '2021-11-01T01:11:00.000Z',
      );
      await add(
        '01KAPW1B7Q3M0X5D2R8S6T4V91',
        '01KAPW0X0C2B7Q2K7N3T9V1F44',
        'denied',
        '2021-11-01T01:16:00.000Z',
      );
      // a (ALLOW), c (admitted after review) inside; b went out; d denied; e refused; y was yesterday.
      expect(await store.occupancy('s-001', '2021-11-01')).toEqual({
        inside: 2,
        // per kiosk, the newest row counted: k-001's is the admit on c's REVIEW (a denial moves nobody
        // and is not read; the kiosk finds it adds nothing)
        through: {
          'k-001': '01KAPW1B7Q3M0X5D2R8S6T4V90',
          'k-002': '01KAPW0X0C2B7Q2K7N3T9V1F42',
          'k-out': '01KAPW0X0C2B7Q2K7N3T9V1F46',
        },
      });
      await add(
        '01KAPW1B7Q3M0X5D2R8S6T4V92',
        '01KAPW0X0C2B7Q2K7N3T9V1F41',
        'left',
        '2021-11-01T03:00:00.000Z',
      );
      expect((await store.occupancy('s-001', '2021-11-01')).inside).toBe(1);
      expect((await store.occupancy('s-001', '2021-10-31')).inside).toBe(1);
      expect(await store.occupancy('s-002', '2021-11-01')).toEqual({ inside: 0, through: {} });
    } finally {
      await store.close();
    }
  });
});
