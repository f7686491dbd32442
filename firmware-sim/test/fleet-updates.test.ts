/**
 * Signed updates from the hub to a running kiosk, on real parts: the hub CLI signs a facts snapshot
 * and a rules file and publishes them retained through a real Mosquitto; the kiosk daemon (compiled,
 * so the snapshot is applied in its worker thread) verifies and applies them, and scans use them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { VirtualSerialScanner } from '../src/index.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const KIOSK_CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const GREEN = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021';
const YELLOW = '001185012345||Trần Thị Bích Ngọc|02031985|Nữ|Hà Nội|10072021';

describe('hub → kiosk signed updates over MQTT', () => {
  it('applies a signed snapshot and signed rules, and refuses a forged snapshot', async () => {
    const broker = await startMosquitto();
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    const dir = makeTempDir('fleet-');
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'));
    const hub = (args: string[]) =>
      spawnSync(process.execPath, [HUB_CLI, ...args, '--mqtt', broker.url], { encoding: 'utf8' });
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'forger')]).status).toBe(0);
    const csv = join(dir, 'facts.csv');
    const publishCache = (signer: 'keys' | 'forger', seq: number) =>
      hub([
        'publish-cache',
        '--csv',
        csv,
        '--key-file',
        hashKey,
        '--signing-key',
        join(dir, signer, 'hub-signing.key'),
        '--seq',
        String(seq),
        '--state-dir',
        join(dir, signer, 'state'),
      ]);
    writeFileSync(
      csv,
      [
        'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until',
        'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,',
        'cccd,001185012345,1,0,2021-08-01,2021-08-01,,,,none,',
      ].join('\n'),
    );
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(
      config,
      [
        'kiosk: { id: k-001, site: s-001 }',
        `scanner: { path: "${scanner.path}" }`,
        'gpio: { driver: sim }',
        'ui: { port: 0 }',
        `mqtt: { url: "${broker.url}" }`,
        `data: { dir: "${join(dir, 'data')}" }`,
        'rules: { duplicateWindowSeconds: 0, level: 2 }',
        `updates: { publicKeyFiles: ["${join(dir, 'keys/hub-signing.pub')}"] }`,
        `privacy: { hashKeyFile: "${hashKey}" }`,
        'log: { level: info }',
      ].join('\n'),
    );
    const sub = await connectAsync(broker.url);
    const got: CheckinMessage[] = [];
    sub.on('message', (_t, p) => got.push(JSON.parse(p.toString())));
    await sub.subscribeAsync(kioskTopics('s-001', 'k-001').checkin, { qos: 1 });
    let logs = '';
    const daemon = spawn(process.execPath, [KIOSK_CLI, 'run', '-c', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    const status = () =>
      JSON.parse(
        spawnSync(process.execPath, [KIOSK_CLI, 'cache', 'status', '--json', '-c', config], {
          encoding: 'utf8',
        }).stdout,
      ) as {
        version: number;
        identities: number;
      };
    try {
      await waitFor(() => (logs.includes('uplink connected') ? true : undefined), 10_000, 'kiosk online');
      // A snapshot signed by a key the kiosk does not trust: refused, nothing changes.
      expect(publishCache('forger', 5).status).toBe(0);
      await waitFor(
        () => (logs.includes('cache update refused') ? true : undefined),
        10_000,
        'forged snapshot refused',
      );
      expect(logs).toMatch(/"code":"unknown-key"/);
      expect(status()).toMatchObject({ version: 0, identities: 0 });
      // The hub's real snapshot: applied (in the worker), scans see it.
      expect(publishCache('keys', 7).status).toBe(0);
      await waitFor(() => (status().version === 7 ? true : undefined), 10_000, 'snapshot 7 applied');
      expect(status().identities).toBe(2);
      await scanner.scan(GREEN);
      await scanner.scan(YELLOW);
      await waitFor(() => (got.length === 2 ? true : undefined), 10_000, 'two check-ins');
      expect(got.map((c) => [c.verdict, c.colour])).toEqual([
        ['ALLOW', 'green'],
        ['ALLOW', 'yellow'],
      ]);
      // Stricter signed rules: level 2 now admits green only.
      const rules = JSON.parse(
        readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'),
      );
      rules.version = 'province-2021-12-01';
      rules.admit['2'] = ['green'];
      const rulesFile = join(dir, 'rules.json');
      writeFileSync(rulesFile, JSON.stringify(rules, null, 2));
      expect(
        hub(['publish-rules', '--rules', rulesFile, '--signing-key', join(dir, 'keys/hub-signing.key')])
          .status,
      ).toBe(0);
      await waitFor(
        () => (logs.includes('rules update installed') ? true : undefined),
        10_000,
        'rules installed',
      );
      await scanner.scan(YELLOW);
      await waitFor(() => got[2], 10_000, 'third check-in');
      expect(got[2]).toMatchObject({
        verdict: 'REFUSE',
        colour: 'yellow',
        versions: { rules: 'province-2021-12-01' },
      });
      // A retained update seen again after a reconnect is stale, not an error.
      expect(logs).not.toMatch(/cache update refused.*stale/);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.on('exit', r));
      await sub.endAsync();
      await scanner.unplug();
      await broker.stop();
    }
  });
});
