/**
 * Enrolling a kiosk with one code, on real parts: a broker made by `qrkiosk-hub broker init` (Debian's
 * Mosquitto and dynamic-security plugin), the hub running on it with its own login, codes made by the
 * CLI, redeemed over HTTP with a kiosk key made by protocol's newKioskKeyPair, the grant opened as a
 * kiosk opens it, and the kiosk's login tried against the broker. Every storage test on both engines.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENROL_PATH,
  ENROL_REQUEST_SCHEMA_ID,
  EnrolmentGrant,
  type EnrolmentSecrets,
  kioskTopics,
  newKioskKeyPair,
  openGrant,
  openSealed,
  parseEnrolmentCode,
  validatorFor,
} from '@qrkiosk/protocol';
import {
  ENGINES,
  freePort,
  hubCli,
  type InitBroker,
  initAndStartBroker,
  makeTempDir,
} from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KioskLogins } from '../src/dynsec-accounts.js';
import { enrolmentKeys } from '../src/enrolment-setup.js';
import { generateSigningKey, Hub, HubStore, loadHubSettings } from '../src/index.js';
import { Enrolment } from '../src/use-cases/enrolment.js';
import { newDatabase } from './engines.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const validGrant = validatorFor(EnrolmentGrant);
let broker: InitBroker;
const clients: MqttClient[] = [];
beforeAll(async () => {
  broker = await initAndStartBroker();
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await broker?.stop();
});

/** hub.yaml as an operator writes it: the broker init's login, enrolment switched on. */
function hubYaml(database: string, dataDir: string, port: number): string {
  const keys = generateSigningKey(join(dataDir, 'keys'));
  const hashKey = join(dataDir, 'identity.key');
  writeFileSync(hashKey, randomBytes(32).toString('hex'));
  const file = join(dataDir, 'hub.yaml');
  writeFileSync(
    file,
    [
      `dataDir: ${dataDir}`,
      `database: '${database}'`,
      `http: { host: 127.0.0.1, port: ${port} }`,
      `mqtt: { url: '${broker.url}', username: hub, passwordFile: ${join(broker.dir, 'hub.password')}, share: none }`,
      `privacy: { hashKeyFile: ${hashKey} }`,
      'enrolment:',
      `  publicUrl: http://127.0.0.1:${port}`,
      `  brokerUrl: '${broker.url}'`,
      `  signingKeyFile: ${keys.privateFile}`,
      '',
    ].join('\n'),
  );
  return file;
}

