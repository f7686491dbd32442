/**
 * The hub's freshness statement (issue #19) through a real Mosquitto: what the publish-* commands record is what
 * the signed statement retained on fleet/fresh says (verified with protocol's verifyFreshness, as a kiosk does);
 * publish-rules refuses a bad limit and signs a good one unchanged; the daemon publishes at start and again on
 * its timer; a hub without a key publishes nothing and says why on GET /api/fleet/freshness.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner } from '@qrkiosk/firmware-sim';
import {
  FreshnessError,
  type FreshnessStatement,
  fleetTopic,
  KeyRing,
  loadPublicKey,
  verifyFreshness,
} from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, type RunningMosquitto, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FreshnessPublisher } from '../src/fresh-publisher.js';
import { Hub, readSigningKey, writeFleetState } from '../src/index.js';
import { readPublished, recordPublished } from '../src/published-versions.js';
import { newDatabase } from './engines.js';
import { logIn } from './session.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const RULES = join(REPO_ROOT, 'gateway/assets/rules/default-rules.json');

describe('the freshness statement on fleet/fresh', () => {
  let broker: RunningMosquitto;
  const dir = makeTempDir('hub-fresh-');
  const key = join(dir, 'keys/hub-signing.key');
  const state = join(dir, 'state');
  const ring = new KeyRing();
  const hub = (args: string[]) =>
    spawnSync(process.execPath, [HUB_CLI, ...args, '--mqtt', broker.url], { encoding: 'utf8' });
  /** The retained payload on a fleet topic, read as a kiosk that connects now would get it. */
  const retained = async (kind: Parameters<typeof fleetTopic>[0]): Promise<Buffer> => {
    const client = await connectAsync(broker.url);
    const got: Buffer[] = [];
    const marker = `${fleetTopic(kind)}-marker-${randomBytes(4).toString('hex')}`;
    let seenMarker = false;
    client.on('message', (t, p) => {
      if (t === fleetTopic(kind)) got.push(p);
      if (t === marker) seenMarker = true;
    });
    await client.subscribeAsync(fleetTopic(kind), { qos: 1 });
    // Published after subscribing, the marker arrives after any retained message on the same connection.
    await client.subscribeAsync(marker, { qos: 1 });
    await client.publishAsync(marker, 'x', { qos: 1 });
    await waitFor(() => (seenMarker ? true : undefined), 5000, 'marker');
    await client.endAsync();
    return got[0] ?? Buffer.alloc(0);
  };
  const statement = async () => verifyFreshness(await retained('fresh'), ring);
  const rulesWith = (version: string, limits: unknown) => {
    const file = join(dir, `rules-${version}.json`);
    const base = JSON.parse(readFileSync(RULES, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...base, version, limits }, null, 2));
    return file;
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    ring.add(loadPublicKey(readFileSync(join(dir, 'keys/hub-signing.pub'))));
  });
  afterAll(async () => broker?.stop());

  it('publish-fresh with nothing published yet states every kind as null, signed by the hub key', async () => {
    const r = hub(['publish-fresh', '--signing-key', key, '--state-dir', state]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/freshness statement published .*cache —, rules —, trust —, revocation —/);
    const s = await statement();
    expect(s).toMatchObject({
      schema: 'qrkiosk.freshness/1',
      cache: null,
      rules: null,
      trust: null,
      revocation: null,
    });
    // A kiosk that trusts another key refuses it, saying why.
    const stranger = new KeyRing();
    stranger.add(generateKeyPairSync('ed25519').publicKey);
    const payload = await retained('fresh');
    expect(() => verifyFreshness(payload, stranger)).toThrow(FreshnessError);
    let code: string | undefined;
    try {
      verifyFreshness(payload, stranger);
    } catch (err) {
      code = (err as FreshnessError).code;
    }
    expect(code).toBe('unknown-key');
  });

  it('publish-rules refuses a bad limit, signs a good one unchanged, and the statement names its version', async () => {
    const before = await statement();
    for (const [limits, why] of [
      [{ maxAgeHours: { rules: 0 } }, /maxAgeHours\.rules must be whole hours 1–8760, or null/],
      [{ maxAgeHours: { cache: 24 } }, /unknown kind "cache"/],
      [{ maxAgeHours: { facts: 1.5 } }, /maxAgeHours\.facts must be whole hours/],
      [{ maxAge: {} }, /unknown field "maxAge"/],
    ] as const) {
      const bad = hub([
        'publish-rules',
        '--rules',
        rulesWith('bad', limits),
        '--signing-key',
        key,
        '--state-dir',
        state,
      ]);
      expect(bad.status, JSON.stringify(limits)).toBe(2);
      expect(bad.stderr).toMatch(why);
    }
    expect((await retained('rules')).length).toBe(0);
    expect((await statement()).rules).toBeNull();

    const file = rulesWith('province-2026-11-27', { maxAgeHours: { facts: 24, trust: null } });
    const good = hub(['publish-rules', '--rules', file, '--signing-key', key, '--state-dir', state]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/version province-2026-11-27/);
    expect(good.stdout).toMatch(/facts 24 h, rules 48 h, trust không giới hạn\/no limit, revocation 48 h/);
    // Signed as written: the limits reach the kiosks byte for byte.
    expect(JSON.parse((await retained('rules')).toString('utf8')).rules).toBe(readFileSync(file, 'utf8'));
    // Restated at once: fleet/fresh never names the previous version after a publication.
    const after = await statement();
    expect(after.rules).toEqual({ version: 'province-2026-11-27' });
    expect(Date.parse(after.issuedAt)).toBeGreaterThan(Date.parse(before.issuedAt));
  });

  it('publish-trust, publish-revocation and publish-cache each move their kind in the statement', async () => {
    const signer = await createDccSigner({ alg: 'ES256' });
    const pem = join(dir, 'dsc.pem');
    writeFileSync(pem, signer.certificatePem);
    const trust = hub([
      'publish-trust',
      '--file',
      pem,
      '--version',
      '7',
      '--signing-key',
      key,
      '--state-dir',
      state,
    ]);
    expect(trust.status, trust.stderr).toBe(0);
    expect((await statement()).trust).toEqual({ version: 7 });

    const batch = join(dir, 'batch.json');
    writeFileSync(
      batch,
      JSON.stringify({
        country: 'AT',
        kid: randomBytes(8).toString('base64'),
        hashType: 'UCI',
        entries: [{ hash: randomBytes(16).toString('base64') }],
      }),
    );
    const revocation = hub([
      'publish-revocation',
      '--file',
      batch,
      '--version',
      '31',
      '--signing-key',
      key,
      '--state-dir',
      state,
    ]);
    expect(revocation.status, revocation.stderr).toBe(0);
    expect((await statement()).revocation).toEqual({ version: 31 });

    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'));
    const csv = join(dir, 'facts.csv');
    writeFileSync(
      csv,
      'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until\n' +
        'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,\n',
    );
    const cache = hub([
      'publish-cache',
      '--csv',
      csv,
      '--key-file',
      hashKey,
      '--seq',
      '100',
      '--signing-key',
      key,
      '--state-dir',
      state,
    ]);
    expect(cache.status, cache.stderr).toBe(0);
    expect(await statement()).toMatchObject({
      cache: { version: 100 },
      rules: { version: 'province-2026-11-27' },
      trust: { version: 7 },
      revocation: { version: 31 },
    });
  });

  it('--no-publish --out records nothing: the statement keeps naming what the broker holds (review 3 #2)', async () => {
    const rules = hub([
      'publish-rules',
      '--rules',
      rulesWith('province-2026-11-28', {}),
      '--signing-key',
      key,
      '--state-dir',
      state,
      '--no-publish',
      '--out',
      join(dir, 'rules-signed.json'),
    ]);
    expect(rules.status, rules.stderr).toBe(0);
    const signer = await createDccSigner({ alg: 'ES256' });
    const pem = join(dir, 'dsc-no-publish.pem');
    writeFileSync(pem, signer.certificatePem);
    const trust = hub([
      'publish-trust',
      '--file',
      pem,
      '--version',
      '8',
      '--signing-key',
      key,
      '--state-dir',
      state,
      '--no-publish',
      '--out',
      join(dir, 'trust-signed.json'),
    ]);
    expect(trust.status, trust.stderr).toBe(0);
    // Both files were written; neither went out, so neither is what kiosks hold.
    expect(JSON.parse(readFileSync(join(dir, 'rules-signed.json'), 'utf8')).rules).toMatch(
      /province-2026-11-28/,
    );
    expect(readPublished(state).versions).toMatchObject({ rules: 'province-2026-11-27', trust: 7 });
    const fresh = hub(['publish-fresh', '--signing-key', key, '--state-dir', state]);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(await statement()).toMatchObject({
      rules: { version: 'province-2026-11-27' },
      trust: { version: 7 },
    });
  });

  it('the daemon states it at start and again on its timer; GET /api/fleet/freshness shows what it stated', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const daemon = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
      freshness: { stateDir: state, everyMs: 300, signing: readSigningKey(key) },
    });
    const seen: FreshnessStatement[] = [];
    const kiosk = await connectAsync(broker.url);
    kiosk.on('message', (_t, p) => seen.push(verifyFreshness(p, ring)));
    await kiosk.subscribeAsync(fleetTopic('fresh'), { qos: 1 });
    try {
      const address = await daemon.start();
      // The retained one from the CLI, then the daemon's first, then at least one from its timer.
      await waitFor(() => (seen.length >= 3 ? true : undefined), 10_000, 'statements');
      const [, first, second] = seen as [FreshnessStatement, FreshnessStatement, FreshnessStatement];
      expect(Date.parse(second.issuedAt)).toBeGreaterThan(Date.parse(first.issuedAt));
      expect(second).toMatchObject({
        cache: { version: 100 },
        trust: { version: 7 },
        revocation: { version: 31 },
      });
      await daemon.store?.users.add('0900000001', 'admin-password', 'admin', ['*']);
      const admin = await logIn(address, '0900000001', 'admin-password');
      const r = await fetch(`${address}/api/fleet/freshness`, { headers: { cookie: admin.cookie } });
      const { status } = (await r.json()) as { status: Record<string, unknown> };
      expect(status).toMatchObject({ publishing: true, problem: null });
      expect(status.statement).toMatchObject({ rules: { version: 'province-2026-11-27' } });
      // Prometheus: when this process last stated freshness (an operator alerts on its age).
      const metrics = await (await fetch(`${address}/metrics`, { headers: { cookie: admin.cookie } })).text();
      const stated = /^qrkiosk_hub_freshness_statement_timestamp_seconds (\S+)$/m.exec(metrics)?.[1];
      expect(Number(stated)).toBeGreaterThanOrEqual(Date.parse(first.issuedAt) / 1000);
    } finally {
      await kiosk.endAsync();
      await daemon.stop();
    }
  });

  it('qrkiosk-hub run states it from hub.yaml fleet:, and refuses to start on an unreadable key', async () => {
    const before = await statement();
    const yaml = (keyFile: string) => {
      const file = join(dir, `hub-${randomBytes(3).toString('hex')}.yaml`);
      writeFileSync(
        file,
        [
          `dataDir: ${makeTempDir('hub-run-')}`,
          'http: { port: 0 }',
          `mqtt: { url: '${broker.url}', lanes: 1 }`,
          `fleet: { freshnessMinutes: 5, signingKeyFile: ${keyFile}, stateDir: ${state} }`,
        ].join('\n'),
      );
      return file;
    };
    const child = spawn(process.execPath, [HUB_CLI, 'run', '--config', yaml(key)], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(
        async () => {
          const now = await statement();
          return Date.parse(now.issuedAt) > Date.parse(before.issuedAt) ? now : undefined;
        },
        15_000,
        'a statement from the daemon',
      ).then((s) => expect(s).toMatchObject({ cache: { version: 100 }, trust: { version: 7 } }));
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const bad = spawnSync(process.execPath, [HUB_CLI, 'run', '--config', yaml(join(dir, 'missing.key'))], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(
      /Không đọc được khóa ký .*missing\.key \(ENOENT\).* \/ Cannot read the signing key/,
    );
  });

  it('a hub without a signing key publishes nothing, logs why once, and the page is told', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const lines: string[] = [];
    const daemon = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
      freshness: { stateDir: state, everyMs: 300 },
    });
    try {
      const address = await daemon.start();
      await daemon.store?.users.add('0900000001', 'admin-password', 'admin', ['*']);
      const admin = await logIn(address, '0900000001', 'admin-password');
      const r = await fetch(`${address}/api/fleet/freshness`, { headers: { cookie: admin.cookie } });
      const { status } = (await r.json()) as {
        status: { publishing: boolean; problem: { vi: string; en: string } };
      };
      expect(status.publishing).toBe(false);
      expect(status.problem.vi).toMatch(/không có khóa ký/);
      expect(status.problem.en).toMatch(/no signing key.*fleet\.signingKeyFile/);
      const warned = lines.filter((l) => l.includes('no signing key'));
      expect(warned).toHaveLength(1);
      expect(lines.some((l) => l.includes('freshness statement published'))).toBe(false);
    } finally {
      await daemon.stop();
    }
  });
});

