/**
 * Verify-only sites' tallies at the hub (issue #19, migration 16) on both engines: taken off the
 * check-in topic's path (schema, topic, binding), stored once, receipted; counted in the live counts,
 * the hourly chart, the daily report and occupancy; purged like check-ins; and named by tracing as
 * the sites it cannot see into. The table has no column a person could be found by.
 */
import { OUTCOME_SCHEMA_ID, TALLY_SCHEMA_ID, type TallyMessage, validateTally } from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { checkTrace, runTrace, tracePrintPage } from '../src/index.js';
import { KioskRegistry } from '../src/kiosk-registry.js';
import { ingestOutcome } from '../src/outcomes.js';
import { ingestTally } from '../src/tallies.js';
import { traceCsv } from '../src/tracing/csv.js';
import { ENGINES, openStore } from './engines.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';
import { F0, seedTrace } from './trace-fixtures.js';

const tally = (id: string, o: Partial<TallyMessage> = {}): TallyMessage => ({
  schema: TALLY_SCHEMA_ID,
  id,
  kiosk: 'k-001',
  site: 's-009',
  direction: 'in',
  at: '2021-11-01T02:00:00.000Z',
  clockSynced: true,
  kind: 'cccd',
  verdict: 'ALLOW',
  colour: 'green',
  reason: 'admitted-green',
  versions: { software: '0.1.0', rules: 'r1', cache: 3 },
  ...o,
});

const ids = (n: number) => `01KAPW2B7Q3M0X5D2R8S6T4V${String(n).padStart(2, '0')}`;