async function kioskLogin(username: string, password: string): Promise<MqttClient> {
  const c = await connectAsync(broker.url, { username, password, protocolVersion: 5, reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

describe.each(ENGINES)('enrolment (%s)', (engine) => {
  let hub: Hub;
  let config: string;
  let address: string;
  const kiosk = `k-${engine}`;
  const site = `s-${engine}`;
  beforeAll(async () => {
    const { database, dataDir } = await newDatabase(engine);
    const port = await freePort();
    config = hubYaml(database, dataDir, port);
    const s = loadHubSettings(config, {});
    hub = new Hub({
      mqtt: { url: broker.url, ...broker.hub, protocolVersion: 5, lanes: 1 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port },
      enrolment: enrolmentKeys(s),
      // This file redeems many codes from one address; the limit itself is the route's default.
      enrolsPerMinute: 1000,
      log: pino({ level: 'silent' }),
    });
    address = await hub.start();
  });
  afterAll(() => hub?.stop());

  const add = (...extra: string[]) => {
    const r = hubCli('kiosk', 'add', '--config', config, '--site', site, '--kiosk', kiosk, ...extra);
    if (r.status !== 0) throw new Error(`kiosk add: ${r.stderr}`);
    return r;
  };
  /** What a kiosk does with a code: parse it, make its key, POST to the address in the code. */
  async function redeem(code: string, key = newKioskKeyPair()) {
    const parsed = parseEnrolmentCode(code);
    if (!parsed.ok) throw new Error(`not a code: ${code}`);
    const response = await fetch(`${parsed.code.hubUrl}${ENROL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        schema: ENROL_REQUEST_SCHEMA_ID,
        token: parsed.code.token,
        publicKey: key.publicKey,
        software: 'test/1',
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, key, parsed };
  }
  async function enrol(code: string) {
    const r = await redeem(code);
    expect(r.status).toBe(200);
    const opened = openGrant(r.body as never, r.parsed.code.keyId);
    if (!opened.ok) throw new Error('grant not signed by the key in the code');
    const grant = validGrant(opened.grant);
    if (!grant.ok) throw new Error(grant.errors.join('; '));
    const secrets = JSON.parse(
      openSealed(r.key.privateKey, grant.value.sealed).toString(),
    ) as EnrolmentSecrets;
    return { grant: grant.value, secrets };
  }

  it('kiosk add --json prints exactly the code and its expiry; the code names the hub and its key', () => {
    const r = add('--json', '--direction', 'out');
    const printed = JSON.parse(r.stdout) as { code: string; expiresAt: string };
    expect(Object.keys(printed)).toEqual(['code', 'expiresAt']);
    const parsed = parseEnrolmentCode(printed.code);
    expect(parsed.ok && parsed.code.hubUrl).toBe(address);
    const hours = (Date.parse(printed.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71.9);
    expect(hours).toBeLessThanOrEqual(72);
  });

  it('a redeemed code gives a signed grant whose login writes only its own site, once', async () => {
    const { code } = JSON.parse(add('--json').stdout) as { code: string };
    // The kiosk's client exists from `kiosk add` on, disabled until the code is redeemed.
    await expect(kioskLogin(kiosk, '')).rejects.toThrow(/not authori[sz]ed|135|bad user/i);
    const { grant, secrets } = await enrol(code);
    expect(grant).toMatchObject({
      kiosk,
      site,
      direction: 'in',
      username: kiosk,
      broker: { url: broker.url },
    });
    expect(Buffer.from(secrets.hashKey, 'base64')).toHaveLength(32);
    const seen: string[] = [];
    const hubSide = await kioskLogin('hub', broker.hub.password);
    hubSide.on('message', (topic) => seen.push(topic));
    await hubSide.subscribeAsync(`qrkiosk/v1/+/${kiosk}/checkin`, { qos: 1 });
    const k = await kioskLogin(grant.username, secrets.password);
    await k.publishAsync(kioskTopics(site, kiosk).checkin, '{}', { qos: 1 });
    await expect(k.publishAsync(kioskTopics('s-other', kiosk).checkin, '{}', { qos: 1 })).rejects.toThrow(
      /Not authorized/,
    );
    await expect.poll(() => seen).toEqual([kioskTopics(site, kiosk).checkin]);
    // Spent: the same code again is refused, in the contract's shape.
    const again = await redeem(code);
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({
      error: 'code-used',
      message: { en: expect.stringContaining('once') },
    });
  });

  it('of concurrent redemptions of one code exactly one wins', async () => {
    const { code } = JSON.parse(add('--json').stdout) as { code: string };
    const all = await Promise.all(Array.from({ length: 6 }, () => redeem(code)));
    expect(all.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410, 410]);
    expect(all.filter((r) => r.status === 410).every((r) => r.body.error === 'code-used')).toBe(true);
    // And two stores on one database (two hub processes), straight at the claim.
    const { database, dataDir } = await newDatabase(engine);
    const [a, b] = [await HubStore.open(database, dataDir), await HubStore.open(database, dataDir)];
    try {
      const row = {
        tokenHash: 'x'.repeat(64),
        kiosk,
        site,
        direction: 'in',
        createdAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
        createdBy: 'test',
      };
      await a.repo.addEnrolment(row);
      const claims = await Promise.all(
        [a, b, a, b].map((s, i) => s.repo.claimEnrolment(row.tokenHash, new Date(), `key${i}`, '127.0.0.1')),
      );
      expect(claims.filter((c) => c.ok)).toHaveLength(1);
      expect(claims.filter((c) => !c.ok).map((c) => !c.ok && c.reason)).toEqual([
        'code-used',
        'code-used',
        'code-used',
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a broker that refuses the hub leaves the code unspent (502 broker-failed), to be tried again', async () => {
    const keys = enrolmentKeys(loadHubSettings(config, {}));
    const store = hub.store as HubStore;
    const log = pino({ level: 'silent' });
    const good = new Enrolment(store, new KioskLogins({ url: broker.url, ...broker.hub }), keys, log);
    const locked = new Enrolment(
      store,
      new KioskLogins({ url: broker.url, username: 'hub', password: 'not-the-password' }),
      keys,
      log,
    );
    const { code } = await good.issue({ kiosk, site, direction: 'in', by: 'test' });
    const parsed = parseEnrolmentCode(code);
    if (!parsed.ok) throw new Error('not a code');
    const request = {
      schema: ENROL_REQUEST_SCHEMA_ID,
      token: parsed.code.token,
      publicKey: newKioskKeyPair().publicKey,
      software: 'test/1',
    } as const;
    const failed = await locked.redeem(request, '192.0.2.7');
    expect([failed.status, failed.body]).toMatchObject([502, { error: 'broker-failed' }]);
    expect((await good.redeem(request, '192.0.2.7')).status).toBe(200);
  });

  it('an admin makes a code on the page: the same code, with its QR as SVG', async () => {
    await hub.store?.users.add('0900000009', 'page-admin-password', 'admin', ['*']);
    const s = await logIn(address, '0900000009', 'page-admin-password');
    const r = await fetch(`${address}/api/kiosk-codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: JSON.stringify({ site, kiosk, direction: 'out' }),
    });
    const made = (await r.json()) as { code: string; expiresAt: string; svg: string };
    expect(r.status).toBe(200);
    expect(made.svg).toMatch(/^<svg [^>]*viewBox/);
    const { grant } = await enrol(made.code);
    expect(grant).toMatchObject({ kiosk, site, direction: 'out' });
    const listed = JSON.parse(hubCli('kiosk', 'enrolments', '--config', config, '--json').stdout) as {
      codes: Array<{ createdBy: string }>;
    };
    expect(listed.codes[0]?.createdBy).toBe('0900000009');
  });

  it('expired, withdrawn, unknown and malformed requests are refused with their reason', async () => {
    const { code: old } = JSON.parse(add('--json').stdout) as { code: string };
    const { code: newer } = JSON.parse(add('--json', '--hours', '0.0002').stdout) as { code: string };
    expect((await redeem(old)).body.error).toBe('code-revoked');
    await new Promise((r) => setTimeout(r, 1000));
    const expired = await redeem(newer);
    expect([expired.status, expired.body.error]).toEqual([410, 'code-expired']);
    const unknown = await redeem(old.replace(/^QRKE1\/[A-Z2-7]{32}/, `QRKE1/${'A'.repeat(32)}`));
    expect([unknown.status, unknown.body.error]).toEqual([404, 'code-unknown']);
    const bad = await fetch(`${address}${ENROL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: ENROL_REQUEST_SCHEMA_ID, token: 'lower', publicKey: 'x', software: '' }),
    });
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, 'bad-request']);
    const huge = await fetch(`${address}${ENROL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(8000) }),
    });
    expect(huge.status).toBe(413);
  });

  it('re-enrolment moves the login to the new hardware; revoke ends it at once; all of it audited', async () => {
    const first = await enrol((JSON.parse(add('--json').stdout) as { code: string }).code);
    const oldHardware = await kioskLogin(kiosk, first.secrets.password);
    const closed = new Promise<void>((resolve) => oldHardware.once('close', () => resolve()));
    const second = await enrol((JSON.parse(add('--json').stdout) as { code: string }).code);
    await closed;
    await expect(kioskLogin(kiosk, first.secrets.password)).rejects.toThrow(/not authori[sz]ed|135/i);
    const current = await kioskLogin(kiosk, second.secrets.password);
    const ended = new Promise<void>((resolve) => current.once('close', () => resolve()));
    const revoked = hubCli('kiosk', 'revoke', '--config', config, '--kiosk', kiosk);
    expect(revoked.status, revoked.stderr).toBe(0);
    await ended;
    await expect(kioskLogin(kiosk, second.secrets.password)).rejects.toThrow(/not authori[sz]ed|135/i);
    const listed = hubCli('kiosk', 'enrolments', '--config', config, '--json');
    const { codes, attempts } = JSON.parse(listed.stdout) as {
      codes: Array<{ redeemedKey: string | null; redeemedFrom: string | null; createdBy: string }>;
      attempts: Array<{ action: string; detail: { reason?: string; key?: string; ip?: string } }>;
    };
    expect(codes.filter((c) => c.redeemedKey).length).toBeGreaterThanOrEqual(4);
    expect(codes.filter((c) => c.createdBy.endsWith('@cli')).length).toBeGreaterThanOrEqual(4);
    const reasons = attempts.filter((a) => a.action === 'enrol-refused').map((a) => a.detail.reason);
    expect(new Set(reasons)).toEqual(
      new Set(['code-used', 'code-revoked', 'code-expired', 'code-unknown', 'broker-failed']),
    );
    expect(attempts.find((a) => a.action === 'enrol-redeemed')?.detail).toMatchObject({
      key: expect.stringMatching(/^[0-9a-f]{16}$/),
      ip: '127.0.0.1',
    });
    expect(attempts[0]?.action).toBe('kiosk-revoke');
  });
});

