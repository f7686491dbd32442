/**
 * Issue #19 end to end with nothing of ours standing in: the hub's own CLI signs and publishes the rules (with the
 * office's limit) and the freshness statement on a real Mosquitto; the real Controller installs the rules from the
 * retained message, counts their age, holds admissions when the hub falls silent past the limit, and lets them go
 * again when the hub's `publish-fresh` statement arrives through the broker. Only the kiosk's clock is the test's:
 * its monotonic time runs 25 h ahead while the wall clock stays at today's (the hub signs with the real time).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT, startMosquitto, testerCccd, waitFor } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { FreshTestClock, freshKiosk } from './fresh-kiosk.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const HOUR = 3_600_000;

describe("the hub's statement keeps an online kiosk's data fresh", () => {
  it('rules past their signed limit hold admissions until the hub’s publish-fresh arrives', async () => {
    const broker = await startMosquitto();
    const dir = makeTempDir('fresh-hub-kiosk-');
    const hub = (args: string[]) => {
      const r = spawnSync(process.execPath, [HUB_CLI, ...args], { encoding: 'utf8' });
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
      return r;
    };
    hub(['keygen', '--out', join(dir, 'keys')]);
    const key = join(dir, 'keys/hub-signing.key');
    const state = join(dir, 'state');
    const rules = JSON.parse(
      readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'),
    );
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(
      rulesFile,
      JSON.stringify({ ...rules, version: 'office-e2e-1', limits: { maxAgeHours: { rules: 24 } } }),
    );
    const clock = new FreshTestClock(Date.now(), 7_000_000, 'boot-hub-kiosk');
    const kiosk = freshKiosk({
      dataDir: join(dir, 'data'),
      brokerUrl: broker.url,
      hubPub: join(dir, 'keys/hub-signing.pub'),
      clock,
    });
    try {
      hub([
        'publish-rules',
        '--rules',
        rulesFile,
        '--signing-key',
        key,
        '--state-dir',
        state,
        '--mqtt',
        broker.url,
      ]);
      await kiosk.start();
      await waitFor(
        () => (kiosk.telemetry().rules.version === 'office-e2e-1' ? true : undefined),
        10_000,
        'the signed rules installed from the retained message',
      );
      expect(kiosk.scan(testerCccd(1))?.decision).toMatchObject({ verdict: 'ALLOW' });

      // The hub falls silent for a day and an hour: the kiosk's monotonic clock runs on.
      clock.mono += 25 * HOUR;
      kiosk.freshness.refresh(); // the 60-s tick
      expect(kiosk.scan(testerCccd(2))?.decision).toMatchObject({
        verdict: 'REVIEW',
        reason: { code: 'data-stale' },
      });
      expect(kiosk.faults.has('data-stale')).toBe(true);

      // The hub's CLI restates what it publishes: the same rules version, signed now.
      hub(['publish-fresh', '--signing-key', key, '--state-dir', state, '--mqtt', broker.url]);
      await waitFor(
        () => (kiosk.faults.has('data-stale') ? undefined : true),
        10_000,
        'the stale fault cleared',
      );
      expect(kiosk.scan(testerCccd(3))?.decision).toMatchObject({ verdict: 'ALLOW' });
      expect(kiosk.telemetry().freshness?.rules).toMatchObject({ stale: false, maxSeconds: 24 * 3600 });
    } finally {
      await kiosk.stop();
      await broker.stop();
    }
  });
});
