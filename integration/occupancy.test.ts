/**
 * Issue #13 item 8, the occupancy cap, on real parts: real Controllers (SimGpio's timeline is what
 * the relay did), a real Mosquitto, the real Hub on SQLite and PostgreSQL counting from its database.
 * A site with a cap of 2 at its level: two people in through two kiosks, the third held for review
 * at either kiosk, a person leaving (reception's exit button, an `out` kiosk) frees a place; while
 * the hub is out of reach a kiosk counts its own entries and says so.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import {
  Cleanups,
  ENGINES,
  HubDatabases,
  makeTempDir,
  type RunningMosquitto,
  relayPulses,
  startMosquitto,
  testerCccd,
  waitFor,
} from '@qrkiosk/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// One deployment key for every kiosk (privacy.hashKeyFile), as in the field: a person is the same
// hash at the entrance and at the exit, so the hub can tell who is still inside.
const keyFile = join(makeTempDir('occupancy-key-'), 'identity.key');
writeFileSync(keyFile, randomBytes(32).toString('hex'));

let broker: RunningMosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
const databases = new HubDatabases();
const newDatabase = databases.create.bind(databases);
afterAll(() => databases.stop());
afterAll(async () => {
  await broker.stop();
});
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/**
 * A kiosk of site `site` where everyone unknown is admitted (the cap is what is tested), with a cap
 * of 2 at level 2 and none at level 1; `uplink`: connected to the test broker.
 */
async function kiosk(
  id: string,
  site: string,
  o: { uplink: boolean; direction?: 'in' | 'out'; windowSeconds?: number },
): Promise<{ k: Controller; gpio: SimGpio }> {
  const gpio = new SimGpio();
  const loaded = settingsFromText(
    [
      `kiosk: { id: ${id}, site: ${site}, direction: ${o.direction ?? 'in'} }`,
      'gpio: { driver: sim }',
      `mqtt: { url: "${broker.url}", telemetrySeconds: 3600 }`,
      `data: { dir: "${makeTempDir('occupancy-kiosk-')}" }`,
      `rules: { duplicateWindowSeconds: ${o.windowSeconds ?? 0}, unknownPerson: ALLOW, level: 2, maxInside: { "2": 2 } }`,
      `privacy: { hashKeyFile: "${keyFile}" }`,
      'clock: { assumeSynced: true }',
      `log: { level: ${process.env.QRKIOSK_TEST_LOG ?? 'silent'} }`,
    ].join('\n'),
    'occupancy test kiosk.yaml',
    {},
  );
  const k = new Controller(loaded, {
    gpio,
    withoutScanner: true,
    withoutScreens: true,
    withoutUplink: !o.uplink,
  });
  const connected = new Promise<void>((resolve) =>
    k.bus.on('uplink.status', (s) => s.connected && resolve()),
  );
  await k.start();
  cleanups.push(() => k.stop());
  if (o.uplink) await connected;
  return { k, gpio };
}

/** Waits until the kiosk goes by the hub's count and it is `inside`. */
const hubSays = (k: Controller, inside: number) =>
  waitFor(
    () => {
      const now = k.occupancy.now();
      return now.scope === 'site' && now.inside === inside && k.journal.pendingCount() === 0
        ? true
        : undefined;
    },
    15_000,
    `the hub's count of ${inside} (now ${JSON.stringify(k.occupancy.now())}, pending ${k.journal.pendingCount()})`,
  );

