/**
 * Review 3, finding 1: a fleet upgraded from before issue #19 recovers by itself. The old hub recorded only
 * revocation.version; its rules and DCC trust list are retained on the broker and installed on the kiosks, and an
 * upgraded kiosk has no data-age.json, so that data is of unknown age (stale: everyone REVIEW). The upgraded hub's
 * `publish-fresh` reads the versions back from what its broker retains, records them and names them; the real
 * Controller confirms them and admits again. Real hub CLI, real Mosquitto, real Controller; only the kiosk's clock
 * is the test's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner } from '@qrkiosk/firmware-sim';
import { fleetTopic } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, testerCccd, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { FreshTestClock, freshKiosk } from './fresh-kiosk.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');

describe('an upgrade from before the freshness statement', () => {
  it('the hub names the rules and trust list its broker retains; a kiosk without data-age.json recovers', async () => {
    const broker = await startMosquitto();
    const dir = makeTempDir('fresh-upgrade-');
    const hub = (args: string[]) => {
      const r = spawnSync(process.execPath, [HUB_CLI, ...args, '--mqtt', broker.url], { encoding: 'utf8' });
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
      return r;
    };
    hub(['keygen', '--out', join(dir, 'keys')]);
    const key = join(dir, 'keys/hub-signing.key');
    // What the old hub published: rules and a trust list, retained; its folder recorded only the revocation list.
    const elsewhere = join(dir, 'published-by-the-old-hub');
    const rules = JSON.parse(
      readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'),
    );
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ ...rules, version: 'office-before-19' }));
    hub(['publish-rules', '--rules', rulesFile, '--signing-key', key, '--state-dir', elsewhere]);
    const pem = join(dir, 'dsc.pem');
    writeFileSync(pem, (await createDccSigner({ alg: 'ES256' })).certificatePem);
    hub(['publish-trust', '--file', pem, '--version', '41', '--signing-key', key, '--state-dir', elsewhere]);
    // No statement was ever retained by the old hub.
    const client = await connectAsync(broker.url);
    await client.publishAsync(fleetTopic('fresh'), Buffer.alloc(0), { qos: 1, retain: true });
    await client.endAsync();
    const state = join(dir, 'state');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'revocation.version'), '5\n');

    const clock = new FreshTestClock(Date.now(), 9_000_000, 'boot-upgrade');
    const dataDir = join(dir, 'data');
    const kiosk = () =>
      freshKiosk({ dataDir, brokerUrl: broker.url, hubPub: join(dir, 'keys/hub-signing.pub'), clock });
    // The kiosk as it was before the upgrade: rules and trust list installed from the retained messages.
    const before = kiosk();
    await before.start();
    try {
      await waitFor(
        () =>
          before.telemetry().rules.version === 'office-before-19' &&
          typeof before.telemetry().freshness?.trust?.ageSeconds === 'number'
            ? true
            : undefined,
        10_000,
        'rules and trust list installed',
      );
    } finally {
      await before.stop();
    }
    // The old kiosk software kept no data-age.json.
    rmSync(join(dataDir, 'data-age.json'));
    const upgraded = kiosk();
    try {
      await upgraded.start();
      upgraded.freshness.refresh();
      expect(upgraded.telemetry().freshness).toMatchObject({
        rules: { ageSeconds: null, stale: true },
        trust: { ageSeconds: null, stale: true },
      });
      expect(upgraded.scan(testerCccd(1))?.decision).toMatchObject({
        verdict: 'REVIEW',
        reason: { code: 'data-stale' },
      });

      const r = hub(['publish-fresh', '--signing-key', key, '--state-dir', state]);
      expect(r.stdout).toMatch(/rules office-before-19, trust 41, revocation 5/);
      expect(r.stdout).toMatch(/read back from the broker .*: rules, trust/);
      // Recorded: the daemon's next statement names them without reading the broker again.
      expect(readFileSync(join(state, 'rules.version'), 'utf8')).toBe('office-before-19\n');
      expect(readFileSync(join(state, 'trust.version'), 'utf8')).toBe('41\n');
      expect(existsSync(join(elsewhere, 'rules.version'))).toBe(true);
      await waitFor(
        () => (upgraded.faults.has('data-stale') ? undefined : true),
        10_000,
        'the stale fault cleared',
      );
      expect(upgraded.scan(testerCccd(2))?.decision).toMatchObject({ verdict: 'ALLOW' });
      expect(upgraded.telemetry().freshness).toMatchObject({
        rules: { stale: false },
        trust: { stale: false },
      });
    } finally {
      await upgraded.stop();
      await broker.stop();
    }
  });
});
