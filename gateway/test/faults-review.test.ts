/**
 * Issue #12, second round: what a hostile review of the first fixes found, on the real Controller
 * with real SQLite (and a real tmpfs where a disk fills up). Each test failed on the code before.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cleanups, makeTempDir, mountTmpfs } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { F0, GREEN, journalRows, kioskStarter, know, person, pulses } from './kiosk-rig.js';

const unmounts = new Cleanups();
const cleanups = new Cleanups();
afterEach(() => cleanups.run());
afterAll(() => unmounts.run());
const kiosk = kioskStarter(cleanups);

/**
 * Corrupts the journal under the running kiosk the way SQLite itself notices at once: another
 * connection rewrites the schema record of the check-ins table and bumps the schema cookie, so the
 * kiosk's next statement re-reads the schema and fails with SQLITE_CORRUPT ("malformed database
 * schema"). Overwriting pages with garbage is what a failing card does, but the kiosk's page cache
 * hides it for a while; this is the same error, on demand.
 */
function corruptSchema(file: string): void {
  // Python's sqlite3 (better-sqlite3 runs in defensive mode, which forbids writing the schema).
  const script = [
    'import sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1])',
    'v = db.execute("PRAGMA schema_version").fetchone()[0]',
    'db.execute("PRAGMA writable_schema = ON")',
    "db.execute(\"UPDATE sqlite_master SET sql = 'CREATE TABLE checkins (' WHERE name = 'checkins'\")",
    'db.execute(f"PRAGMA schema_version = {v + 1}")',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, file]);
}

describe('never greener than the decision when recording fails', () => {
  it('a full disk keeps an F0 refusal red (REFUSE, no relay), not amber', async () => {
    const fs = mountTmpfs('4m', 'review-full-');
    unmounts.push(() => fs.unmount());
    const k = await kiosk(fs.dir);
    know(k, [[1, F0]]);
    fs.fill();
    const outcome = k.controller.scan(person(1).payload);
    expect(outcome?.decision.verdict).toBe('REFUSE');
    expect(outcome?.checkin).toBeUndefined();
    expect(pulses(k.gpio, 'relay')).toBe(0);
    expect(pulses(k.gpio, 'green')).toBe(0);
    expect(k.controller.faults.list()).toContain('journal-unwritable');
  });

  it('without a sound cache, a site that refuses unknown people still refuses them', async () => {
    const dir = makeTempDir('review-cache-');
    const first = await kiosk(dir);
    await first.controller.stop();
    writeFileSync(join(dir, 'cache.db'), Buffer.alloc(4096, 0x42));
    const k = await kiosk(dir, { extra: ['rules: { unknownPerson: REFUSE }'] });
    expect(k.controller.faults.list()).toEqual(['cache-corrupt']);
    expect(k.controller.scan(person(1).payload)?.decision.verdict).toBe('REFUSE');
  });
});

describe('a journal that goes bad under the running kiosk', () => {
  it('corrupt under it: reads never throw, the file is moved aside, the next scan is recorded in a fresh journal', async () => {
    const dir = makeTempDir('review-corrupt-');
    const k = await kiosk(dir);
    know(
      k,
      [1, 2, 3].map((n) => [n, GREEN]),
    );
    for (let n = 100; n < 400; n++) {
      k.clock.pass(1000);
      k.controller.scan(person(n).payload);
    }
    corruptSchema(join(dir, 'journal.db'));
    // What the uplink, telemetry and the duplicate window read: none of it may throw.
    expect(() => k.controller.telemetry()).not.toThrow();
    k.clock.pass(1000);
    const outcome = k.controller.scan(person(1).payload);
    expect(k.controller.faults.list()).toContain('journal-corrupt');
    expect(readdirSync(dir).some((f) => f.startsWith('journal.db.corrupt-'))).toBe(true);
    k.clock.pass(1000);
    const next = k.controller.scan(person(2).payload);
    // The scan that met the corruption was honest (recorded, or "record failed"); the one after it
    // is recorded in the fresh journal: the kiosk recovered by itself.
    expect(outcome?.checkin !== undefined || outcome?.decision.reason.code === 'record-failed').toBe(true);
    expect(next?.decision.colour).toBe('green');
    expect(next?.checkin).toBeDefined();
    expect(journalRows(dir).map((r) => r.id)).toContain(next?.checkin?.id);
  });

  it('deleted with no scan before the stop: the undelivered rows are rescued at stop', async () => {
    const dir = makeTempDir('review-deleted-');
    const k = await kiosk(dir);
    know(
      k,
      [1, 2, 3].map((n) => [n, GREEN]),
    );
    for (const n of [1, 2, 3]) {
      k.clock.pass(1000);
      k.controller.scan(person(n).payload);
    }
    for (const suffix of ['', '-wal', '-shm']) {
      const f = join(dir, `journal.db${suffix}`);
      if (existsSync(f)) rmSync(f);
    }
    await k.controller.stop();
    expect(journalRows(dir)).toHaveLength(3);
  });
});

describe('the local identity key', () => {
  it('an empty identity.key (left by a full disk or a power cut) is never used as the key', async () => {
    const dir = makeTempDir('review-key-');
    writeFileSync(join(dir, 'identity.key'), '');
    const k = await kiosk(dir);
    k.controller.scan(person(1).payload);
    const db = new Database(join(dir, 'journal.db'), { readonly: true });
    const { id_hash } = db.prepare('SELECT id_hash FROM checkins').get() as { id_hash: string };
    db.close();
    const withEmptyKey = createHmac('sha256', Buffer.alloc(0))
      .update(`cccd:${person(1).number}`)
      .digest()
      .subarray(0, 16)
      .toString('hex');
    expect(id_hash).not.toBe(withEmptyKey);
    expect(readdirSync(dir).some((f) => f.startsWith('identity.key.bad-'))).toBe(true);
  });
});
