/**
 * Issue #19 item 2, "a door that did not open is not an entry", on real parts: the real Controller
 * with a SimGpio whose door sensor the test moves (or never moves), a real Mosquitto, the real Hub on
 * SQLite and PostgreSQL. Two people admitted, the door moves once: the second entry is marked
 * `not-entered` by the door sensor, the outcome reaches the hub linked to the check-in (which stays an
 * ALLOW), the hub's count of people inside leaves them out, and tracing makes them nobody's contact.
 */
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import { OUTCOME_SCHEMA_ID, vnDay } from '@qrkiosk/protocol';
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

/** An entrance kiosk with a door sensor on GPIO16 and 2 s to go through; everyone unknown is admitted. */
async function kiosk(id: string, site: string): Promise<{ k: Controller; gpio: SimGpio }> {
  const gpio = new SimGpio();
  const loaded = settingsFromText(
    [
      `kiosk: { id: ${id}, site: ${site}, direction: in }`,
      'gpio: { driver: sim, doorSensor: { pin: GPIO16 } }',
      'signal: { doorEnterSeconds: 2 }',
      `mqtt: { url: "${broker.url}", telemetrySeconds: 3600 }`,
      `data: { dir: "${makeTempDir('door-kiosk-')}" }`,
      // A cap far away, so the kiosk follows the hub's count (the count is what is tested).
      'rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW, level: 2, maxInside: { "2": 50 } }',
      'clock: { assumeSynced: true }',
      `log: { level: ${process.env.QRKIOSK_TEST_LOG ?? 'silent'} }`,
    ].join('\n'),
    'door feedback test kiosk.yaml',
    {},
  );
  const k = new Controller(loaded, { gpio, withoutScanner: true, withoutScreens: true });
  const connected = new Promise<void>((resolve) =>
    k.bus.on('uplink.status', (s) => s.connected && resolve()),
  );
  await k.start();
  cleanups.push(() => k.stop());
  await connected;
  return { k, gpio };
}

describe.each(ENGINES)('a door sensor that never fires (%s)', (engine) => {
  it('turns the ALLOW into not-entered at the hub: not counted inside, nobody’s contact', async () => {
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
    const site = `s-door-${engine}`;
    const { k, gpio } = await kiosk(`k-door-${engine}`, site);

    const first = k.scan(testerCccd(1))!.checkin!;
    const second = k.scan(testerCccd(2))!.checkin!;
    expect([first.verdict, second.verdict]).toEqual(['ALLOW', 'ALLOW']);
    expect(relayPulses(gpio)).toBe(2);
    gpio.doorMoved(); // one person went through: the first the door opened for

    const store = hub.store!;
    await waitFor(
      async () => ((await store.outcomesOf(second.id)).length > 0 ? true : undefined),
      15_000,
      'the not-entered outcome at the hub',
    );
    expect(await store.outcomesOf(second.id)).toEqual([
      expect.objectContaining({
        schema: OUTCOME_SCHEMA_ID,
        checkin: second.id,
        outcome: 'not-entered',
        by: 'door-sensor',
        kiosk: `k-door-${engine}`,
        site,
      }),
    ]);
    expect(await store.outcomesOf(first.id)).toEqual([]);
    // The check-in is never rewritten: the hub still has what the kiosk decided.
    expect((await store.recent(10)).map((c) => [c.id, c.verdict]).sort()).toEqual(
      [
        [first.id, 'ALLOW'],
        [second.id, 'ALLOW'],
      ].sort(),
    );

    // Occupancy: the hub counts one person inside, and the kiosk goes by that count.
    expect((await store.occupancy(site, vnDay(new Date()))).inside).toBe(1);
    await waitFor(
      () => {
        const now = k.occupancy.now();
        return now.scope === 'site' && now.inside === 1 && k.journal.pendingCount() === 0 ? true : undefined;
      },
      15_000,
      `the kiosk on the hub's count of 1 (now ${JSON.stringify(k.occupancy.now())})`,
    );

    // Tracing: the first person met nobody (the second never came in); the second's own visit is
    // listed as not entered, with no stay and no co-visitors.
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 3_600_000);
    const firstTrace = await store.trace([first.document.idHash], from, to, 60);
    expect(firstTrace.map((v) => [v.visit.id, v.coVisitors.length, v.notEntered ?? false])).toEqual([
      [first.id, 0, false],
    ]);
    const secondTrace = await store.trace([second.document.idHash], from, to, 60);
    expect(secondTrace).toEqual([
      { visit: expect.objectContaining({ id: second.id }), coVisitors: [], notEntered: true },
    ]);
  });
});
