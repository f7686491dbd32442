/**
 * A kiosk whose installed DCC revocation list is refused at start (altered on the card) runs on, but
 * says so: the fault `revocation-missing` is raised and carried in telemetry. Real Controller, real files.
 */
import { writeFileSync } from 'node:fs';
import { makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { revocationFile } from '../src/revocation/index.js';
import { type Kiosk, startKiosk } from './kiosk-rig.js';

const kiosks: Kiosk[] = [];
afterEach(async () => {
  for (const k of kiosks.splice(0)) await k.controller.stop().catch(() => undefined);
});

describe('an installed revocation list refused at start', () => {
  it('raises revocation-missing (telemetry carries it); a kiosk without any list raises nothing', async () => {
    const dir = makeTempDir('revocation-fault-');
    writeFileSync(revocationFile(dir), Buffer.from('QRKR1\nnot a list'));
    const k = await startKiosk(dir);
    kiosks.push(k);
    expect(k.controller.faults.has('revocation-missing')).toBe(true);
    expect(k.controller.telemetry().faults).toContain('revocation-missing');

    const clean = await startKiosk(makeTempDir('revocation-none-'));
    kiosks.push(clean);
    expect(clean.controller.faults.has('revocation-missing')).toBe(false);
  });
});
