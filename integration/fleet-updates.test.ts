/**
 * Signed updates from the hub to running kiosks, on real parts: the hub CLI signs a facts snapshot
 * and a rules file and publishes them retained through a real Mosquitto; the kiosk daemon (compiled,
 * so the snapshot is applied in its worker thread) verifies and applies them, and scans use them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, sampleVaccination, VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import {
  type CheckinMessage,
  fleetTopic,
  keyId,
  kioskTopics,
  loadPrivateKey,
  loadPublicKey,
  signBytes,
} from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startKiosk } from './kiosk-daemon.js';

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
        // This machine may have no NTP: the green people here must not wait for a clock (issue #13).
        'clock: { assumeSynced: true }',
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

const CSV_HEADER =
  'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until';
const GREEN_ROW = 'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,';
const YELLOW_ROW = 'cccd,001185012345,1,0,2021-08-01,2021-08-01,,,,none,';
const YELLOW_NOW_COMPLETE = 'cccd,001185012345,2,1,2021-08-01,2021-09-01,,,,none,';

describe('cache deltas and DCC trust lists over MQTT', () => {
  it('applies deltas (a changed person changes colour, a removed one is unknown); a kiosk that missed two deltas catches up from the snapshot', async () => {
    const broker = await startMosquitto();
    const dir = makeTempDir('fleet-delta-');
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'));
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    const csv = join(dir, 'facts.csv');
    const publish = (seq: number, rows: string[]) => {
      writeFileSync(csv, [CSV_HEADER, ...rows].join('\n'));
      const r = spawnSync(
        process.execPath,
        [
          HUB_CLI,
          'publish-cache',
          '--csv',
          csv,
          '--key-file',
          hashKey,
          '--signing-key',
          join(dir, 'keys/hub-signing.key'),
          '--seq',
          String(seq),
          '--state-dir',
          join(dir, 'hub-state'),
          '--mqtt',
          broker.url,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout;
    };
    const keys = [join(dir, 'keys/hub-signing.pub')];
    // The first publication has nothing to diff against: a snapshot only.
    expect(publish(10, [GREEN_ROW, YELLOW_ROW])).not.toMatch(/delta/);
    const online = await startKiosk(dir, broker, 'k-001', hashKey, keys);
    const offline = await startKiosk(dir, broker, 'k-002', hashKey, keys);
    try {
      for (const k of [online, offline])
        await waitFor(() => (k.status().version === 10 ? true : undefined), 10_000, 'snapshot 10');
      expect(await online.scan(YELLOW)).toMatchObject({ verdict: 'ALLOW', colour: 'yellow' });
      await offline.stop();

      // Delta 1: the yellow person completes the primary series. Delta 2: the green person is removed.
      expect(publish(20, [GREEN_ROW, YELLOW_NOW_COMPLETE])).toMatch(
        /delta 10→20 published: 1 added or changed, 0 removed/,
      );
      await waitFor(() => (online.status().version === 20 ? true : undefined), 10_000, 'delta 20');
      expect(publish(30, [YELLOW_NOW_COMPLETE])).toMatch(
        /delta 20→30 published: 0 added or changed, 1 removed/,
      );
      await waitFor(() => (online.status().version === 30 ? true : undefined), 10_000, 'delta 30');
      // The online kiosk got there by deltas, not by rebuilding from the snapshot.
      const applied = online.lines().filter((l) => l.msg === 'cache update applied');
      expect(applied.map((l) => [l.kind, l.version, l.records])).toEqual([
        ['snapshot', 10, 2],
        ['delta', 20, 1],
        ['delta', 30, 1],
      ]);
      expect(online.status().identities).toBe(1);
      expect(await online.scan(YELLOW)).toMatchObject({ verdict: 'ALLOW', colour: 'green' });
      expect(await online.scan(GREEN)).toMatchObject({ verdict: 'REVIEW', reason: 'unknown-person' });

      // The kiosk that was off saw neither delta; the retained one (20→30) does not continue its
      // version 10, so it takes the retained snapshot 30.
      expect(offline.status().version).toBe(10);
      await offline.run();
      await waitFor(() => (offline.status().version === 30 ? true : undefined), 10_000, 'caught up');
      expect(offline.lines().find((l) => l.msg.startsWith('cache delta skipped'))).toMatchObject({
        version: 10,
        baseSeq: 20,
        seq: 30,
      });
      expect(
        offline
          .lines()
          .filter((l) => l.msg === 'cache update applied')
          .map((l) => [l.kind, l.version]),
      ).toEqual([
        ['snapshot', 10],
        ['snapshot', 30],
      ]);
      expect(offline.status().identities).toBe(1);
      expect(await offline.scan(YELLOW)).toMatchObject({ verdict: 'ALLOW', colour: 'green' });
      expect(await offline.scan(GREEN)).toMatchObject({ verdict: 'REVIEW', reason: 'unknown-person' });
      for (const k of [online, offline]) expect(k.count('cache update refused')).toBe(0);
    } finally {
      await online.close();
      await offline.close();
      await broker.stop();
    }
    // Two daemons and a dozen CLI runs: ~14 s on an idle 2-core machine, 26–34 s when it is busy.
  }, 90_000);

  it('installs a signed DCC trust list without restart; refuses forged, tampered, unsigned, stale and bad-certificate lists and keeps the signers in force', async () => {
    const broker = await startMosquitto();
    const dir = makeTempDir('fleet-trust-');
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'));
    for (const k of ['keys', 'forger'])
      expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, k)]).status).toBe(0);
    const [known, newcomer] = await Promise.all([
      createDccSigner({ alg: 'PS256' }),
      createDccSigner({ alg: 'ES256', usages: ['vaccination'] }),
    ]);
    mkdirSync(join(dir, 'list-1'));
    writeFileSync(join(dir, 'list-1/known.pem'), known.certificatePem);
    mkdirSync(join(dir, 'list-2'));
    writeFileSync(join(dir, 'list-2/known.pem'), known.certificatePem);
    writeFileSync(join(dir, 'list-2/newcomer.der'), newcomer.certificateDer);
    const publishTrust = (signer: 'keys' | 'forger', list: string, version: number, extra: string[] = []) =>
      spawnSync(
        process.execPath,
        [
          HUB_CLI,
          'publish-trust',
          '--dir',
          join(dir, list),
          '--signing-key',
          join(dir, signer, 'hub-signing.key'),
          '--version',
          String(version),
          '--mqtt',
          broker.url,
          ...extra,
        ],
        { encoding: 'utf8' },
      );
    const now = Date.now();
    const dcc = (signer: typeof known) =>
      signer.issue({
        hcert: sampleVaccination(),
        issuedAt: new Date(now - 86_400_000),
        expiresAt: new Date(now + 365 * 86_400_000),
      });
    const kiosk = await startKiosk(dir, broker, 'k-001', hashKey, [join(dir, 'keys/hub-signing.pub')]);
    const sub = await connectAsync(broker.url);
    try {
      const first = publishTrust('keys', 'list-1', 100);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/DCC trust list 100 published: 1 certificates/);
      await waitFor(
        () => (kiosk.count('DCC trust list installed') === 1 ? true : undefined),
        10_000,
        'list 100',
      );
      expect(await kiosk.scan(dcc(known))).toMatchObject({
        kind: 'dcc',
        reason: expect.not.stringMatching(/^dcc-/),
      });
      expect(await kiosk.scan(dcc(newcomer))).toMatchObject({ kind: 'dcc', reason: 'dcc-unknown-signer' });

      // Each of these must be refused, saying why, with list 100 still in force.
      const refusals: string[] = [];
      const expectRefused = async (code: string) => {
        refusals.push(code);
        const line = await waitFor(
          () => kiosk.lines().filter((l) => l.msg.startsWith('DCC trust list refused'))[refusals.length - 1],
          10_000,
          `refusal ${code}`,
        );
        expect(line).toMatchObject({ code, signers: 1 });
      };
      const sendRaw = (payload: string) =>
        sub.publishAsync(fleetTopic('trust'), payload, { qos: 1, retain: true });

      // Signed by a key the kiosk does not trust.
      expect(publishTrust('forger', 'list-2', 200).status).toBe(0);
      await expectRefused('unknown-key');
      // The hub's own list, altered after signing (version raised inside the signed text).
      const signedFile = join(dir, 'list-2.signed.json');
      expect(publishTrust('keys', 'list-2', 200, ['--out', signedFile, '--no-publish']).status).toBe(0);
      const envelope = JSON.parse(readFileSync(signedFile, 'utf8')) as {
        list: string;
        signature: { keyId: string; signature: string };
      };
      await sendRaw(
        JSON.stringify({ ...envelope, list: envelope.list.replace('"version":200', '"version":201') }),
      );
      await expectRefused('bad-signature');
      // No signature at all.
      await sendRaw(JSON.stringify({ list: envelope.list }));
      await expectRefused('format');
      // Properly signed, but older than the list in force.
      expect(publishTrust('keys', 'list-2', 50).status).toBe(0);
      await expectRefused('stale');
      // Properly signed by the hub key, but one "certificate" is not one: the whole list is refused.
      const hubKey = loadPrivateKey(readFileSync(join(dir, 'keys/hub-signing.key')));
      const hubPub = loadPublicKey(readFileSync(join(dir, 'keys/hub-signing.pub')));
      const badList = JSON.stringify({
        version: 300,
        createdAt: new Date().toISOString(),
        certificates: [
          newcomer.certificateDer.toString('base64'),
          Buffer.from('not a certificate').toString('base64'),
        ],
      });
      await sendRaw(
        JSON.stringify({
          list: badList,
          signature: {
            keyId: keyId(hubPub),
            signature: signBytes(
              hubKey,
              Buffer.concat([Buffer.from('qrkiosk-trust/1\n'), Buffer.from(badList)]),
            ).toString('base64'),
          },
        }),
      );
      await expectRefused('certificate');
      expect(kiosk.count('DCC trust list installed')).toBe(1);
      expect(await kiosk.scan(dcc(newcomer))).toMatchObject({ reason: 'dcc-unknown-signer' });
      expect(await kiosk.scan(dcc(known))).toMatchObject({ reason: expect.not.stringMatching(/^dcc-/) });

      // The hub's real new list: installed, and the next scan of the newcomer's DCC verifies — same process.
      expect(publishTrust('keys', 'list-2', 200).status).toBe(0);
      await waitFor(
        () => (kiosk.count('DCC trust list installed') === 2 ? true : undefined),
        10_000,
        'list 200',
      );
      expect(kiosk.lines().filter((l) => l.msg === 'DCC trust list installed')[1]).toMatchObject({
        version: 200,
        certificates: 2,
      });
      expect(await kiosk.scan(dcc(newcomer))).toMatchObject({
        kind: 'dcc',
        reason: expect.not.stringMatching(/^dcc-/),
      });
      expect(kiosk.count('kiosk started')).toBe(1);
    } finally {
      await sub.endAsync();
      await kiosk.close();
      await broker.stop();
    }
  });
});
