/**
 * Issue #13 item 7, "the guard closes the loop", on real parts: the real Controller with a SimGpio
 * (its timeline is what the relay did), a real Mosquitto, the real Hub on SQLite and PostgreSQL.
 * After a REVIEW the guard presses "cho vào": one relay pulse, an outcome row in the journal (the
 * outbox), the outcome at the hub linked to the check-in (which stays a REVIEW), receipted.
 */
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import { OUTCOME_SCHEMA_ID } from '@qrkiosk/protocol';
import {
  Cleanups,
  ENGINES,
  HubDatabases,
  kioskYaml,
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

/** A kiosk where every unknown person is a REVIEW; `uplink`: connected to the test broker. */
async function kiosk(uplink: boolean): Promise<{ k: Controller; gpio: SimGpio }> {
  const gpio = new SimGpio();
  const loaded = settingsFromText(
    kioskYaml({
      dataDir: makeTempDir('outcome-kiosk-'),
      lines: [
        `mqtt: { url: "${broker.url}", telemetrySeconds: 3600 }`,
        'rules: { duplicateWindowSeconds: 0, unknownPerson: REVIEW }',
        // Two presses in one test step are one press (contact bounce), however slow the machine.
        'signal: { buttonDebounceMs: 2000 }',
      ],
    }),
    'outcome test kiosk.yaml',
    {},
  );
  const k = new Controller(loaded, {
    gpio,
    withoutScanner: true,
    withoutScreens: true,
    withoutUplink: !uplink,
  });
  const connected = new Promise<void>((resolve) =>
    k.bus.on('uplink.status', (s) => s.connected && resolve()),
  );
  await k.start();
  cleanups.push(() => k.stop());
  if (uplink) await connected;
  return { k, gpio };
}

const today = () => new Date(Date.now() - 86_400_000).toISOString();

describe.each(ENGINES)('the guard admits after a REVIEW (%s)', (engine) => {
  it('one relay pulse, an outcome journaled and stored at the hub linked to the check-in, receipted', async () => {
    const { database, dataDir } = await newDatabase(engine);
    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 1 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    });
    await hub.start();
    cleanups.push(() => hub.stop());
    const { k, gpio } = await kiosk(true);

    const review = k.scan(testerCccd(1))!.checkin!;
    expect(review.verdict).toBe('REVIEW');
    expect(relayPulses(gpio)).toBe(0);
    gpio.press('admit');
    gpio.press('admit'); // a bounce, or a second press: nothing more to resolve, no second pulse
    await waitFor(() => (relayPulses(gpio) > 0 ? true : undefined), 5000, 'the relay pulse');
    expect(relayPulses(gpio)).toBe(1);
    const journaled = k.journal.outcomesSince(today());
    expect(journaled).toEqual([
      expect.objectContaining({
        schema: OUTCOME_SCHEMA_ID,
        checkin: review.id,
        outcome: 'admitted',
        by: 'button',
        kiosk: 'k-001',
        site: 's-001',
      }),
    ]);
    // The REVIEW row is not rewritten: the reception list still shows it as it was decided.
    expect(k.journal.since(today()).map((c) => [c.id, c.verdict])).toEqual([[review.id, 'REVIEW']]);

    // Receipted by the hub: the outbox is empty only once both rows are in its database.
    await waitFor(() => (k.journal.pendingCount() === 0 ? true : undefined), 15_000, 'both receipted');
    const store = hub.store!;
    expect(await store.outcomesOf(review.id)).toEqual(journaled);
    expect((await store.recent(10)).map((c) => [c.id, c.verdict])).toEqual([[review.id, 'REVIEW']]);
  });
});

describe('the button does nothing it should not', () => {
  it('a press with no pending REVIEW: no light, no relay, no row; a resolved REVIEW is not resolved again', async () => {
    const { k, gpio } = await kiosk(false);
    gpio.press('admit');
    expect(gpio.timeline).toEqual([]);
    expect(k.journal.outcomesSince(today())).toEqual([]);
    expect(k.journal.pendingCount()).toBe(0);

    const review = k.scan(testerCccd(2))!.checkin!;
    expect(k.outcomes.resolve({ outcome: 'admitted', by: 'reception', checkin: review.id }).checkin).toBe(
      review.id,
    );
    const rows = k.journal.pendingCount();
    const before = gpio.timeline.length;
    expect(() => k.outcomes.resolve({ outcome: 'admitted', by: 'button' })).toThrow(/already resolved/);
    expect(k.journal.pendingCount()).toBe(rows);
    expect(gpio.timeline.length).toBe(before);
  });

  it('a deny pulses nothing: red, no relay, a denied outcome journaled', async () => {
    const { k, gpio } = await kiosk(false);
    const review = k.scan(testerCccd(3))!.checkin!;
    gpio.press('deny');
    await waitFor(
      () => (gpio.timeline.some((e) => e.line === 'red') ? true : undefined),
      5000,
      'the red light',
    );
    expect(k.journal.outcomesSince(today())).toEqual([
      expect.objectContaining({ checkin: review.id, outcome: 'denied', by: 'button' }),
    ]);
    await k.stop(); // every line off: the whole timeline is in
    expect(gpio.timeline.filter((e) => e.line === 'relay')).toEqual([]);
  });
});
