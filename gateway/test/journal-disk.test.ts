/**
 * The journal on a real, small tmpfs that fills up, and journal files that go bad or away under
 * the kiosk. Each case here failed on the code before issue #12's fix (see docs/security-privacy.md).
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckinMessage } from '@qrkiosk/protocol';
import { Cleanups, makeTempDir, mountTmpfs, sampleCheckin } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/bus.js';
import type { Clock } from '../src/clock.js';
import { type FaultEvent, Faults } from '../src/faults.js';
import { Journal } from '../src/record/index.js';
import { RecordKeeper } from '../src/record/keeper.js';

/** A clock standing at one instant, synced (these tests are about the disk, not time). */
const stillClock: Clock = { now: () => new Date('2026-01-01'), synced: () => true };

const STAMP = { boot: 'test-boot', ms: 1 };
let n = 0;
const checkin = (at = '2021-10-01T00:00:00.000Z'): CheckinMessage =>
  sampleCheckin({
    id: `01J0000000000000000000${String(++n).padStart(4, '0')}`,
    at,
    document: { nameMasked: 'A B*', idHash: 'b'.repeat(32) },
    versions: { software: '0.1.0', rules: 'builtin-1', cache: 0 },
  });

const rows = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM checkins').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

function keeperFor(dir: string) {
  const bus = new EventBus();
  const events: FaultEvent[] = [];
  bus.on('fault', (e) => events.push(e));
  const faults = new Faults(bus, pino({ level: 'silent' }));
  const journal = new Journal(dir);
  const keeper = new RecordKeeper(journal, faults, pino({ level: 'silent' }), stillClock, dir);
  return { journal, faults, keeper, events };
}

const unmounts = new Cleanups();
afterAll(() => unmounts.run());

describe('journal on a full disk (real tmpfs)', () => {
  it('refuses every append while the disk is full — nothing claimed that is not stored — and recovers', () => {
    const disk = mountTmpfs('1m', 'journal-full-');
    unmounts.push(() => disk.unmount());
    const journal = new Journal(disk.dir);
    journal.open();
    journal.append(checkin(), STAMP);
    disk.fill();
    let claimed = 0;
    let refused = 0;
    for (let i = 0; i < 50; i++) {
      try {
        journal.append(checkin(), STAMP);
        claimed++;
      } catch {
        refused++;
      }
    }
    expect({ claimed, refused }).toEqual({ claimed: 0, refused: 50 });
    expect(rows(journal.file)).toBe(1);
    disk.free();
    journal.append(checkin(), STAMP);
    expect(rows(journal.file)).toBe(2);
    journal.close();
  });

  it('raises disk-full with the write fault, clears both on the first write after space returns', () => {
    const disk = mountTmpfs('1m', 'journal-keeper-');
    unmounts.push(() => disk.unmount());
    const { journal, keeper, faults, events } = keeperFor(disk.dir);
    keeper.open();
    keeper.append(checkin(), STAMP);
    disk.fill();
    expect(() => keeper.append(checkin(), STAMP)).toThrow();
    expect(() => keeper.append(checkin(), STAMP)).toThrow();
    expect(faults.list()).toEqual(['journal-unwritable', 'disk-full']);
    // Once per fault, not once per failed scan.
    expect(events.filter((e) => e.active).map((e) => e.code)).toEqual(['journal-unwritable', 'disk-full']);
    disk.free();
    keeper.append(checkin(), STAMP);
    expect(faults.list()).toEqual([]);
    journal.close();
  });

  it('a prune on a full disk is caught and reported, not thrown (it runs inside setInterval)', () => {
    const disk = mountTmpfs('1m', 'journal-prune-');
    unmounts.push(() => disk.unmount());
    const { journal, keeper, faults } = keeperFor(disk.dir);
    keeper.open();
    for (let i = 0; i < 20; i++) keeper.append(checkin(), STAMP);
    journal.markDeliveredMany(
      journal.undelivered(0, 100).map((r) => r.id),
      new Date('2021-01-01T00:00:00Z'),
    );
    disk.fill();
    const options = { maxUndelivered: 10, keepDeliveredMs: 86_400_000, now: new Date(), clockSynced: true };
    expect(() => keeper.prune(options)).not.toThrow();
    expect(faults.list()).toContain('prune-failed');
    disk.free();
    keeper.prune(options);
    expect(faults.list()).not.toContain('prune-failed');
    expect(rows(journal.file)).toBe(0);
    journal.close();
  });

  it('starts on a full disk without throwing, and opens the journal on the first scan after space returns', () => {
    const disk = mountTmpfs('1m', 'journal-start-');
    unmounts.push(() => disk.unmount());
    const first = new Journal(disk.dir);
    first.open();
    first.append(checkin(), STAMP);
    first.close();
    disk.fill();
    const { journal, keeper, faults } = keeperFor(disk.dir);
    expect(() => keeper.open()).not.toThrow();
    expect(faults.list()).toEqual(['journal-unwritable', 'disk-full']);
    expect(() => keeper.append(checkin(), STAMP)).toThrow();
    disk.free();
    keeper.append(checkin(), STAMP);
    expect(journal.pendingCount()).toBe(2);
    expect(faults.list()).toEqual([]);
    journal.close();
  });
});

