/**
 * Enrolling a kiosk with one code, on real parts: a broker made by `qrkiosk-hub broker init` (Debian's
 * Mosquitto and dynamic-security plugin), the hub running on it with its own login, codes made by the
 * CLI, redeemed over HTTP with a kiosk key made by protocol's newKioskKeyPair, the grant opened as a
 * kiosk opens it, and the kiosk's login tried against the broker. Every storage test on both engines.
 */
import { type KeyObject, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
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
  startMosquitto,
} from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KioskLogins } from '../src/dynsec-accounts.js';
import { enrolmentKeys, plainHttpWarning } from '../src/enrolment-setup.js';
import { DYNSEC_TOPIC, generateSigningKey, Hub, HubStore, loadHubSettings } from '../src/index.js';
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

/** A kiosk's login as its daemon makes it: the client id qrkiosk-<site>-<kiosk> unless told otherwise. */
async function kioskLogin(username: string, password: string, clientId: string): Promise<MqttClient> {
  const c = await connectAsync(broker.url, {
    username,
    password,
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  clients.push(c);
  return c;
}
const daemonId = (site: string, kiosk: string) => `qrkiosk-${site}-${kiosk}`;
const REFUSED = /not authori[sz]ed|135|bad user/i;

/** Sends dynamic-security commands with the broker's admin login (as `mosquitto_ctrl` would) and returns the answers. */
async function dynsec(
  commands: Array<Record<string, unknown>>,
): Promise<Array<{ error?: string; data?: unknown }>> {
  const c = await connectAsync(broker.url, { ...broker.hub, protocolVersion: 5, reconnectPeriod: 0 });
  try {
    const answer = new Promise<string>((resolve) => c.on('message', (_t, p) => resolve(p.toString())));
    await c.subscribeAsync(`${DYNSEC_TOPIC}/response`, { qos: 1 });
    await c.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands }), { qos: 1 });
    return (JSON.parse(await answer) as { responses: Array<{ error?: string; data?: unknown }> }).responses;
  } finally {
    await c.endAsync();
  }
}

/** An X25519 SPKI whose point is all zeros: it parses, but no shared secret can be made with it. */
const LOW_ORDER_KEY = Buffer.concat([
  Buffer.from('302a300506032b656e032100', 'hex'),
  Buffer.alloc(32),
]).toString('base64');

