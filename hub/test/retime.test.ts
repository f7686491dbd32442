/**
 * Re-timing (issue #13): check-ins a kiosk made with a wrong clock are placed by their boot's monotonic
 * time once a synced telemetry of the same boot tells the hub when that boot began. Both engines.
 */
import { type CheckinMessage, TELEMETRY_SCHEMA_ID, type TelemetryMessage } from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { HubStore } from '../src/index.js';
import { ENGINES, type Engine, openStore } from './engines.js';

const ID = (n: number) => `01KAPW0X0C2B7Q2K7N3T9V1F${String(n).padStart(2, '0')}`;
const PERSON = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);

/** A check-in made with the kiosk clock one day behind: truly 2021-10-30 10:00 Vietnam time (03:00Z). */
const unsynced = (n: number, at: string, uptimeMs: number, idHash = PERSON): CheckinMessage =>
  sampleCheckin({
    id: ID(n),
    at,
    clockSynced: false,
    boot: { id: 'boot-a', uptimeMs },
    document: { idHash },
    verdict: 'REVIEW',
    colour: null,
    reason: 'clock-unsynced',
  });

const telemetry = (
  at: string,
  uptimeMs: number,
  clockSynced: boolean,
  boot = 'boot-a',
): TelemetryMessage => ({
  schema: TELEMETRY_SCHEMA_ID,
  kiosk: 'k-001',
  site: 's-001',
  at,
  software: '0.1.0',
  uptimeSeconds: 10,
  clockSynced,
  boot: { id: boot, uptimeMs },
  scannerConnected: true,
  outboxDepth: 0,
  cache: { version: 1, updatedAt: null, ageSeconds: null },
  rules: { version: 'builtin-1', source: 'built-in' },
});

/** The kiosk's own time as stored beside the corrected one, read with the engine's own client. */
async function atReported(engine: Engine, database: string, id: string): Promise<string | null> {
  if (engine === 'sqlite') {
    const db = new Database(database, { readonly: true });
    try {
      const row = db.prepare('SELECT at_reported AS r FROM checkins WHERE id = ?').get(id) as {
        r: string | null;
      };
      return row.r;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows } = await client.query<{ r: Date | null }>(
      'SELECT at_reported AS r FROM checkins WHERE id = $1',
      [id],
    );
    return rows[0]?.r ? rows[0].r.toISOString() : null;
  } finally {
    await client.end();
  }
}

const day = (d: string) => ({
  from: new Date(`${d}T00:00:00+07:00`),
  to: new Date(`${d}T23:59:59.999+07:00`),
});
const visitsOn = async (store: HubStore, d: string) =>
  (await store.trace([PERSON], day(d).from, day(d).to, 30)).map((v) => ({
    id: v.visit.id,
    at: v.visit.at,
    with: v.coVisitors.map((c) => c.id),
  }));