describe('what the statement may say', () => {
  it('reads each recorded version; a damaged file states that kind as null and says why, never a guess', () => {
    const dir = makeTempDir('hub-published-');
    expect(readPublished(dir)).toEqual({
      versions: { cache: null, rules: null, trust: null, revocation: null },
      problems: [],
    });
    writeFleetState(dir, { seq: 1234, createdAt: '2026-11-27T00:00:00.000Z', entries: Buffer.alloc(0) });
    recordPublished(dir, 'rules', 'tinh-2026-11-27');
    recordPublished(dir, 'trust', 7);
    recordPublished(dir, 'revocation', 31);
    expect(readPublished(dir)).toEqual({
      versions: { cache: 1234, rules: 'tinh-2026-11-27', trust: 7, revocation: 31 },
      problems: [],
    });
    writeFileSync(join(dir, 'trust.version'), 'seven\n');
    writeFileSync(join(dir, 'fleet-cache.state'), 'not a state file');
    const damaged = readPublished(dir);
    expect(damaged.versions).toEqual({ cache: null, rules: 'tinh-2026-11-27', trust: null, revocation: 31 });
    expect(damaged.problems).toEqual([
      expect.stringMatching(/fleet-cache\.state: not a fleet cache state$/),
      expect.stringMatching(/trust\.version: "seven" is not a version number$/),
    ]);
  });

  it('the daemon publisher retries a statement the broker did not take, and says so meanwhile', async () => {
    const dir = makeTempDir('hub-fresh-retry-');
    mkdirSync(dir, { recursive: true });
    recordPublished(dir, 'rules', 'r-1');
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const ring = new KeyRing();
    ring.add(publicKey);
    const taken: Buffer[] = [];
    let refuse = true;
    const publisher = new FreshnessPublisher(
      {
        stateDir: dir,
        everyMs: 20,
        signing: { privateKey, publicKey },
        publish: async (payload) => {
          if (refuse) throw new Error('connect ECONNREFUSED 127.0.0.1:1883');
          taken.push(payload);
        },
      },
      { url: 'mqtt://127.0.0.1:1' },
      pino({ level: 'silent' }),
    );
    // A process whose folder holds nothing (another machine, a wrong fleet.stateDir) does not replace the
    // retained statement with one that confirms nothing.
    const empty = new FreshnessPublisher(
      {
        stateDir: makeTempDir('hub-fresh-empty-'),
        everyMs: 60_000,
        signing: { privateKey, publicKey },
        publish: async (p) => void taken.push(p),
      },
      { url: 'mqtt://127.0.0.1:1' },
      pino({ level: 'silent' }),
    );
    await empty.tick();
    await empty.stop();
    expect(taken).toEqual([]);
    expect(empty.status().problem?.en).toMatch(/^Nothing was ever published from .*hub-fresh-empty-/);
    try {
      await publisher.tick();
      expect(publisher.status()).toMatchObject({ publishing: true, lastIssuedAt: null });
      expect(publisher.status().problem?.en).toMatch(/ECONNREFUSED.*tried again in 1 minute/);
      refuse = false;
      await waitFor(() => (taken.length > 0 ? true : undefined), 5000, 'a statement taken');
      expect(verifyFreshness(taken[0] as Buffer, ring).rules).toEqual({ version: 'r-1' });
      await waitFor(() => (publisher.status().problem === null ? true : undefined), 5000, 'problem cleared');
    } finally {
      await publisher.stop();
    }
  });
});