describe('POST /api/enrol limits', () => {
  it('an address gets enrolsPerMinute tries, then a 429 in the contract’s shape; a hub without enrolment says so', async () => {
    const hub = await httpHub('sqlite', { enrolsPerMinute: 3 });
    try {
      const post = () =>
        fetch(`${hub.address}${ENROL_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            schema: ENROL_REQUEST_SCHEMA_ID,
            token: 'A'.repeat(32),
            publicKey: newKioskKeyPair().publicKey,
            software: 'test/1',
          }),
        });
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const r = await post();
        answers.push([r.status, ((await r.json()) as { error: string }).error]);
      }
      expect(answers).toEqual([
        [503, 'enrolment-off'],
        [503, 'enrolment-off'],
        [503, 'enrolment-off'],
        [429, 'too-many-attempts'],
      ]);
    } finally {
      await hub.stop();
    }
  });
});

describe('kiosk add without enrolment configured', () => {
  it('refuses, naming what is missing', () => {
    const dataDir = makeTempDir('enrol-off-');
    const r = hubCli('kiosk', 'add', '--data-dir', dataDir, '--site', 's-1', '--kiosk', 'k-1');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('enrolment.publicUrl');
    expect(r.stderr).toContain('privacy.hashKeyFile');
  });

  it('the hub does not start half able to enrol', () => {
    const dataDir = makeTempDir('enrol-half-');
    const file = join(dataDir, 'hub.yaml');
    writeFileSync(file, `dataDir: ${dataDir}\nenrolment: { publicUrl: 'https://hub.example.vn' }\n`);
    const r = hubCli('run', '--config', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('enrolment.brokerUrl, enrolment.signingKeyFile, privacy.hashKeyFile missing');
  });
});