const stores: HubStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe.each(ENGINES)('re-timing a boot’s unsynced check-ins (%s)', (engine) => {
  it('a synced telemetry of the same boot moves them to the right Vietnam day, keeps the kiosk time, and places later ones on ingest', async () => {
    const { store, database } = await openStore(engine);
    stores.push(store);
    // Scanned at uptime 1 h; the kiosk clock said 2021-10-29 03:00Z (a day behind).
    expect(await store.addCheckin(unsynced(1, '2021-10-29T03:00:00.000Z', 3_600_000), new Date())).toBe(true);
    // Another person scanned 5 min later on the same boot: a co-visitor once both are placed.
    await store.addCheckin(unsynced(2, '2021-10-29T03:05:00.000Z', 3_900_000, OTHER), new Date());
    await store.saveReport('2021-10-29');
    expect((await store.savedReport('2021-10-29'))?.report.sites[0]?.scans).toBe(2);
    expect(await visitsOn(store, '2021-10-29')).toHaveLength(1);

    // Still unsynced: nothing is learned.
    expect(
      await store.setKioskTelemetry(telemetry('2021-10-29T04:00:00.000Z', 7_200_000, false), new Date()),
    ).toBeNull();
    expect(await visitsOn(store, '2021-10-30')).toEqual([]);

    // NTP synced: at uptime 3 h the true time is 2021-10-30 05:00Z, so the boot began at 02:00Z.
    const result = await store.setKioskTelemetry(
      telemetry('2021-10-30T05:00:00.000Z', 10_800_000, true),
      new Date(),
    );
    expect(result?.beganMs).toBe(Date.parse('2021-10-30T02:00:00.000Z'));
    expect(result?.moved.map((m) => m.id).sort()).toEqual([ID(1), ID(2)]);
    expect(await visitsOn(store, '2021-10-29')).toEqual([]);
    expect(await visitsOn(store, '2021-10-30')).toEqual([
      { id: ID(1), at: '2021-10-30T03:00:00.000Z', with: [ID(2)] },
    ]);
    expect(await atReported(engine, database, ID(1))).toBe('2021-10-29T03:00:00.000Z');
    // The saved report of the day they left is generated again; the audit log says so.
    // (Counted over all sites: the kiosk was first seen after 29/10/2021 here, so that day's report —
    // kiosks as of that day — may no longer list its site at all once the scans left.)
    const left = (await store.savedReport('2021-10-29'))?.report;
    expect(left?.sites.reduce((n, s) => n + s.scans, 0)).toBe(0);
    expect((await store.dailyReport('2021-10-30')).sites[0]?.scans).toBe(2);
    const audit = (await store.auditLog(10)).find((a) => a.action === 'retime');
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({
      kiosk: 'k-001',
      boot: 'boot-a',
      checkins: 2,
      shiftMs: 86_400_000,
      days: ['2021-10-29', '2021-10-30'],
      reportsRegenerated: ['2021-10-29'],
    });

    // A second synced telemetry moves nothing again (a check-in is re-timed once).
    const again = await store.setKioskTelemetry(
      telemetry('2021-10-30T05:01:00.000Z', 10_860_000, true),
      new Date(),
    );
    expect(again?.moved).toEqual([]);
    // A redelivered copy (same id, kiosk time) is a duplicate: the stored, corrected row stays.
    expect(await store.addCheckin(unsynced(1, '2021-10-29T03:00:00.000Z', 3_600_000), new Date())).toBe(
      false,
    );
    // A check-in of that boot still in the kiosk's outbox, made unsynced, is placed as it arrives.
    expect(await store.addCheckin(unsynced(3, '2021-10-29T04:30:00.000Z', 9_000_000), new Date())).toBe(true);
    expect((await visitsOn(store, '2021-10-30')).map((v) => [v.id, v.at])).toEqual([
      [ID(1), '2021-10-30T03:00:00.000Z'],
      [ID(3), '2021-10-30T04:30:00.000Z'],
    ]);
    expect(await atReported(engine, database, ID(3))).toBe('2021-10-29T04:30:00.000Z');
  });

  it('another boot’s telemetry, or a synced check-in, moves nothing', async () => {
    const { store, database } = await openStore(engine);
    stores.push(store);
    await store.addCheckin(unsynced(1, '2021-10-29T03:00:00.000Z', 3_600_000), new Date());
    const synced = { ...unsynced(2, '2021-10-29T03:10:00.000Z', 4_200_000), clockSynced: true };
    await store.addCheckin(synced, new Date());
    const other = await store.setKioskTelemetry(
      telemetry('2021-10-30T05:00:00.000Z', 10_800_000, true, 'boot-b'),
      new Date(),
    );
    expect(other?.moved).toEqual([]);
    expect((await visitsOn(store, '2021-10-29')).map((v) => v.id)).toEqual([ID(1), ID(2)]);
    const same = await store.setKioskTelemetry(
      telemetry('2021-10-30T05:00:00.000Z', 10_800_000, true),
      new Date(),
    );
    expect(same?.moved.map((m) => m.id)).toEqual([ID(1)]);
    expect(await atReported(engine, database, ID(2))).toBeNull();
  });
});
