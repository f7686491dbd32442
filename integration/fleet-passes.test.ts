/**
 * Printed passes end to end on real parts (issue #20): the compiled kiosk daemon on a virtual scanner and a
 * real Mosquitto. A pass the hub signed is REVIEW `pass-unlisted` before any list (a genuine card, but no
 * holder known); the signed pass list published retained on `fleet/passes` is installed without restart and
 * makes the card its holder (the journaled check-in carries the holder's keyed hash); a newer list with the
 * card flagged revoked turns it into REVIEW pass-revoked; a forged list is refused and raised as a fault.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodePassList,
  fleetTopic,
  hashIdentity,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  newPassId,
  passKey,
  signPass,
} from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startKiosk } from './kiosk-daemon.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');

describe('hub → kiosk printed passes over MQTT', () => {
  it('verifies a card offline, learns its holder from fleet/passes, refuses it once revoked', async () => {
    const broker = await startMosquitto();
    const dir = makeTempDir('fleet-passes-');
    const key = randomBytes(32);
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, key.toString('hex'));
    for (const k of ['keys', 'forger'])
      expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, k)]).status).toBe(0);
    const signing = (k: string) => ({
      privateKey: loadPrivateKey(readFileSync(join(dir, k, 'hub-signing.key'))),
      publicKey: loadPublicKey(readFileSync(join(dir, k, 'hub-signing.pub'))),
    });
    const hub = signing('keys');
    const kiosk = await startKiosk(dir, broker, 'k-001', hashKey, [join(dir, 'keys/hub-signing.pub')]);
    const sub = await connectAsync(broker.url);
    const passId = newPassId();
    const token = signPass(
      { passId, scope: { kind: 'ward', id: '26743' }, validFrom: '2021-01-01', validUntil: '2100-12-31' },
      hub.privateKey,
      keyId(hub.publicKey),
    );
    const holder = hashIdentity(key, 'phone', '0912345678');
    const list = (version: number, by = hub, revoked = false) =>
      encodePassList(
        [{ passKey: passKey(passId), idHash: holder, validUntil: '2100-12-31', revoked }],
        { version, areas: { 's-001': { ward: '26743', district: '760' } }, province: null },
        by,
      );
    try {
      // No list yet: no holder known (and no ward), so the card is not admitted as anyone.
      expect(await kiosk.scan(token)).toMatchObject({
        kind: 'pass',
        verdict: 'REVIEW',
        reason: 'pass-unlisted',
      });

      await sub.publishAsync(fleetTopic('passes'), list(1, signing('forger')), { qos: 1, retain: true });
      const refused = await waitFor(
        () => kiosk.lines().find((l) => l.msg === 'pass list refused; the list in force stays'),
        10_000,
        'forged list refused',
      );
      expect(refused).toMatchObject({ code: 'unknown-key' });
      // Raised, so telemetry carries it to the hub's fleet page (review finding 14).
      expect(kiosk.lines().some((l) => l.msg === 'fault raised: pass-list-refused')).toBe(true);

      await sub.publishAsync(fleetTopic('passes'), list(2), { qos: 1, retain: true });
      await waitFor(() => (kiosk.count('pass list installed') === 1 ? true : undefined), 10_000, 'list 2');
      const admitted = await kiosk.scan(token);
      expect(admitted).toMatchObject({ kind: 'pass', who: `*****${passId.slice(0, 4)}` });
      const db = new Database(join(dir, 'k-001-data/journal.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT message FROM checkins WHERE id = ?').get(admitted.checkin) as {
          message: string;
        };
        expect(JSON.parse(row.message).document).toMatchObject({
          kind: 'pass',
          idHash: holder.toString('hex'),
        });
      } finally {
        db.close();
      }

      // Revoked at the hub: the next list carries the card flagged, its holder zeroed.
      await sub.publishAsync(fleetTopic('passes'), list(3, hub, true), { qos: 1, retain: true });
      await waitFor(() => (kiosk.count('pass list installed') === 2 ? true : undefined), 10_000, 'list 3');
      expect(await kiosk.scan(token)).toMatchObject({
        kind: 'pass',
        verdict: 'REVIEW',
        reason: 'pass-revoked',
      });

      // Restarted: the installed list is verified again and loaded.
      await kiosk.stop();
      await kiosk.run();
      expect(kiosk.lines().some((l) => l.msg === 'pass list loaded' && l.version === 3)).toBe(true);
    } finally {
      await sub.endAsync();
      await kiosk.close();
      await broker.stop();
    }
  }, 90_000);
});