describe.each(ENGINES)('verify-only tallies at the hub (%s)', (engine) => {
  it('are taken once and receipted; one carrying an identity field, or another kiosk’s, is refused', async () => {
    const { store, database } = await openStore(engine);
    const registry = new KioskRegistry(store, pino({ level: 'silent' }), false);
    const receipted: string[] = [];
    const told: string[] = [];
    const deps = {
      store,
      registry,
      receipts: { add: (_s: string, _k: string, id: string) => receipted.push(id) },
      occupancy: { touch: (site: string) => told.push(site) },
      emit: (t: TallyMessage) => told.push(t.id),
    };
    const where = { site: 's-009', kiosk: 'k-001' };
    const now = new Date('2021-11-01T02:00:01Z');
    try {
      const t = tally(ids(1));
      expect(await ingestTally(deps, where, t, now)).toMatchObject({ ok: true, fresh: true });
      expect(await ingestTally(deps, where, t, now)).toMatchObject({ ok: true, fresh: false });
      expect(receipted).toEqual([t.id, t.id]);
      expect(told).toEqual(['s-009', t.id]);
      const withHash = { ...tally(ids(2)), idHash: 'ab'.repeat(16) };
      expect(await ingestTally(deps, where, withHash, now)).toMatchObject({ ok: false });
      const withDocument = { ...tally(ids(3)), document: { numberMasked: '0790****1234' } };
      expect(await ingestTally(deps, where, withDocument, now)).toMatchObject({ ok: false });
      expect(await ingestTally(deps, { ...where, kiosk: 'k-002' }, tally(ids(4)), now)).toEqual({
        ok: false,
        reason: 'site/kiosk in payload differ from topic',
      });
      // The guard's admission of a REVIEW tally must come from the tally's own kiosk.
      const admit = (kiosk: string, id: string) =>
        ingestOutcome(
          { store, registry },
          { site: 's-009', kiosk },
          {
            schema: OUTCOME_SCHEMA_ID,
            id,
            checkin: t.id,
            outcome: 'admitted',
            by: 'button',
            at: now.toISOString(),
            clockSynced: true,
            kiosk,
            site: 's-009',
          },
          now,
        );
      expect(await admit('k-002', ids(50))).toMatchObject({ ok: false });
      expect(await admit('k-001', ids(51))).toMatchObject({ ok: true });
      if (engine === 'sqlite') {
        const db = new Database(database, { readonly: true });
        const columns = (db.prepare('PRAGMA table_info(tallies)').all() as Array<{ name: string }>).map(
          (c) => c.name,
        );
        db.close();
        expect(columns).not.toContain('id_hash');
        expect(columns.filter((c) => /hash|name|number|sealed|link/.test(c))).toEqual([]);
      }
    } finally {
      await store.close();
    }
  });

  it('count in live counts, the hourly chart, the daily report and occupancy; purged like check-ins', async () => {
    const { store } = await openStore(engine);
    try {
      const received = new Date('2021-11-01T05:00:00Z');
      const rows = [
        tally(ids(10), { at: '2021-11-01T02:00:00.000Z' }), // 09:00 Vietnam
        tally(ids(11), { at: '2021-11-01T02:10:00.000Z' }),
        tally(ids(12), {
          at: '2021-11-01T02:20:00.000Z',
          verdict: 'REFUSE',
          colour: 'red',
          reason: 'case-f0',
        }),
        tally(ids(13), {
          at: '2021-11-01T02:30:00.000Z',
          verdict: 'REVIEW',
          colour: null,
          reason: 'unknown-person',
        }),
        tally(ids(14), { at: '2021-11-01T03:00:00.000Z', kiosk: 'k-out', direction: 'out' }), // 10:00
      ];
      for (const r of rows) expect(await store.addTally(r, received)).toBe(true);
      // A check-in at the same site (a site switched to verify-only during the day) counts beside them.
      await store.addCheckin(
        sampleCheckin({ id: ids(20), site: 's-009', at: '2021-11-01T02:40:00.000Z', verdict: 'ALLOW' }),
        received,
      );
      expect(await store.countsSince(new Date('2021-10-31T17:00:00Z'))).toEqual([{ site: 's-009', n: 6 }]);
      const hours = await store.hourly(new Date('2021-10-31T17:00:00Z'));
      expect(hours.sort((a, b) => a.hour - b.hour)).toEqual([
        { site: 's-009', hour: 9, n: 5 },
        { site: 's-009', hour: 10, n: 1 },
      ]);
      const report = await store.dailyReport('2021-11-01');
      expect(report.sites.find((s) => s.site === 's-009')).toMatchObject({
        scans: 6,
        allowed: 4,
        refused: 1,
        review: 1,
      });
      // Inside: two ALLOW tallies and the check-in's person; one exit takes one out. The pending
      // REVIEW is not inside until the guard admits it.
      expect((await store.occupancy('s-009', '2021-11-01')).inside).toBe(2);
      await store.addOutcome(
        {
          schema: OUTCOME_SCHEMA_ID,
          id: ids(30),
          checkin: ids(13),
          outcome: 'admitted',
          by: 'button',
          at: '2021-11-01T02:31:00.000Z',
          clockSynced: true,
          kiosk: 'k-001',
          site: 's-009',
        },
        received,
      );
      const counted = await store.occupancy('s-009', '2021-11-01');
      expect(counted.inside).toBe(3);
      expect(counted.through).toMatchObject({ 'k-001': ids(30), 'k-out': ids(14) });
      expect(
        await store.tallySites(new Date('2021-11-01T00:00:00Z'), new Date('2021-11-02T00:00:00Z')),
      ).toEqual(['s-009']);
      expect(
        await store.tallySites(new Date('2021-11-02T00:00:00Z'), new Date('2021-11-03T00:00:00Z')),
      ).toEqual([]);
      await store.purge(new Date('2021-11-20T00:00:00Z'));
      expect(await store.countsSince(new Date('2021-10-31T17:00:00Z'))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a trace names the verify-only sites of its period it cannot see into, only those the asker may see', async () => {
    const { store } = await openStore(engine);
    try {
      const { hashKey } = await seedTrace(store);
      const checked = checkTrace({
        type: 'bhyt',
        id: F0.bhyt,
        from: '2021-10-30',
        to: '2021-10-30',
        window: 30,
      });
      if (!checked.ok) throw new Error(checked.problem.en);
      const trace = (visible?: (site: string) => boolean) =>
        runTrace(store, hashKey, checked.query, {
          actor: '0900000004',
          format: 'json',
          now: new Date('2021-10-31T01:00:00Z'),
          ...(visible ? { visible } : {}),
        });
      const before = await trace();
      expect(before.verifyOnlySites).toBeUndefined();
      const received = new Date('2021-10-30T05:00:00Z');
      await store.addTally(tally(ids(40), { at: '2021-10-30T03:00:00.000Z' }), received); // s-009, that day
      await store.addTally(tally(ids(41), { site: 's-008', at: '2021-10-30T04:00:00.000Z' }), received);
      await store.addTally(tally(ids(42), { site: 's-007', at: '2021-11-05T04:00:00.000Z' }), received); // later
      await store.registerSites([
        { site: 's-009', name: 'Sân vận động Thống Nhất', district: '760', ward: '26743' },
      ]);
      const after = await trace();
      expect(after.verifyOnlySites).toEqual(['s-008', 's-009']);
      // The printed F1 list says so too, by name where the directory has one: it must not look complete.
      expect(tracePrintPage(after)).toContain(
        'verify-only sites, no register</small>: s-008, Sân vận động Thống Nhất (s-009)',
      );
      // So does the CSV, passed on without the page: a row per site, after the people.
      const csv = traceCsv(after).split('\n');
      for (const [site, name] of [
        ['s-008', ''],
        ['s-009', 'Sân vận động Thống Nhất'],
      ])
        expect(csv).toContainEqual(
          expect.stringMatching(
            new RegExp(
              `^"Địa điểm chỉ kiểm tra, không lưu danh sách — không thể truy vết tại đó: / Verify-only sites keep no register — tracing is impossible there:",{7}${site},${name},`,
            ),
          ),
        );
      expect(traceCsv(before)).not.toContain('Verify-only');
      expect(tracePrintPage(before)).not.toContain('id="verify-only"');
      // The trace itself is unchanged: a tally is nobody's visit.
      expect(after.visits).toEqual(before.visits);
      expect((await trace((site) => site !== 's-008')).verifyOnlySites).toEqual(['s-009']);
    } finally {
      await store.close();
    }
  });
});

describe.each(ENGINES)('tallies of a kiosk without a synced clock (%s)', (engine) => {
  it('are placed by their boot like check-ins: after the fact, and at once once the boot is known', async () => {
    const { store } = await openStore(engine);
    try {
      const boot = (uptimeMs: number) => ({ id: 'boot-7', uptimeMs });
      const early = tally(ids(70), {
        at: '1970-01-01T00:01:00.000Z',
        clockSynced: false,
        boot: boot(60_000),
      });
      await store.addTally(early, new Date('2021-11-01T02:00:00Z'));
      const day = new Date('2021-10-31T17:00:00Z'); // 1 November, Vietnam
      expect(await store.countsSince(day)).toEqual([]);
      // A synced telemetry of that boot told the hub it began at 08:00 Vietnam time.
      const began = Date.parse('2021-11-01T01:00:00Z');
      const result = await store.repo.retimeBoot('k-001', 'boot-7', began, new Date('2021-11-01T02:05:00Z'));
      expect(result.moved).toEqual([
        { id: early.id, from: expect.anything(), to: '2021-11-01T01:01:00.000Z' },
      ]);
      expect(await store.countsSince(day)).toEqual([{ site: 's-009', n: 1 }]);
      // A later tally of the same boot lands on the right time as it is stored.
      const late = tally(ids(71), {
        at: '1970-01-01T00:30:00.000Z',
        clockSynced: false,
        boot: boot(1_800_000),
      });
      await store.addTally(late, new Date('2021-11-01T02:10:00Z'));
      const hours = await store.hourly(day);
      expect(hours).toEqual([{ site: 's-009', hour: 8, n: 2 }]);
      // Moved once: a second telemetry moves nothing.
      expect((await store.repo.retimeBoot('k-001', 'boot-7', began, new Date())).moved).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe.each(ENGINES)('tallies the door sensor marked, at the hub (%s)', (engine) => {
  it('an entry that did not go in takes no exit: not entered, entry, exit leaves nobody inside', async () => {
    const { store } = await openStore(engine);
    try {
      const now = new Date('2021-11-01T02:10:00Z');
      await store.addTally(tally(ids(81), { at: '2021-11-01T02:00:00.000Z' }), now);
      await store.addTally(tally(ids(82), { at: '2021-11-01T02:01:00.000Z' }), now);
      await store.addTally(tally(ids(83), { at: '2021-11-01T02:02:00.000Z', direction: 'out' }), now);
      const outcome = (id: string, checkin: string, outcome: 'not-entered' | 'left', at: string) =>
        store.addOutcome(
          {
            schema: OUTCOME_SCHEMA_ID,
            id,
            checkin,
            outcome,
            by: outcome === 'left' ? 'reception' : 'door-sensor',
            at,
            clockSynced: true,
            kiosk: 'k-001',
            site: 's-009',
          },
          now,
        );
      await outcome(ids(84), ids(81), 'not-entered', '2021-11-01T02:00:12.000Z');
      expect((await store.occupancy('s-009', '2021-11-01')).inside).toBe(0);
      // Reception's "Đã ra" before an exit tally: that entry is out and the exit takes the next one.
      await store.addTally(tally(ids(85), { at: '2021-11-01T02:03:00.000Z' }), now);
      await store.addTally(tally(ids(86), { at: '2021-11-01T02:04:00.000Z' }), now);
      await outcome(ids(87), ids(85), 'left', '2021-11-01T02:05:00.000Z');
      await store.addTally(tally(ids(88), { at: '2021-11-01T02:06:00.000Z', direction: 'out' }), now);
      expect((await store.occupancy('s-009', '2021-11-01')).inside).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe.each(ENGINES)('a hostile uptime in a boot stamp (%s)', (engine) => {
  it('is refused by the schema, and one stored before the bound leaves the rest of its boot re-timed', async () => {
    const huge = tally(ids(91), {
      at: '1970-01-01T00:01:00.000Z',
      clockSynced: false,
      boot: { id: 'boot-9', uptimeMs: 9e15 },
    });
    expect(validateTally(huge)).toMatchObject({ ok: false });
    const { store } = await openStore(engine);
    try {
      const good = tally(ids(90), {
        at: '1970-01-01T00:01:00.000Z',
        clockSynced: false,
        boot: { id: 'boot-9', uptimeMs: 60_000 },
      });
      await store.addTally(good, new Date('2021-11-01T02:00:00Z'));
      // What an older hub stored: the store itself does not validate (ingest does).
      await store.addTally(huge, new Date('2021-11-01T02:00:00Z'));
      const began = Date.parse('2021-11-01T01:00:00Z');
      const result = await store.repo.retimeBoot('k-001', 'boot-9', began, new Date('2021-11-01T02:05:00Z'));
      expect(result.moved).toEqual([
        { id: good.id, from: expect.anything(), to: '2021-11-01T01:01:00.000Z' },
      ]);
      expect(await store.countsSince(new Date('2021-10-31T17:00:00Z'))).toEqual([{ site: 's-009', n: 1 }]);
    } finally {
      await store.close();
    }
  });
});

describe('the live page and tallies', () => {
  it('counts stored tallies in today’s snapshot and sends a new one as a count with no identity', async () => {
    const hub = await httpHub('sqlite');
    try {
      await hub.store.users.add('0900000001', 'live-password', 'admin', ['*']);
      const { cookie } = await logIn(hub.address, '0900000001', 'live-password');
      const now = new Date();
      await hub.store.addTally(tally(ids(60), { at: now.toISOString() }), now);
      const ws = new WebSocket(`${hub.address.replace('http', 'ws')}/live`, { headers: { cookie } });
      const messages: Array<Record<string, unknown>> = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data))));
      await new Promise((resolve) => ws.once('message', resolve));
      expect(messages[0]).toMatchObject({ type: 'snapshot', checkins: [], today: [{ site: 's-009', n: 1 }] });
      const live = tally(ids(61), {
        at: now.toISOString(),
        verdict: 'REFUSE',
        colour: 'red',
        reason: 'case-f0',
      });
      while (hub.ingest.listenerCount('tally') < 1) await new Promise((r) => setImmediate(r));
      hub.ingest.emit('tally', live);
      while (messages.length < 2) await new Promise((r) => setImmediate(r));
      expect(messages[1]).toEqual({ type: 'tally', site: 's-009', at: live.at, verdict: 'REFUSE' });
      ws.close();
    } finally {
      await hub.stop();
    }
  });
});
