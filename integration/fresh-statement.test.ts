/**
 * Issue #19 over a real Mosquitto: the real Controller with its uplink, and the hub's retained fleet
 * updates as the hub publishes them — signed rules (the hub's signedRulesEnvelope) on fleet/rules and a
 * signed freshness statement (protocol's signFreshness) on fleet/fresh. Time is the test's clock, nothing
 * else is faked. Rules past their 24 h limit give REVIEW and a telemetry with the `data-stale` fault and the
 * `freshness` block; the hub's next statement, arriving through the broker, clears both.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedRulesEnvelope } from '@qrkiosk/hub';
import {
  FRESHNESS_SCHEMA_ID,
  fleetTopic,
  keyId,
  kioskTopics,
  signFreshness,
  type TelemetryMessage,
} from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, testerCccd, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { FreshTestClock, freshKiosk } from './fresh-kiosk.js';

const HOUR = 3_600_000;

describe('data freshness over the broker', () => {
  it('stale rules give REVIEW and tell the hub; the retained statement of the same version clears it', async () => {
    const broker = await startMosquitto();
    const hubKey = generateKeyPairSync('ed25519');
    const dir = makeTempDir('fresh-e2e-');
    const pub = join(dir, 'hub.pub.pem');
    writeFileSync(pub, hubKey.publicKey.export({ type: 'spki', format: 'pem' }));
    const office = await connectAsync(broker.url);
    const clock = new FreshTestClock(Date.parse('2021-10-30T03:00:00Z'), 5_000_000, 'boot-fresh');
    const kiosk = freshKiosk({ dataDir: join(dir, 'data'), brokerUrl: broker.url, hubPub: pub, clock });
    const telemetry: TelemetryMessage[] = [];
    const statement = (version: string) =>
      signFreshness(
        {
          schema: FRESHNESS_SCHEMA_ID,
          issuedAt: clock.now().toISOString(),
          cache: null,
          rules: { version },
          trust: null,
          revocation: null,
        },
        hubKey.privateKey,
        keyId(hubKey.publicKey),
      );
    try {
      const base = JSON.parse(
        readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'),
      );
      const rules = { ...base, version: 'office-1', limits: { maxAgeHours: { rules: 24 } } };
      await office.publishAsync(fleetTopic('rules'), signedRulesEnvelope(JSON.stringify(rules), hubKey), {
        qos: 1,
        retain: true,
      });
      office.on('message', (_t, p) => telemetry.push(JSON.parse(p.toString())));
      await office.subscribeAsync(kioskTopics('s-001', 'k-001').telemetry, { qos: 1 });
      await kiosk.start();
      await waitFor(
        () => (kiosk.telemetry().rules.version === 'office-1' ? true : undefined),
        10_000,
        'rules installed from the retained message',
      );
      expect(kiosk.scan(testerCccd(1))?.decision).toMatchObject({
        verdict: 'ALLOW',
        reason: { code: 'unknown-person' },
      });

      // A day and a bit cut off from the office (the broker up, the hub silent).
      clock.pass(25 * HOUR);
      kiosk.freshness.refresh(); // the 60-s tick
      expect(kiosk.scan(testerCccd(2))?.decision).toMatchObject({
        verdict: 'REVIEW',
        reason: { code: 'data-stale' },
      });
      const told = await waitFor(
        () => telemetry.find((t) => t.faults?.includes('data-stale')),
        10_000,
        'a telemetry with the fault',
      );
      expect(told.freshness?.rules).toEqual({ ageSeconds: 25 * 3600, maxSeconds: 24 * 3600, stale: true });
      expect(told.freshness?.trust).toEqual({ ageSeconds: null, maxSeconds: 48 * 3600, stale: false });

      // The hub's statement, retained: the office still publishes office-1.
      await office.publishAsync(fleetTopic('fresh'), statement('office-1'), { qos: 1, retain: true });
      await waitFor(() => (kiosk.faults.has('data-stale') ? undefined : true), 10_000, 'stale cleared');
      expect(kiosk.scan(testerCccd(3))?.decision).toMatchObject({ verdict: 'ALLOW' });
      // The fault's clearing sends one at once, the fleet page sees it too.
      const cleared = await waitFor(
        () => telemetry.slice(telemetry.indexOf(told) + 1).find((t) => !t.faults?.includes('data-stale')),
        10_000,
        'a telemetry without it',
      );
      expect(cleared.freshness?.rules).toMatchObject({ ageSeconds: 0, stale: false });
    } finally {
      await kiosk.stop();
      await office.endAsync();
      await broker.stop();
    }
  });
});