describe.each(ENGINES)('enrolment (%s)', (engine) => {
  let hub: Hub;
  let config: string;
  let address: string;
  let keys: ReturnType<typeof enrolmentKeys>;
  let n = 0;
  /** Each test its own kiosk and site: no test depends on what another left behind. */
  const fresh = () => {
    n++;
    return { kiosk: `k-${engine}-${n}`, site: `s-${engine}-${n}` };
  };
  beforeAll(async () => {
    const { database, dataDir } = await newDatabase(engine);
    const port = await freePort();
    config = hubYaml(database, dataDir, port);
    const s = loadHubSettings(config, {});
    keys = enrolmentKeys(s);
    hub = new Hub({
      mqtt: { url: broker.url, ...broker.hub, protocolVersion: 5, lanes: 1 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port },
      enrolment: keys,
      // This file redeems many codes from one address; the limit has its own test below.
      enrolsPerMinute: 1000,
      log: pino({ level: 'silent' }),
    });
    address = await hub.start();
  });
  afterAll(() => hub?.stop());

  const add = (id: { kiosk: string; site: string }, ...extra: string[]) => {
    const r = hubCli('kiosk', 'add', '--config', config, '--site', id.site, '--kiosk', id.kiosk, ...extra);
    if (r.status !== 0) throw new Error(`kiosk add: ${r.stderr}`);
    return r;
  };
  const codeFor = (id: { kiosk: string; site: string }, ...extra: string[]) =>
    (JSON.parse(add(id, '--json', ...extra).stdout) as { code: string }).code;
  /** What a kiosk does with a code: parse it, make its key, POST to the address in the code. */
  async function redeem(
    code: string,
    key: { publicKey: string; privateKey?: KeyObject } = newKioskKeyPair(),
  ) {
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
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const opened = openGrant(r.body as never, r.parsed.code.keyId);
    if (!opened.ok) throw new Error('grant not signed by the key in the code');
    const grant = validGrant(opened.grant);
    if (!grant.ok) throw new Error(grant.errors.join('; '));
    const secrets = JSON.parse(
      openSealed(r.key.privateKey as KeyObject, grant.value.sealed).toString(),
    ) as EnrolmentSecrets;
    return { grant: grant.value, secrets };
  }
  /** The enrolment audit rows written while `during` ran, oldest first. */
  async function auditOf(during: () => Promise<void>) {
    const store = hub.store as HubStore;
    const before = (await store.repo.enrolments.audit(100_000)).length;
    await during();
    const all = await store.repo.enrolments.audit(100_000);
    return all
      .slice(0, all.length - before)
      .reverse()
      .map((a) => ({ action: a.action, detail: JSON.parse(a.detail) as Record<string, unknown> }));
  }

  it('kiosk add --json prints exactly the code and its expiry; the code names the hub and its key', () => {
    const r = add(fresh(), '--json', '--direction', 'out');
    const printed = JSON.parse(r.stdout) as { code: string; expiresAt: string };
    expect(Object.keys(printed)).toEqual(['code', 'expiresAt']);
    const parsed = parseEnrolmentCode(printed.code);
    expect(parsed.ok && parsed.code.hubUrl).toBe(address);
    const hours = (Date.parse(printed.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71.9);
    expect(hours).toBeLessThanOrEqual(72);
    // The code sends kiosks to a loopback address: no plain-http warning.
    expect(r.stderr).not.toMatch(/http/);
  });

  it('a redeemed code gives a signed grant whose login writes only its own site, once', async () => {
    const { kiosk, site } = fresh();
    const code = codeFor({ kiosk, site });
    // The kiosk's client exists from `kiosk add` on, disabled until the code is redeemed.
    await expect(kioskLogin(kiosk, '', daemonId(site, kiosk))).rejects.toThrow(REFUSED);
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
    const hubSide = await kioskLogin('hub', broker.hub.password, `test-hub-side-${kiosk}`);
    hubSide.on('message', (topic) => seen.push(topic));
    await hubSide.subscribeAsync(`qrkiosk/v1/+/${kiosk}/checkin`, { qos: 1 });
    const k = await kioskLogin(grant.username, secrets.password, daemonId(site, kiosk));
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

  it('a kiosk login connects only with its daemon’s client id: not as the hub’s lane, not as another kiosk', async () => {
    const a = fresh();
    const b = fresh();
    const first = await enrol(codeFor(a));
    await enrol(codeFor(b));
    // The hub's ingest lane 0 (ingest.ts) and the other kiosk's daemon: refused at CONNACK (MQTT 5: 135).
    for (const other of ['qrkiosk-hub', daemonId(b.site, b.kiosk), `qrkiosk-doctor-${a.site}-${a.kiosk}`])
      await expect(kioskLogin(a.kiosk, first.secrets.password, other)).rejects.toThrow(REFUSED);
    const own = await kioskLogin(a.kiosk, first.secrets.password, daemonId(a.site, a.kiosk));
    await own.publishAsync(kioskTopics(a.site, a.kiosk).checkin, '{}', { qos: 1 });
  });

  it('of concurrent redemptions of one code exactly one wins', async () => {
    const { kiosk, site } = fresh();
    const code = codeFor({ kiosk, site });
    const all = await Promise.all(Array.from({ length: 6 }, () => redeem(code)));
    expect(all.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410, 410]);
    expect(all.filter((r) => r.status === 410).every((r) => r.body.error === 'code-used')).toBe(true);
    // And two stores on one database (two hub processes), straight at the claim.
    const { database, dataDir } = await newDatabase(engine);
    const [one, two] = [await HubStore.open(database, dataDir), await HubStore.open(database, dataDir)];
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
      await one.repo.enrolments.add(row);
      const claims = await Promise.all(
        [one, two, one, two].map((s, i) =>
          s.repo.enrolments.claim(row.tokenHash, new Date(), `key${i}`, '127.0.0.1'),
        ),
      );
      expect(claims.filter((c) => c.ok)).toHaveLength(1);
      expect(claims.filter((c) => !c.ok).map((c) => !c.ok && c.reason)).toEqual([
        'code-used',
        'code-used',
        'code-used',
      ]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  /** A redemption request for `code` with `publicKey`, as the route passes it on. */
  const requestOf = (code: string, publicKey = newKioskKeyPair().publicKey) => {
    const parsed = parseEnrolmentCode(code);
    if (!parsed.ok) throw new Error('not a code');
    return {
      schema: ENROL_REQUEST_SCHEMA_ID,
      token: parsed.code.token,
      publicKey,
      software: 'test/1',
    } as const;
  };

  it('a broker that refuses the hub leaves the code unspent (502 broker-failed), to be tried again', async () => {
    const { kiosk, site } = fresh();
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
    const request = requestOf(code);
    let failed: Awaited<ReturnType<Enrolment['redeem']>> | undefined;
    const audit = await auditOf(async () => {
      failed = await locked.redeem(request, '192.0.2.7');
    });
    expect([failed?.status, failed?.body]).toMatchObject([502, { error: 'broker-failed' }]);
    expect(audit).toMatchObject([{ action: 'enrol-refused', detail: { reason: 'broker-failed', kiosk } }]);
    expect((await good.redeem(request, '192.0.2.7')).status).toBe(200);
  });

  it('a broker whose dynamic security never answers: broker-failed within the bound, the code given back', async () => {
    // Real Mosquitto without the plugin: the admin connects, nobody answers $CONTROL/dynamic-security.
    const silent = await startMosquitto({ anonymous: true });
    try {
      const { kiosk, site } = fresh();
      const store = hub.store as HubStore;
      const log = pino({ level: 'silent' });
      const good = new Enrolment(store, new KioskLogins({ url: broker.url, ...broker.hub }), keys, log);
      const mute = new Enrolment(store, new KioskLogins({ url: silent.url }), keys, log);
      const { code } = await good.issue({ kiosk, site, direction: 'in', by: 'test' });
      const request = requestOf(code);
      const failed = await mute.redeem(request, '192.0.2.8');
      expect([failed.status, failed.body]).toMatchObject([502, { error: 'broker-failed' }]);
      expect((await good.redeem(request, '192.0.2.8')).status).toBe(200);
    } finally {
      await silent.stop();
    }
  });

  it('a low-order X25519 key is refused before the code is spent (400 bad-request, audited)', async () => {
    const { kiosk, site } = fresh();
    const code = codeFor({ kiosk, site });
    let r: Awaited<ReturnType<typeof redeem>> | undefined;
    const audit = await auditOf(async () => {
      r = await redeem(code, { publicKey: LOW_ORDER_KEY });
    });
    expect([r?.status, r?.body.error]).toEqual([400, 'bad-request']);
    expect(audit).toMatchObject([{ action: 'enrol-refused', detail: { reason: 'bad-request' } }]);
    // Not spent, and the broker login was not touched: the same code works with a sound key.
    await expect(kioskLogin(kiosk, '', daemonId(site, kiosk))).rejects.toThrow(REFUSED);
    const { grant } = await enrol(code);
    expect(grant.kiosk).toBe(kiosk);
  });

  it('kiosk add for another site moves nothing until its code is redeemed', async () => {
    const { kiosk, site } = fresh();
    const first = await enrol(codeFor({ kiosk, site }));
    const working = await kioskLogin(kiosk, first.secrets.password, daemonId(site, kiosk));
    const closed = new Promise<void>((resolve) => working.once('close', () => resolve()));
    const moved = codeFor({ kiosk, site: 's-elsewhere' });
    // The code is only issued: the working kiosk still writes its site, the hub still binds it there.
    await working.publishAsync(kioskTopics(site, kiosk).checkin, '{}', { qos: 1 });
    expect(working.connected).toBe(true);
    expect(await hub.store?.kioskBinding(kiosk)).toMatchObject({ kiosk, site });
    // Redeemed: now the login, its client id and the hub's binding are the new site's.
    const second = await enrol(moved);
    expect(second.grant.site).toBe('s-elsewhere');
    await closed;
    expect(await hub.store?.kioskBinding(kiosk)).toMatchObject({ kiosk, site: 's-elsewhere' });
    await expect(kioskLogin(kiosk, second.secrets.password, daemonId(site, kiosk))).rejects.toThrow(REFUSED);
    const there = await kioskLogin(kiosk, second.secrets.password, daemonId('s-elsewhere', kiosk));
    await there.publishAsync(kioskTopics('s-elsewhere', kiosk).checkin, '{}', { qos: 1 });
  });

  it('a kiosk id that is another broker login (monitor, the admin) is refused; its password stays its own', async () => {
    const monitor = `monitor-${engine}`;
    await dynsec([
      { command: 'createClient', username: monitor, password: 'monitor-secret' },
      { command: 'addClientRole', username: monitor, rolename: 'qrkiosk-hub' },
    ]);
    const r = hubCli('kiosk', 'add', '--config', config, '--site', 's-1', '--kiosk', monitor, '--json');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`Kiosk "${monitor}" has the name of a broker login that is not a kiosk's`);
    expect(r.stdout).toBe('');
    // On the page: 409, the same sentence.
    await hub.store?.users.add(
      `09000001${engine === 'sqlite' ? '01' : '02'}`,
      'page-admin-password',
      'admin',
      ['*'],
    );
    const s = await logIn(address, `09000001${engine === 'sqlite' ? '01' : '02'}`, 'page-admin-password');
    const page = await fetch(`${address}/api/kiosk-codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: JSON.stringify({ site: 's-1', kiosk: monitor }),
    });
    expect(page.status).toBe(409);
    expect(JSON.stringify(await page.json())).toContain('not a kiosk');
    // revoke does not delete it either.
    expect(hubCli('kiosk', 'revoke', '--config', config, '--kiosk', monitor).status).toBe(2);
    const still = await kioskLogin(monitor, 'monitor-secret', `test-${monitor}`);
    expect(still.connected).toBe(true);
    // The hub's admin login under another name than `hub`: refused by name, its password never reset.
    const admin = `admin-${engine}`;
    await dynsec([
      { command: 'createClient', username: admin, password: 'admin-secret' },
      { command: 'addClientRole', username: admin, rolename: 'admin' },
    ]);
    const asAdmin = new Enrolment(
      hub.store as HubStore,
      new KioskLogins({ url: broker.url, username: admin, password: 'admin-secret' }),
      keys,
      pino({ level: 'silent' }),
    );
    await expect(asAdmin.issue({ kiosk: admin, site: 's-1', direction: 'in', by: 'test' })).rejects.toThrow(
      /the hub's admin login/,
    );
    expect((await kioskLogin(admin, 'admin-secret', `test-${admin}`)).connected).toBe(true);
  });

  it('an admin makes a code on the page: the same code, with its QR as SVG', async () => {
    const { kiosk, site } = fresh();
    const phone = `09000002${engine === 'sqlite' ? '01' : '02'}`;
    await hub.store?.users.add(phone, 'page-admin-password', 'admin', ['*']);
    const s = await logIn(address, phone, 'page-admin-password');
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
      codes: Array<{ createdBy: string; kiosk: string }>;
    };
    expect(listed.codes.find((c) => c.kiosk === kiosk)?.createdBy).toBe(phone);
  });

  it('expired, withdrawn, unknown and malformed requests are refused with their reason, each audited', async () => {
    const id = fresh();
    const old = codeFor(id);
    const newer = codeFor(id, '--hours', '0.0002');
    const answers: unknown[] = [];
    const post = async (body: string, contentType = 'application/json') => {
      const r = await fetch(`${address}${ENROL_PATH}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      return [r.status, ((await r.json()) as { error: string }).error];
    };
    const audit = await auditOf(async () => {
      answers.push([(await redeem(old)).status, (await redeem(old)).body.error]);
      await new Promise((r) => setTimeout(r, 1000));
      const expired = await redeem(newer);
      answers.push([expired.status, expired.body.error]);
      const unknown = await redeem(old.replace(/^QRKE1\/[A-Z2-7]{32}/, `QRKE1/${'A'.repeat(32)}`));
      answers.push([unknown.status, unknown.body.error]);
    });
    expect(answers).toEqual([
      [410, 'code-revoked'],
      [410, 'code-expired'],
      [404, 'code-unknown'],
    ]);
    expect(audit.map((a) => [a.action, a.detail.reason])).toEqual([
      ['enrol-refused', 'code-revoked'],
      ['enrol-refused', 'code-revoked'],
      ['enrol-refused', 'code-expired'],
      ['enrol-refused', 'code-unknown'],
    ]);
    expect(audit[0]?.detail).toMatchObject({ kiosk: id.kiosk, ip: '127.0.0.1' });
    // Bodies refused before the use case answer in the contract's shape too (the kiosk shows its sentence).
    const schemaBad = JSON.stringify({
      schema: ENROL_REQUEST_SCHEMA_ID,
      token: 'lower',
      publicKey: 'x',
      software: '',
    });
    expect(await post(schemaBad)).toEqual([400, 'bad-request']);
    expect(await post('{"schema": ')).toEqual([400, 'bad-request']);
    expect(await post(JSON.stringify({ pad: 'x'.repeat(8000) }))).toEqual([413, 'bad-request']);
    expect(await post('token=x', 'application/x-www-form-urlencoded')).toEqual([415, 'bad-request']);
  });

  it('re-enrolment moves the login to the new hardware; revoke ends it at once; all of it audited', async () => {
    const { kiosk, site } = fresh();
    const id = daemonId(site, kiosk);
    const attempts = await auditOf(async () => {
      const first = await enrol(codeFor({ kiosk, site }));
      const oldHardware = await kioskLogin(kiosk, first.secrets.password, id);
      const closed = new Promise<void>((resolve) => oldHardware.once('close', () => resolve()));
      const second = await enrol(codeFor({ kiosk, site }));
      await closed;
      await expect(kioskLogin(kiosk, first.secrets.password, id)).rejects.toThrow(REFUSED);
      const current = await kioskLogin(kiosk, second.secrets.password, id);
      const ended = new Promise<void>((resolve) => current.once('close', () => resolve()));
      const revoked = hubCli('kiosk', 'revoke', '--config', config, '--kiosk', kiosk);
      expect(revoked.status, revoked.stderr).toBe(0);
      await ended;
      await expect(kioskLogin(kiosk, second.secrets.password, id)).rejects.toThrow(REFUSED);
    });
    const { codes } = JSON.parse(hubCli('kiosk', 'enrolments', '--config', config, '--json').stdout) as {
      codes: Array<{
        kiosk: string;
        redeemedKey: string | null;
        createdBy: string;
        withdrawnAt: string | null;
      }>;
    };
    const mine = codes.filter((c) => c.kiosk === kiosk);
    expect(mine).toHaveLength(2);
    expect(mine.every((c) => c.redeemedKey && c.createdBy.endsWith('@cli'))).toBe(true);
    expect(attempts.map((a) => a.action)).toEqual([
      'enrol-code',
      'enrol-redeemed',
      'enrol-code',
      'enrol-redeemed',
      'kiosk-revoke',
    ]);
    expect(attempts[1]?.detail).toMatchObject({
      kiosk,
      key: expect.stringMatching(/^[0-9a-f]{16}$/),
      ip: '127.0.0.1',
    });
  });
});

describe('POST /api/enrol limits', () => {
  it('with enrolment on, an address gets enrolsPerMinute redemptions, then a 429 in the contract’s shape', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const port = await freePort();
    const s = loadHubSettings(hubYaml(database, dataDir, port), {});
    const hub = new Hub({
      mqtt: { url: broker.url, ...broker.hub, protocolVersion: 5, lanes: 1 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port },
      enrolment: enrolmentKeys(s),
      enrolsPerMinute: 3,
      log: pino({ level: 'silent' }),
    });
    const address = await hub.start();
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${address}${ENROL_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            schema: ENROL_REQUEST_SCHEMA_ID,
            token: 'A'.repeat(32),
            publicKey: newKioskKeyPair().publicKey,
            software: 'test/1',
          }),
        });
        answers.push([r.status, ((await r.json()) as { error: string }).error]);
      }
      expect(answers).toEqual([
        [404, 'code-unknown'],
        [404, 'code-unknown'],
        [404, 'code-unknown'],
        [429, 'too-many-attempts'],
      ]);
    } finally {
      await hub.stop();
    }
  });

  it('a hub without enrolment says so, in the contract’s shape', async () => {
    const hub = await httpHub('sqlite');
    try {
      const r = await fetch(`${hub.address}${ENROL_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          schema: ENROL_REQUEST_SCHEMA_ID,
          token: 'A'.repeat(32),
          publicKey: newKioskKeyPair().publicKey,
          software: 'test/1',
        }),
      });
      expect([r.status, ((await r.json()) as { error: string }).error]).toEqual([503, 'enrolment-off']);
    } finally {
      await hub.stop();
    }
  });
});

describe('enrolment over plain http to another machine', () => {
  it('kiosk add warns in both languages (on stderr: --json output unchanged); loopback and https do not', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const file = hubYaml(database, dataDir, await freePort());
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/publicUrl: .*/, 'publicUrl: http://192.0.2.10:8090'),
    );
    const r = hubCli('kiosk', 'add', '--config', file, '--site', 's-http', '--kiosk', 'k-http', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(['code', 'expiresAt']);
    expect(r.stderr).toContain(
      'Cảnh báo: enrolment.publicUrl (http://192.0.2.10:8090) dùng http không mã hóa',
    );
    expect(r.stderr).toContain('Warning: enrolment.publicUrl (http://192.0.2.10:8090) is plain http');
    expect(plainHttpWarning('https://hub.example.vn')).toBeUndefined();
    expect(plainHttpWarning('http://localhost:8090')).toBeUndefined();
    expect(plainHttpWarning('http://[::1]:8090')).toBeUndefined();
    expect(plainHttpWarning('http://hub.lan:8090')?.en).toMatch(/trusted LAN segment/);
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
