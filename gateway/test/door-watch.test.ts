/**
 * Door feedback (issue #19): after the relay opens for an entry, the door contact or turnstile sensor
 * must move within signal.doorEnterSeconds, or the entry is marked `not-entered` by its own outcome
 * row. Real Controller, real SQLite journal read by a second connection, the SimGpio sensor, real
 * timers (doorEnterSeconds at its minimum, 2 s).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRESHNESS_SCHEMA_ID, type FreshnessStatement, keyId, signFreshness } from '@qrkiosk/protocol';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../src/bus.js';
import { builtinRules, signRules } from '../src/decide/index.js';
import { DoorWatch } from '../src/door-watch/index.js';
import { Faults } from '../src/faults.js';
import { receptionToday } from '../src/screens/today.js';
import { NoGpio, SimGpio } from '../src/signal/index.js';
import { GREEN, hub, kioskStarter, know, person, pulses } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WITH_SENSOR = { gpio: 'doorSensor: { pin: GPIO16 }', extra: ['signal: { doorEnterSeconds: 2 }'] };
/** Past doorEnterSeconds (2 s) with a margin for a loaded CI machine. */
const PAST_ENTER = 2600;

/** The outcome rows journal.db holds for a check-in, as a second process sees them. */
function outcomesOf(dir: string, checkin: string): Array<{ outcome: string; by: string; checkin: string }> {
  const db = new Database(join(dir, 'journal.db'), { readonly: true });
  try {
    return (
      db.prepare('SELECT message FROM checkins WHERE checkin = ? ORDER BY seq').all(checkin) as Array<{
        message: string;
      }>
    ).map((r) => JSON.parse(r.message));
  } finally {
    db.close();
  }
}

describe('a pattern that opens the relay without admitting', () => {
  it('a REVIEW whose pattern pulses the relay is not watched; the guard admitting it is (review #5)', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), {
      gpio: WITH_SENSOR.gpio,
      extra: [
        'signal: { doorEnterSeconds: 2, patterns: { REVIEW: { amber: [[0, 1500]], relay: [[0, 500]] } } }',
        'rules: { unknownPerson: REVIEW }',
      ],
    });
    const review = k.controller.scan(person(7).payload)!;
    expect(review.decision.verdict).toBe('REVIEW');
    expect(pulses(k.gpio, 'relay')).toBe(1);
    // Not admitted: no entry to mark not-entered.
    expect(k.controller.doorWatch.waiting()).toEqual([]);
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, review.checkin!.id)).toEqual([]);
    // The guard admits it (ADMIT opens the door): now it is an entry, and it is watched.
    k.controller.outcomes.resolve({ outcome: 'admitted', by: 'button', checkin: review.checkin!.id });
    expect(k.controller.doorWatch.waiting()).toEqual([review.checkin!.id]);
  });
});

