/**
 * Issue #13, "disk almost full": the kiosk warns while it can still record, so a technician comes
 * before the journal stops (disk-full). A real tmpfs, filled by a file beside the journal as a
 * runaway log would; the fault is raised and cleared by the daemon's own statfs after a check-in.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountTmpfs, type Tmpfs } from '@qrkiosk/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { GREEN, type Kiosk, know, person, pulses, startKiosk } from './kiosk-rig.js';

describe('disk almost full (real tmpfs)', () => {
  let fs: Tmpfs | undefined;
  let k: Kiosk | undefined;
  afterAll(async () => {
    await k?.controller.stop();
    fs?.unmount();
  });

  it('raises disk-low with the FAULT sound while check-ins still record, and clears it when space returns', async () => {
    fs = mountTmpfs('8m', 'disk-low-');
    k = await startKiosk(fs.dir, { extra: ['clock: { assumeSynced: true }'] });
    know(
      k,
      [1, 2, 3].map((n) => [n, GREEN]),
    );
    expect(k.controller.scan(person(1).payload)?.decision.colour).toBe('green');
    expect(k.controller.faults.list()).toEqual([]);

    // 7.5 of 8 MiB taken by something else: under 10 % left, yet the journal still has room.
    const log = join(fs.dir, 'runaway.log');
    writeFileSync(log, Buffer.alloc(7.5 * 1024 * 1024));
    const mark = k.gpio.timeline.length;
    k.clock.pass(1000);
    const outcome = k.controller.scan(person(2).payload);
    expect(outcome?.decision.colour).toBe('green');
    expect(outcome?.checkin).toBeDefined();
    expect(k.controller.faults.list()).toEqual(['disk-low']);
    expect(k.controller.telemetry().faults).toEqual(['disk-low']);
    // Audible: the FAULT pattern (steady amber, four beeps) plays whole, after the admission's green
    // and relay pulse are over — a fault never cuts the door an admitted person walks through.
    const gpio = k.gpio;
    await expect.poll(() => pulses(gpio, 'buzzer', mark), { timeout: 10_000 }).toBeGreaterThanOrEqual(1 + 4);
    const events = gpio.timeline.slice(mark);
    const amberOn = events.findIndex((e) => e.line === 'amber' && e.value === 1);
    // The off after each line's on (every pattern starts by turning all lines off).
    const offAfterOn = (line: string) => {
      const on = events.findIndex((e) => e.line === line && e.value === 1);
      return events.findIndex((e, i) => i > on && e.line === line && e.value === 0);
    };
    const [relayOff, greenOff] = [offAfterOn('relay'), offAfterOn('green')];
    expect(pulses(gpio, 'relay', mark)).toBe(1);
    expect(Math.min(relayOff, greenOff)).toBeGreaterThanOrEqual(0);
    expect(amberOn).toBeGreaterThan(Math.max(relayOff, greenOff));

    rmSync(log);
    k.clock.pass(1000);
    expect(k.controller.scan(person(3).payload)?.decision.colour).toBe('green');
    expect(k.controller.faults.list()).toEqual([]);
  });
});