describe('journal files that go bad or away', () => {
  it('a corrupt journal.db is moved aside with its -wal/-shm, a fresh one made, and the fault raised', () => {
    const dir = makeTempDir('journal-corrupt-');
    writeFileSync(join(dir, 'journal.db'), Buffer.alloc(8192, 0x42));
    writeFileSync(join(dir, 'journal.db-wal'), Buffer.alloc(100, 0x42));
    const { journal, keeper, faults } = keeperFor(dir);
    keeper.open();
    expect(faults.list()).toEqual(['journal-corrupt']);
    const aside = readdirSync(dir).filter((f) => f.startsWith('journal.db.corrupt-'));
    expect(aside.some((f) => /^journal\.db\.corrupt-\d{8}T\d{9}Z$/.test(f))).toBe(true);
    expect(aside.some((f) => f.endsWith('-wal'))).toBe(true);
    keeper.append(checkin(), STAMP);
    expect(rows(journal.file)).toBe(1);
    journal.close();
  });

  it('a journal deleted under the running kiosk is replaced, keeping its undelivered rows', () => {
    const dir = makeTempDir('journal-deleted-');
    const { journal, keeper, faults } = keeperFor(dir);
    keeper.open();
    for (let i = 0; i < 3; i++) keeper.append(checkin(), STAMP);
    journal.markDelivered(journal.undelivered(0, 1)[0]!.id, new Date());
    rmSync(journal.file);
    // Numbering goes on where it was: the uplink reads the outbox onwards from the last seq it sent.
    expect(keeper.append(checkin(), STAMP)).toBe(4);
    expect(journal.undelivered(0, 10).map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(faults.list()).toEqual(['journal-deleted']);
    expect(existsSync(journal.file)).toBe(true);
    journal.close();
    // What a restart finds: the two undelivered rows from before, and the new one.
    expect(rows(journal.file)).toBe(3);
  });
});

describe('prune by delivery, not by the check-in time an unsynced clock wrote', () => {
  it('keeps a 1970 check-in delivered today, and purges a 2099 one once its keep time is over', () => {
    const j = new Journal(makeTempDir('journal-prune-'));
    j.open();
    const old = checkin('1970-01-01T00:00:10.000Z');
    const future = checkin('2099-01-01T00:00:00.000Z');
    j.append(old, STAMP);
    j.append(future, STAMP);
    const today = new Date('2026-03-01T00:00:00Z');
    j.markDeliveredMany([old.id, future.id], today);
    const week = 7 * 86_400_000;
    const prune = (now: Date, clockSynced: boolean) =>
      j.prune({ maxUndelivered: 100, keepDeliveredMs: week, now, clockSynced }).delivered;
    expect(prune(today, true)).toBe(0);
    // An unsynced clock jumped to 2099 does not empty the journal; one stuck in 1970 deletes nothing.
    expect(prune(new Date('2099-06-01T00:00:00Z'), false)).toBe(0);
    expect(prune(new Date('1970-01-01T00:00:00Z'), false)).toBe(0);
    expect(prune(new Date(today.getTime() + week + 1000), true)).toBe(2);
    j.close();
  });

  it('a delivery stamped by a clock since corrected (2099) goes once the clock is synced again', () => {
    const j = new Journal(makeTempDir('journal-prune-'));
    j.open();
    const row = checkin('2026-03-01T00:00:00.000Z');
    j.append(row, STAMP);
    j.markDelivered(row.id, new Date('2099-01-01T00:00:00Z'));
    const now = new Date('2026-03-02T00:00:00Z');
    expect(
      j.prune({ maxUndelivered: 100, keepDeliveredMs: 86_400_000, now, clockSynced: false }).delivered,
    ).toBe(0);
    expect(
      j.prune({ maxUndelivered: 100, keepDeliveredMs: 86_400_000, now, clockSynced: true }).delivered,
    ).toBe(1);
    j.close();
  });
});
