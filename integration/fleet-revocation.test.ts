/**
 * DCC revocation end to end, on real parts: the hub CLI turns EU revocation batches into a signed list
 * and publishes it retained through a real Mosquitto; the kiosk daemon verifies and installs it without
 * restart, and a revoked certificate scanned is refused (and journaled), others unchanged. Forged,
 * tampered and unsigned lists are refused; the list survives a restart.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { fleetTopic } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startKiosk } from './kiosk-daemon.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const h16 = (s: string) => createHash('sha256').update(s, 'utf8').digest().subarray(0, 16).toString('base64');

describe('hub → kiosk DCC revocation list over MQTT', () => {
  it('installs a signed list without restart and refuses the revoked DCC; refuses forged, tampered and unsigned lists', async () => {
    const broker = await startMosquitto();
    const dir = makeTempDir('fleet-revocation-');
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'));
    for (const k of ['keys', 'forger'])
      expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, k)]).status).toBe(0);
    const signer = await createDccSigner({ alg: 'ES256' });
    // The DSC sits where a technician would put it: <data.dir>/dcc-trust/.
    mkdirSync(join(dir, 'k-001-data/dcc-trust'), { recursive: true });
    writeFileSync(join(dir, 'k-001-data/dcc-trust/dsc.pem'), signer.certificatePem);
    const now = Date.now();
    const dcc = (ci: string) => {
      const hcert = sampleVaccination();
      (hcert.v as Array<Record<string, unknown>>)[0]!.ci = ci;
      return signer.issue({
        hcert,
        issuedAt: new Date(now - 86_400_000),
        expiresAt: new Date(now + 365 * 86_400_000),
      });
    };
    const revokedCi = 'URN:UVCI:01:VN:REVOKED0001#A';
    const keptCi = 'URN:UVCI:01:VN:KEPT0002#B';
    // An EU gateway batch: the revoked certificate's UCI hash under its signer's KID.
    writeFileSync(
      join(dir, 'batch.json'),
      JSON.stringify({
        country: 'VN',
        expires: new Date(now + 400 * 86_400_000).toISOString(),
        kid: signer.kid.toString('base64'),
        hashType: 'UCI',
        entries: [{ hash: h16(revokedCi) }, { hash: randomBytes(16).toString('base64') }],
      }),
    );
    const publish = (key: 'keys' | 'forger', version: number, extra: string[] = []) =>
      spawnSync(
        process.execPath,
        [
          HUB_CLI,
          'publish-revocation',
          '--file',
          join(dir, 'batch.json'),
          '--signing-key',
          join(dir, key, 'hub-signing.key'),
          // Each signer its own hub state (its last version), never the machine's /var/lib.
          '--state-dir',
          join(dir, key, 'state'),
          '--version',
          String(version),
          '--mqtt',
          broker.url,
          ...extra,
        ],
        { encoding: 'utf8' },
      );
    const kiosk = await startKiosk(dir, broker, 'k-001', hashKey, [join(dir, 'keys/hub-signing.pub')]);
    const sub = await connectAsync(broker.url);
    try {
      // Before any list: both verify.
      expect(await kiosk.scan(dcc(revokedCi))).toMatchObject({
        kind: 'dcc',
        reason: expect.not.stringMatching(/^dcc-/),
      });

      const refusals: string[] = [];
      const expectRefused = async (code: string) => {
        refusals.push(code);
        const line = await waitFor(
          () =>
            kiosk.lines().filter((l) => l.msg.startsWith('DCC revocation list refused'))[refusals.length - 1],
          10_000,
          `refusal ${code}`,
        );
        expect(line).toMatchObject({ code });
      };
      // Signed by a key the kiosk does not trust.
      expect(publish('forger', 100).status).toBe(0);
      await expectRefused('unknown-key');

      const first = publish('keys', 100, ['--out', join(dir, 'list-100.qrkr')]);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/DCC revocation list 100 published: 2 hashes, 1 batches/);
      await waitFor(
        () => (kiosk.count('DCC revocation list installed') === 1 ? true : undefined),
        10_000,
        'list 100',
      );
      const refused = await kiosk.scan(dcc(revokedCi));
      expect(refused).toMatchObject({ kind: 'dcc', verdict: 'REFUSE', reason: 'dcc-revoked' });
      // Journaled like any refusal: it carries a check-in id.
      expect(refused.checkin).toEqual(expect.any(String));
      expect(await kiosk.scan(dcc(keptCi))).toMatchObject({
        kind: 'dcc',
        reason: expect.not.stringMatching(/^dcc-/),
      });

      // The hub's own list altered after signing, and the same list without its signature.
      const signed = readFileSync(join(dir, 'list-100.qrkr'));
      const tampered = Buffer.from(signed);
      tampered[tampered.length - 70]! ^= 1;
      const header = JSON.parse(tampered.subarray(10, 10 + tampered.readUInt32LE(6)).toString()) as {
        version: number;
      };
      expect(header.version).toBe(100);
      const raised = Buffer.from(
        tampered.toString('latin1').replace('"version":100', '"version":101'),
        'latin1',
      );
      await sub.publishAsync(fleetTopic('revocation'), raised, { qos: 1, retain: true });
      await expectRefused('bad-signature');
      const unsigned = Buffer.from(
        signed
          .subarray(0, signed.length - 64)
          .toString('latin1')
          .replace('"version":100', '"version":102'),
        'latin1',
      );
      await sub.publishAsync(fleetTopic('revocation'), unsigned, { qos: 1, retain: true });
      await expectRefused('unsigned');
      // The hub itself will not go back to version 50 …
      const back = publish('keys', 50);
      expect(back.status).toBe(2);
      expect(back.stderr).toMatch(/not above the last version published, 100/);
      // … but a hub restored from an old backup would: the kiosk refuses the older list.
      expect(publish('keys', 50, ['--state-dir', join(dir, 'old-backup')]).status).toBe(0);
      await expectRefused('stale');
      expect(await kiosk.scan(dcc(revokedCi))).toMatchObject({ verdict: 'REFUSE', reason: 'dcc-revoked' });

      // Restarted: the list on disk is verified again and still in force.
      await kiosk.stop();
      await kiosk.run();
      expect(kiosk.lines().some((l) => l.msg === 'DCC revocation list loaded' && l.version === 100)).toBe(
        true,
      );
      expect(await kiosk.scan(dcc(revokedCi))).toMatchObject({ verdict: 'REFUSE', reason: 'dcc-revoked' });
      expect(await kiosk.scan(dcc(keptCi))).toMatchObject({ reason: expect.not.stringMatching(/^dcc-/) });
    } finally {
      await sub.endAsync();
      await kiosk.close();
      await broker.stop();
    }
  }, 90_000);
});
