/**
 * A kiosk whose installed DCC revocation list is refused at start (altered on the card) runs on, but
 * says so: the fault `revocation-missing` is raised and carried in telemetry. Real Controller, real files.
 */
import { writeFileSync } from 'node:fs';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { revocationFile } from '../src/revocation/index.js';
import { startKiosk } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe('an installed revocation list refused at start', () => {
  it('raises revocation-missing (telemetry carries it); a kiosk without any list raises nothing', async () => {
    const dir = makeTempDir('revocation-fault-');
    writeFileSync(revocationFile(dir), Buffer.from('QRKR1\nnot a list'));
    const k = await startKiosk(dir);
    cleanups.push(() => k.controller.stop());
    expect(k.controller.faults.has('revocation-missing')).toBe(true);
    expect(k.controller.telemetry().faults).toContain('revocation-missing');

    const clean = await startKiosk(makeTempDir('revocation-none-'));
    cleanups.push(() => clean.controller.stop());
    expect(clean.controller.faults.has('revocation-missing')).toBe(false);
  });
});