describe('an admitted entry the door sensor never saw', () => {
  it('is marked not-entered by the door sensor, linked to it, and leaves the count', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), WITH_SENSOR);
    know(k, [[1, GREEN]]);
    const allowed = k.controller.scan(person(1).payload)!;
    expect(allowed.decision.verdict).toBe('ALLOW');
    expect(pulses(k.gpio, 'relay')).toBe(1);
    expect(k.controller.occupancy.now().inside).toBe(1);
    expect(k.controller.doorWatch.waiting()).toEqual([allowed.checkin!.id]);
    await sleep(PAST_ENTER);
    const rows = outcomesOf(k.dir, allowed.checkin!.id);
    expect(rows).toMatchObject([
      {
        schema: 'qrkiosk.outcome/1',
        outcome: 'not-entered',
        by: 'door-sensor',
        checkin: allowed.checkin!.id,
      },
    ]);
    expect(k.controller.occupancy.now().inside).toBe(0);
    expect(k.controller.doorWatch.waiting()).toEqual([]);
    // Reception cannot mark as "left" someone who never came in.
    expect(() => k.controller.outcomes.left(allowed.checkin!.id)).toThrow(/did not enter/);
    // Reception's list labels it and counts nobody in (what /api/today serves).
    const since = new Date(Date.parse('2021-10-14T17:00:00Z')).toISOString();
    const today = receptionToday(
      k.controller.journal.since(since, 100),
      k.controller.journal.outcomesSince(since),
    );
    expect(today).toMatchObject({
      in: 0,
      occupancy: 0,
      checkins: [{ id: allowed.checkin!.id, notEntered: true }],
    });
  });

  it('on a verify-only site the tally is watched: not-entered links to the tally id and the count drops', async () => {
    const dir = makeTempDir('door-watch-');
    // Signed by the hub key the rig trusts, as a hub update leaves them: verify-only is the signed rules' switch.
    const bytes = Buffer.from(
      JSON.stringify({ ...builtinRules(), version: 'vo-door-1', sites: { 's-001': { verifyOnly: true } } }),
    );
    writeFileSync(join(dir, 'rules.json'), bytes);
    writeFileSync(
      join(dir, 'rules.json.sig'),
      JSON.stringify(signRules(bytes, hub.privateKey, keyId(hub.publicKey))),
    );
    const k = await kiosk(dir, WITH_SENSOR);
    // Rules placed by hand have no confirmed age (stale: every ALLOW would be REVIEW, issue #19): the hub's
    // signed statement naming their version confirms them, as it would at connect.
    const statement: FreshnessStatement = {
      schema: FRESHNESS_SCHEMA_ID,
      issuedAt: k.clock.now().toISOString(),
      cache: null,
      rules: { version: 'vo-door-1' },
      trust: null,
      revocation: null,
    };
    await k.controller.updates.receive(
      'fresh',
      signFreshness(statement, hub.privateKey, keyId(hub.publicKey)),
    );
    know(k, [[1, GREEN]]);
    k.controller.freshness.refresh(); // the tick sees the local write
    const allowed = k.controller.scan(person(1).payload)!;
    expect(allowed.checkin).toBeUndefined();
    const tally = allowed.tally!.id;
    expect(k.controller.doorWatch.waiting()).toEqual([tally]);
    expect(k.controller.occupancy.now().inside).toBe(1);
    await sleep(PAST_ENTER);
    expect(outcomesOf(dir, tally)).toMatchObject([
      { outcome: 'not-entered', by: 'door-sensor', checkin: tally },
    ]);
    expect(k.controller.occupancy.now().inside).toBe(0);
  });

  it('scanning again within the duplicate window after "did not enter" is a new entry: a new row, the door opens', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), WITH_SENSOR);
    know(k, [[1, GREEN]]);
    const first = k.controller.scan(person(1).payload)!;
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, first.checkin!.id)).toMatchObject([{ outcome: 'not-entered' }]);
    k.clock.pass(5000); // well inside the duplicate window
    const again = k.controller.scan(person(1).payload)!;
    expect(again.decision).toMatchObject({ verdict: 'ALLOW', repeat: false });
    expect(again.checkin?.id).not.toBe(first.checkin!.id);
    expect(pulses(k.gpio, 'relay')).toBe(2);
    k.gpio.doorMoved();
    expect(k.controller.occupancy.now().inside).toBe(1);
  });

  it('a movement within the time settles the entry: no outcome, the person counts', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), WITH_SENSOR);
    know(k, [[1, GREEN]]);
    const allowed = k.controller.scan(person(1).payload)!;
    await sleep(500);
    k.gpio.doorMoved();
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, allowed.checkin!.id)).toEqual([]);
    expect(k.controller.occupancy.now().inside).toBe(1);
  });

  it('one movement for two entries goes to the oldest; the newer is marked not-entered', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), WITH_SENSOR);
    know(k, [
      [1, GREEN],
      [2, GREEN],
    ]);
    const first = k.controller.scan(person(1).payload)!;
    k.clock.pass(1000);
    const second = k.controller.scan(person(2).payload)!;
    expect(pulses(k.gpio, 'relay')).toBe(2);
    k.gpio.doorMoved();
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, first.checkin!.id)).toEqual([]);
    expect(outcomesOf(k.dir, second.checkin!.id)).toMatchObject([{ outcome: 'not-entered' }]);
    expect(k.controller.occupancy.now().inside).toBe(1);
  });

  it('no relay, no watch: a refusal, a pending REVIEW and a repeat are never marked', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), WITH_SENSOR);
    know(k, [[1, GREEN]]);
    const review = k.controller.scan(person(7).payload)!; // unknown → REVIEW
    expect(review.decision.verdict).toBe('REVIEW');
    expect(k.controller.doorWatch.waiting()).toEqual([]);
    const allowed = k.controller.scan(person(1).payload)!;
    k.gpio.doorMoved(); // they went through
    k.clock.pass(5000);
    const repeat = k.controller.scan(person(1).payload)!;
    expect(repeat.decision).toMatchObject({ verdict: 'ALLOW', repeat: true });
    expect(k.controller.doorWatch.waiting()).toEqual([]);
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, review.checkin!.id)).toEqual([]);
    expect(outcomesOf(k.dir, allowed.checkin!.id)).toEqual([]);
  });

  it('a REVIEW the guard admits at the door is watched from the relay on', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), WITH_SENSOR);
    const review = k.controller.scan(person(3).payload)!;
    expect(k.controller.outcomes.pressed('admit')?.outcome).toBe('admitted');
    expect(pulses(k.gpio, 'relay')).toBe(1);
    expect(k.controller.doorWatch.waiting()).toEqual([review.checkin!.id]);
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, review.checkin!.id).map((o) => o.outcome)).toEqual(['admitted', 'not-entered']);
    expect(k.controller.occupancy.now().inside).toBe(0);
  });

  it('without gpio.doorSensor nothing is watched (the door behaves as before)', async () => {
    const k = await kiosk(makeTempDir('door-watch-'), { extra: ['signal: { doorEnterSeconds: 2 }'] });
    know(k, [[1, GREEN]]);
    const allowed = k.controller.scan(person(1).payload)!;
    expect(k.controller.doorWatch.waiting()).toEqual([]);
    await sleep(PAST_ENTER);
    expect(outcomesOf(k.dir, allowed.checkin!.id)).toEqual([]);
    expect(k.controller.occupancy.now().inside).toBe(1);
  });
});

