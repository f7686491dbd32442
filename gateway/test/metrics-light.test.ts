/**
 * Frame-to-light around the scan path (metrics/index.ts, frames()): a scan lit inside its own scan()
 * is timed; one decided while a refusal holds the door lights later from a timer and is not (its wait
 * is the hold, a setting); a scan() called directly (the demo, tests) is not timed either. Real
 * Controller, real journal, simulated lights; the door's timeline shows when each pattern played.
 */
import { Cleanups, makeTempDir, sampleValue, waitFor } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { F0, GREEN, kioskStarter, know, person } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);

describe('scan-to-light histogram', () => {
  it('times scans lit at once, not the one held behind a refusal, nor scan() called directly', async () => {
    const k = await kiosk(makeTempDir('metrics-light-'), {
      extra: ['rules: { duplicateWindowSeconds: 0 }', 'signal: { refuseHoldMs: 300 }'],
    });
    know(k, [
      [1, F0],
      [2, GREEN],
    ]);
    const input = k.controller.metrics.frames(k.controller);
    const lit: string[] = [];
    k.controller.bus.on('scan.shown', (s) => {
      if (!s.queued) lit.push(s.outcome.decision.verdict);
    });
    const count = async () =>
      sampleValue(
        (await k.controller.metrics.exposition()).body,
        'qrkiosk_kiosk_scan_to_light_seconds_count',
      );

    input(person(2).payload); // green, lit inside scan()
    input(person(1).payload); // F0: refused, lit at once, holds the door
    input(person(2).payload); // decided during the hold: queued, lit when it ends
    expect(lit).toEqual(['ALLOW', 'REFUSE']);
    await waitFor(() => lit.length === 3 || undefined, 5000, 'the held scan lit');
    expect(lit).toEqual(['ALLOW', 'REFUSE', 'ALLOW']);
    expect(await count()).toBe(2);

    k.controller.scan(person(2).payload);
    const body = (await k.controller.metrics.exposition()).body;
    expect(sampleValue(body, 'qrkiosk_kiosk_scan_to_light_seconds_count')).toBe(2);
    // Counted all the same: counters follow the bus, whoever called scan().
    expect(sampleValue(body, 'qrkiosk_kiosk_scans_total', { kind: 'cccd', verdict: 'ALLOW' })).toBe(3);
    expect(sampleValue(body, 'qrkiosk_kiosk_scans_total', { kind: 'cccd', verdict: 'REFUSE' })).toBe(1);
  });
});