describe.each(ENGINES)('the site cap counted by the hub over all kiosks (%s)', (engine) => {
  it('the third person is held for review at either kiosk; an exit frees the place', async () => {
    const { database, dataDir } = await newDatabase(engine);
    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 1, occupancyDelayMs: 50 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: process.env.QRKIOSK_TEST_LOG ?? 'silent' }),
    });
    await hub.start();
    cleanups.push(() => hub.stop());
    const site = `s-${engine}`;
    // Ids per engine: a kiosk is bound to the first site the hub hears it report (retained states).
    const a = await kiosk(`k-a-${engine}`, site, { uplink: true });
    const b = await kiosk(`k-b-${engine}`, site, { uplink: true });
    const exit = await kiosk(`k-out-${engine}`, site, { uplink: true, direction: 'out' });

    const first = a.k.scan(testerCccd(1))!;
    expect(first.decision.verdict).toBe('ALLOW');
    await hubSays(b.k, 1);
    expect(b.k.scan(testerCccd(2))!.decision.verdict).toBe('ALLOW');
    await hubSays(a.k, 2);

    // Full: kiosk a never saw person 2, yet holds person 3 — the hub counted b's entry.
    const pulsesBefore = relayPulses(a.gpio);
    const held = a.k.scan(testerCccd(3))!;
    expect(held.decision).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'occupancy-full', text: { vi: 'Đã đủ số người (2/2) — chờ người ra' } },
    });
    expect(held.decision.decidedBy[0]).toBe('occupancy-site');
    expect(held.checkin?.verdict).toBe('REVIEW'); // journaled and sent as what the door showed
    await a.k.stop(); // every line off: the whole timeline is in

    expect(relayPulses(a.gpio, 0) - pulsesBefore).toBe(0); // no door for a held entry
    // Person 2 again at b, outside any duplicate window: b cannot know whether they left by another
    // door, so they are counted like anyone else — held (the hub review of issue #13 found the hole).
    expect(b.k.scan(testerCccd(2))!.decision.reason.code).toBe('occupancy-full');

    // A kiosk that joins learns the count from the hub's retained message, and holds person 4.
    await hubSays(b.k, 2);
    const c = await kiosk(`k-c-${engine}`, site, { uplink: true });
    await hubSays(c.k, 2);
    expect(c.k.scan(testerCccd(4))!.decision.reason.code).toBe('occupancy-full');
    // The exit button takes only an admitted entry this kiosk journaled.
    expect(() => b.k.outcomes.left(first.checkin!.id)).toThrow(/not an admitted entry/);

    // Person 2 goes out through the exit kiosk: one place frees, b lets person 3 in.
    expect(exit.k.scan(testerCccd(2))!.decision.verdict).toBe('ALLOW');
    await hubSays(b.k, 1);
    const third = b.k.scan(testerCccd(3))!;
    expect(third.decision.verdict).toBe('ALLOW');
    await hubSays(c.k, 2);

    // Reception's exit button on b for person 3: the place is free again, across the site.
    expect(b.k.outcomes.left(third.checkin!.id)).toMatchObject({
      outcome: 'left',
      by: 'reception',
      checkin: third.checkin!.id,
    });
    expect(() => b.k.outcomes.left(third.checkin!.id)).toThrow(/Already marked/);
    await hubSays(c.k, 1);
    expect(c.k.scan(testerCccd(5))!.decision.verdict).toBe('ALLOW');
    await hubSays(c.k, 2);
    const today = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
    expect((await hub.store!.occupancy(site, today)).inside).toBe(2); // persons 1 and 5
  });
});

describe('offline, a kiosk counts its own entries and says so', () => {
  it('scope "kiosk": its own journal today; the guard’s admit of a held entry counts', async () => {
    const { k, gpio } = await kiosk('k-alone', 's-alone', { uplink: false });
    const states: unknown[] = [];
    k.bus.on('occupancy.changed', (s) => states.push(s));
    expect(k.scan(testerCccd(11))!.decision.verdict).toBe('ALLOW');
    expect(k.scan(testerCccd(12))!.decision.verdict).toBe('ALLOW');
    const held = k.scan(testerCccd(13))!;
    expect(held.decision.reason.code).toBe('occupancy-full');
    expect(held.decision.decidedBy[0]).toBe('occupancy-kiosk');
    expect(k.occupancy.state()).toEqual({ inside: 2, max: 2, scope: 'kiosk' });
    // The guard checks and lets them in anyway: one relay pulse, and now 3 are inside.
    const before = relayPulses(gpio);
    k.outcomes.resolve({ outcome: 'admitted', by: 'reception', checkin: held.checkin!.id });
    expect(k.occupancy.now()).toEqual({ inside: 3, scope: 'kiosk' });
    await new Promise((r) => setImmediate(r)); // the screens hear of it once per turn of the event loop
    expect(states.at(-1)).toEqual({ inside: 3, max: 2, scope: 'kiosk' });
    // Reception's manual entry is held the same way (a form has nobody at the door to review).
    expect(() => k.manualCheckin('Trần Thị Bình', '0912345678')).toThrow(/full \(3\/2\)/);
    await k.stop();
    // The held person is the one at the door (their REVIEW is on show): reception's admit opens it once.
    expect(relayPulses(gpio) - before).toBe(1);
  });
});

describe('scanning again at the door within the duplicate window', () => {
  it('a person let in is a repeat, not a second entry; a held person the guard admitted too: no second relay', async () => {
    const { k, gpio } = await kiosk('k-window', 's-window', { uplink: false, windowSeconds: 60 });
    expect(k.scan(testerCccd(21))!.decision.verdict).toBe('ALLOW');
    expect(k.scan(testerCccd(22))!.decision.verdict).toBe('ALLOW');
    // Full now; person 21 scanning again is the same entry, shown as already checked in.
    expect(k.scan(testerCccd(21))!.decision).toMatchObject({ verdict: 'ALLOW', repeat: true });
    const held = k.scan(testerCccd(23))!;
    expect(held.decision.reason.code).toBe('occupancy-full');
    k.outcomes.resolve({ outcome: 'admitted', by: 'reception', checkin: held.checkin!.id });
    const pulses = relayPulses(gpio);
    const again = k.scan(testerCccd(23))!;
    expect(again.decision).toMatchObject({ verdict: 'ALLOW', repeat: true });
    expect(again.checkin).toBeUndefined();
    expect(k.occupancy.now()).toEqual({ inside: 3, scope: 'kiosk' });
    await k.stop();
    expect(relayPulses(gpio)).toBe(pulses); // the repeat opened nothing
  });
});
