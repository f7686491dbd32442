/**
 * The guard's ADMIT never opens the door for anyone but the REVIEW the door shows now (issue #13,
 * review of the merged work), and a cache that fails to read never makes a decision greener. Real
 * Controller, real SQLite, the SimGpio timeline, real timers (the refusal hold is 3 s).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { F0, GREEN, kioskStarter, know, person, pulses } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the ADMIT button is for the REVIEW at the door, nothing else', () => {
  it('a REVIEW, then someone refused: the button opens nothing, during the hold or after it', async () => {
    const k = await kiosk(makeTempDir('door-outcomes-'));
    know(k, [[2, F0]]);
    expect(k.controller.scan(person(1).payload)?.decision.verdict).toBe('REVIEW'); // unknown
    k.clock.pass(2000);
    expect(k.controller.scan(person(2).payload)?.decision.verdict).toBe('REFUSE');
    expect(k.controller.outcomes.pressed('admit')).toBeUndefined(); // the refusal holds the door
    await sleep(3500); // the hold is over; the door still shows the refusal
    expect(k.controller.outcomes.pressed('admit')).toBeUndefined();
    expect(pulses(k.gpio, 'relay')).toBe(0);
  });

  it('the same person refused since their REVIEW: the button does not admit the old REVIEW', async () => {
    const k = await kiosk(makeTempDir('door-outcomes-'));
    know(k, [[1, GREEN]]);
    k.controller.cache.upsert([]); // a cache that is sound
    const first = k.controller.scan(person(9).payload); // unknown → REVIEW
    expect(first?.decision.verdict).toBe('REVIEW');
    know(k, [[9, F0]]); // a case since then
    k.clock.pass(5000);
    expect(k.controller.scan(person(9).payload)?.decision.verdict).toBe('REFUSE');
    await sleep(3500);
    expect(k.controller.outcomes.pressed('admit')).toBeUndefined();
    expect(pulses(k.gpio, 'relay')).toBe(0);
  });

  it('the REVIEW at the door: admit opens the door once; a second press does nothing', async () => {
    const k = await kiosk(makeTempDir('door-outcomes-'));
    expect(k.controller.scan(person(3).payload)?.decision.verdict).toBe('REVIEW');
    expect(k.controller.outcomes.pressed('admit')?.outcome).toBe('admitted');
    await sleep(100); // past the debounce
    expect(k.controller.outcomes.pressed('admit')).toBeUndefined();
    expect(pulses(k.gpio, 'relay')).toBe(1);
  });
});

describe('a repeat after the guard resolved a REVIEW stands as the guard left it', () => {
  it('denied, scanned again: red with the refusal’s pattern, never amber, never the relay; admitted: already checked in', async () => {
    const k = await kiosk(makeTempDir('door-outcomes-'));
    const denied = k.controller.scan(person(4).payload)!; // unknown → REVIEW
    k.controller.outcomes.resolve({ outcome: 'denied', by: 'reception', checkin: denied.checkin!.id });
    await sleep(3500); // the DENY pattern has played out
    const redBefore = pulses(k.gpio, 'red');
    k.clock.pass(5000);
    const again = k.controller.scan(person(4).payload)!;
    expect(again.decision).toMatchObject({
      verdict: 'REFUSE',
      repeat: true,
      decidedBy: ['duplicate-window', 'guard-denied'],
    });
    expect(again.checkin).toBeUndefined(); // a repeat records nothing
    await sleep(3500);
    expect(pulses(k.gpio, 'red')).toBeGreaterThan(redBefore);
    expect(pulses(k.gpio, 'relay')).toBe(0);

    const admitted = k.controller.scan(person(5).payload)!;
    expect(k.controller.outcomes.pressed('admit')?.outcome).toBe('admitted');
    expect(pulses(k.gpio, 'relay')).toBe(1);
    k.clock.pass(5000);
    await sleep(100);
    expect(k.controller.scan(person(5).payload)!.decision).toMatchObject({ verdict: 'ALLOW', repeat: true });
    expect(admitted.checkin?.verdict).toBe('REVIEW');
    await sleep(1500);
    expect(pulses(k.gpio, 'relay')).toBe(1); // the repeat never opens the door again
  });
});

describe('a facts cache that fails to read under the running kiosk', () => {
  /** Python's sqlite3 rewrites the facts table's schema record (a real SQLITE_CORRUPT on the next read). */
  const corruptCache = (file: string) =>
    execFileSync('python3', [
      '-c',
      [
        'import sqlite3, sys',
        'db = sqlite3.connect(sys.argv[1])',
        'v = db.execute("PRAGMA schema_version").fetchone()[0]',
        'db.execute("PRAGMA writable_schema = ON")',
        `db.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE facts (' WHERE name = 'facts'")`,
        'db.execute(f"PRAGMA schema_version = {v + 1}")',
        'db.commit()',
      ].join('\n'),
      file,
    ]);

  it('an F0 at a site that refuses unknown people stays refused; elsewhere at most REVIEW, never ALLOW', async () => {
    const refusing = await kiosk(makeTempDir('cache-read-'), { extra: ['rules: { unknownPerson: REFUSE }'] });
    know(refusing, [[1, F0]]);
    corruptCache(join(refusing.dir, 'cache.db'));
    expect(refusing.controller.scan(person(1).payload)?.decision.verdict).toBe('REFUSE');
    expect(refusing.controller.faults.list()).toContain('cache-corrupt');

    const allowing = await kiosk(makeTempDir('cache-read-'), { extra: ['rules: { unknownPerson: ALLOW }'] });
    know(allowing, [[2, F0]]);
    corruptCache(join(allowing.dir, 'cache.db'));
    expect(allowing.controller.scan(person(2).payload)?.decision.verdict).toBe('REVIEW');
    expect(pulses(allowing.gpio, 'relay')).toBe(0);
  });
});
