/**
 * The simulated people at the door (issue #19): walkThroughDoor moves the SimGpio door sensor after
 * each relay opening except every n-th, and a real kiosk (Controller, SQLite journal) marks exactly
 * those entries `not-entered`. Real timers; doorEnterSeconds at its minimum (2 s).
 */
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Cleanups, kioskYaml, makeTempDir, testerCccd, waitFor } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { walkThroughDoor } from '../src/door-walker.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe('walkThroughDoor', () => {
  it('every second person turns away: only their entry is marked not-entered', async () => {
    const gpio = new SimGpio();
    const yaml = kioskYaml({
      dataDir: makeTempDir('walker-'),
      lines: [
        'rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }',
        'signal: { doorEnterSeconds: 2 }',
      ],
    }).replace('gpio: { driver: sim }', 'gpio: { driver: sim, doorSensor: { pin: GPIO16 } }');
    const k = new Controller(settingsFromText(yaml, 'walker kiosk.yaml', {}), {
      gpio,
      withoutScanner: true,
      withoutScreens: true,
      withoutUplink: true,
    });
    await k.start();
    cleanups.push(() => k.stop());
    const seen: boolean[] = [];
    cleanups.push(walkThroughDoor(gpio, { skipEvery: 2, afterMs: 200, onOpening: (w) => seen.push(w) }));
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // One at a time, as the demo's gap makes it (the door cannot tell people apart: a movement goes to
    // the oldest entry waiting, so a walker right behind someone who turned away would settle theirs).
    const first = k.scan(testerCccd(1))!.checkin!.id;
    await sleep(500); // walked through at 200 ms
    const second = k.scan(testerCccd(2))!.checkin!.id;
    await sleep(2600); // turned away: past doorEnterSeconds
    const third = k.scan(testerCccd(3))!.checkin!.id;
    await sleep(500);
    expect(seen).toEqual([true, false, true]);
    const since = new Date(Date.now() - 86_400_000).toISOString();
    await waitFor(() => (k.journal.outcomesSince(since).length > 0 ? true : undefined), 10_000, 'an outcome');
    expect(k.journal.outcomesSince(since).map((o) => [o.checkin, o.outcome, o.by])).toEqual([
      [second, 'not-entered', 'door-sensor'],
    ]);
    for (const walked of [first, third]) expect(k.journal.checkinWithOutcomes(walked)?.outcomes).toEqual([]);
  });
});
