/**
 * Issue #13, "time without a real-time clock", end to end on real parts: the real Controller with a
 * clock a day behind and not synced, a real Mosquitto, the real Hub on SQLite and on PostgreSQL. The
 * kiosk scans two people; the hub stores them (receipted) on the kiosk's wrong day. Then NTP syncs on
 * the same boot: the kiosk sends its telemetry at once, and the hub places both check-ins on the right
 * Vietnam day (UTC+7), where tracing finds the person and the co-visitor.
 */
import { type Clock, Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import { vnDay } from '@qrkiosk/protocol';
import {
  ENGINES,
  HubDatabases,
  kioskYaml,
  makeTempDir,
  type RunningMosquitto,
  startMosquitto,
  testerCccd,
  waitFor,
} from '@qrkiosk/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A Pi after a power cut: the wall clock a day behind and not synced; the monotonic clock true. */
class PiClock implements Clock {
  wall = Date.parse('2021-10-29T03:00:00Z'); // truly 2021-10-30T03:00Z, 10:00 in Vietnam
  mono = 5_000_000;
  isSynced = false;
  now = () => new Date(this.wall);
  synced = () => this.isSynced;
  monotonic = () => ({ boot: 'boot-e2e', ms: this.mono });
}
const TRULY = Date.parse('2021-10-30T03:00:00Z');

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

describe.each(ENGINES)('a kiosk a day off, re-timed by the hub (%s)', (engine) => {
  it('the stored check-ins land on the right Vietnam day once the same boot reports a synced clock; tracing finds them there', async () => {
    const { database, dataDir } = await newDatabase(engine);
    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: engine === 'postgres' ? 2 : 1 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    });
    await hub.start();
    const clock = new PiClock();
    const loaded = settingsFromText(
      kioskYaml({
        dataDir: makeTempDir('retime-kiosk-'),
        assumeSynced: false,
        lines: [
          'ui: { port: 0 }',
          // Telemetry only on connect and on sync: nothing periodic interferes.
          `mqtt: { url: "${broker.url}", telemetrySeconds: 3600 }`,
          'rules: { duplicateWindowSeconds: 0 }',
        ],
      }),
      'retime e2e kiosk.yaml',
      {},
    );
    const kiosk = new Controller(loaded, {
      gpio: new SimGpio(),
      clock,
      withoutScanner: true,
      withoutScreens: true,
    });
    try {
      const connected = new Promise<void>((resolve) =>
        kiosk.bus.on('uplink.status', (s) => s.connected && resolve()),
      );
      await kiosk.start();
      await connected;
      expect(kiosk.faults.has('clock-unsynced')).toBe(true);

      const first = kiosk.scan(testerCccd(1))!.checkin!;
      clock.wall += 120_000;
      clock.mono += 120_000;
      const second = kiosk.scan(testerCccd(2))!.checkin!;
      expect(first).toMatchObject({ clockSynced: false, boot: { id: 'boot-e2e', uptimeMs: 5_000_000 } });
      // Receipted: the hub has both, at the kiosk's (wrong) time.
      await waitFor(() => (kiosk.journal.pendingCount() === 0 ? true : undefined), 15_000, 'both receipted');
      const store = hub.store!;
      const dayOf = async (d: string) =>
        store.trace(
          [first.document.idHash],
          new Date(`${d}T00:00:00+07:00`),
          new Date(`${d}T23:59:59.999+07:00`),
          30,
        );
      expect((await dayOf('2021-10-29')).map((v) => v.visit.id)).toEqual([first.id]);
      expect(await dayOf('2021-10-30')).toEqual([]);

      // NTP answers: the clock is right and synced, on the same boot, some minutes later.
      clock.wall = TRULY + 600_000;
      clock.mono += 480_000;
      clock.isSynced = true;
      expect(kiosk.clockWatch.check()).toBe(true);

      const visits = await waitFor(
        async () => {
          const found = await dayOf('2021-10-30');
          return found.length === 1 ? found : undefined;
        },
        15_000,
        'the check-in on its true day',
      );
      expect(visits[0]?.visit).toMatchObject({ id: first.id, at: new Date(TRULY).toISOString() });
      expect(vnDay(new Date(visits[0]!.visit.at))).toBe('2021-10-30');
      expect(visits[0]?.coVisitors.map((c) => [c.id, c.at])).toEqual([
        [second.id, new Date(TRULY + 120_000).toISOString()],
      ]);
      expect(await dayOf('2021-10-29')).toEqual([]);
      expect((await store.dailyReport('2021-10-30')).sites.find((s) => s.site === 's-001')?.scans).toBe(2);
    } finally {
      await kiosk.stop();
      await hub.stop();
    }
  });
});