describe('DoorWatch on its own', () => {
  const log = pino({ level: 'silent' });
  const notEntered = () => {
    throw new Error('never called here');
  };

  it('a sensor set but a driver that reads no inputs raises the door-sensor fault', () => {
    const faults = new Faults(new EventBus(log), log);
    const watch = new DoorWatch({
      kiosk: { direction: 'in' },
      sensorWired: true,
      enterSeconds: 2,
      notEntered,
      faults,
      log,
    });
    watch.start(new NoGpio());
    expect(faults.list()).toEqual(['door-sensor']);
    watch.opened('01J00000000000000000000000');
    expect(watch.waiting()).toEqual([]);
  });

  /** A watch on the SimGpio sensor, on fake timers; which check-ins it marked not-entered. */
  const watched = () => {
    vi.useFakeTimers();
    const gpio = new SimGpio();
    const marked: string[] = [];
    const watch = new DoorWatch({
      kiosk: { direction: 'in' },
      sensorWired: true,
      enterSeconds: 2,
      notEntered: (checkin) => {
        marked.push(checkin);
        return { id: `outcome-${checkin}` } as ReturnType<
          ConstructorParameters<typeof DoorWatch>[0]['notEntered']
        >;
      },
      faults: new Faults(new EventBus(log), log),
      log,
    });
    watch.start(gpio);
    return { gpio, watch, marked };
  };

  it('two armed before one opening: the opening is the first, its closing is not the second (review 3 #4)', () => {
    try {
      const { gpio, watch, marked } = watched();
      watch.opened('A');
      watch.opened('B');
      gpio.doorMoved();
      gpio.doorClosed();
      expect(watch.waiting()).toEqual(['B']);
      vi.advanceTimersByTime(2000);
      expect(marked).toEqual(['B']);
      watch.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('armed while the door stands open: its closing settles them (review 3 #4)', () => {
    try {
      const { gpio, watch, marked } = watched();
      watch.opened('A');
      gpio.doorMoved(); // A opens the door
      watch.opened('B'); // B scans while it is still open, walks through
      gpio.doorClosed();
      expect(watch.waiting()).toEqual([]);
      // The next closing with nobody armed since the last opening settles nothing.
      watch.opened('C');
      gpio.doorMoved();
      watch.opened('D');
      watch.opened('E');
      gpio.doorClosed();
      expect(watch.waiting()).toEqual(['E']);
      vi.advanceTimersByTime(2000);
      expect(marked).toEqual(['E']);
      watch.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('an exit kiosk is not watched, and raises no fault', () => {
    const faults = new Faults(new EventBus(log), log);
    const watch = new DoorWatch({
      kiosk: { direction: 'out' },
      sensorWired: true,
      enterSeconds: 2,
      notEntered,
      faults,
      log,
    });
    watch.start(new SimGpio());
    watch.opened('01J00000000000000000000000');
    expect(watch.waiting()).toEqual([]);
    expect(faults.list()).toEqual([]);
  });
});
