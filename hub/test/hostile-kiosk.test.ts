/**
 * Hostile MQTT from kiosk logins (issue #12), on a real Mosquitto with the ACL the hub generates
 * (`qrkiosk-hub kiosk acl`) and per-kiosk passwords: a stolen kiosk publishing for another site,
 * oversize and many-property payloads, topic levels that are not ids. Each is refused — by the
 * broker where it can, by the hub otherwise — and valid check-ins behind them are stored.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_MAX_PACKET_BYTES, type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import {
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  sampleCheckin,
  startMosquitto,
  waitFor,
  writePasswordFile,
} from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclFile, Hub } from '../src/index.js';

const LOGINS = { hub: 'hub-secret', 'k-001': 'pass-001', 'k-002': 'pass-002' } as const;

let serial = 0;
const nextId = () => `01J2${String(++serial).padStart(22, '0')}`;
const checkin = (site: string, kiosk: string, id = nextId()): CheckinMessage =>
  sampleCheckin({ id, kiosk, site });

interface Running {
  broker: RunningMosquitto;
  hub: Hub;
  db: Database.Database;
  clients: MqttClient[];
}

/** A broker (with the generated ACL and passwords, or open), and a hub logged in to it. */
async function start(secure: boolean, strictKiosks = false): Promise<Running> {
  const dir = makeTempDir('hostile-');
  const extra: string[] = [];
  if (secure) {
    const acl = join(dir, 'qrkiosk.acl');
    writeFileSync(
      acl,
      aclFile([
        { kiosk: 'k-001', site: 's-001', how: 'registered' },
        { kiosk: 'k-002', site: 's-002', how: 'registered' },
      ]),
    );
    // The packet limit exactly as shipped.
    const shipped = readFileSync(join(REPO_ROOT, 'hardware/mosquitto/mosquitto.conf'), 'utf8');
    const limit = shipped.split('\n').find((l) => l.startsWith('max_packet_size '));
    if (!limit) throw new Error('hardware/mosquitto/mosquitto.conf sets no max_packet_size');
    extra.push(`password_file ${writePasswordFile(join(dir, 'passwd'), LOGINS)}`, `acl_file ${acl}`, limit);
  }
  const broker = await startMosquitto({ anonymous: !secure, extraConfig: extra });
  const hub = new Hub({
    mqtt: {
      url: broker.url,
      protocolVersion: 5,
      strictKiosks,
      ...(secure ? { username: 'hub', password: LOGINS.hub } : {}),
    },
    dataDir: dir,
    http: { host: '127.0.0.1', port: 0 },
    log: pino({ level: 'silent' }),
  });
  await hub.start();
  const db = new Database(join(dir, 'hub.db'), { readonly: true });
  return { broker, hub, db, clients: [] };
}

async function stop(r: Running | undefined): Promise<void> {
  if (!r) return;
  for (const c of r.clients) await c.endAsync();
  r.db.close();
  await r.hub.stop();
  await r.broker.stop();
}

async function login(r: Running, user?: keyof typeof LOGINS): Promise<MqttClient> {
  const c = await connectAsync(r.broker.url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    ...(user ? { username: user, password: LOGINS[user] } : {}),
  });
  r.clients.push(c);
  return c;
}

const deadLetters = (r: Running) =>
  r.db
    .prepare('SELECT topic, reason, length(payload) AS bytes FROM dead_letters ORDER BY seq')
    .all() as Array<{
    topic: string;
    reason: string;
    bytes: number;
  }>;
const stored = (r: Running) =>
  r.db.prepare('SELECT id, site, kiosk FROM checkins').all() as Array<{
    id: string;
    site: string;
    kiosk: string;
  }>;

describe('kiosk logins on the generated ACL', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start(true);
  });
  afterAll(() => stop(r));

  it('a kiosk publishing as another site is refused by the broker: nothing arrives', async () => {
    const k1 = await login(r, 'k-001');
    const forged = checkin('s-002', 'k-001');
    // MQTT 5: the broker answers the PUBLISH with reason 135 (not authorised) and drops it.
    for (const channel of ['checkin', 'state', 'telemetry'] as const)
      await expect(
        k1.publishAsync(kioskTopics('s-002', 'k-001')[channel], JSON.stringify(forged), { qos: 1 }),
      ).rejects.toThrow(/not authori[sz]ed|135/i);
    const own = checkin('s-001', 'k-001');
    await k1.publishAsync(kioskTopics('s-001', 'k-001').checkin, JSON.stringify(own), { qos: 1 });
    await waitFor(() => (stored(r).length === 1 ? true : undefined), 5000, 'own check-in stored');
    // The forged ones never reached the hub (not even as dead letters); the kiosk's own one did.
    expect(stored(r)).toEqual([{ id: own.id, site: 's-001', kiosk: 'k-001' }]);
    expect(deadLetters(r)).toEqual([]);
  });

  it('oversize and many-property payloads are refused unparsed; a valid check-in right after is stored', async () => {
    const k2 = await login(r, 'k-002');
    const topic = kioskTopics('s-002', 'k-002').checkin;
    const before = deadLetters(r).length;
    const huge = { ...checkin('s-002', 'k-002'), pad: 'x'.repeat(2_000_000) };
    for (let i = 0; i < 5; i++) await k2.publishAsync(topic, JSON.stringify(huge), { qos: 1 });
    const many = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`p${i}`, i]));
    await k2.publishAsync(topic, JSON.stringify(many), { qos: 1 });
    const valid = checkin('s-002', 'k-002');
    await k2.publishAsync(topic, JSON.stringify(valid), { qos: 1 });
    await waitFor(
      () => (stored(r).some((c) => c.id === valid.id) ? true : undefined),
      10_000,
      'valid stored',
    );
    // One connection, QoS 1, one lane: messages are handled in order, so when the valid check-in is
    // stored every hostile one before it has been refused — none of them held it back.
    const dead = deadLetters(r).slice(before);
    expect(dead).toHaveLength(6);
    for (const d of dead.slice(0, 5)) {
      expect(d.reason).toMatch(/^payload of 2000\d+ bytes is over the limit of 16384$/);
      expect(d.bytes).toBe(1024); // a prefix, never megabytes
    }
    expect(dead[5]?.reason).toMatch(/must NOT have additional properties|must have required property/);
    expect(dead[5]?.reason.split(';')).toHaveLength(1);
  });
});

describe('the broker packet limit as shipped', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start(true);
  });
  afterAll(() => stop(r));

  it('is the one protocol names; a bigger packet disconnects its sender and reaches nobody', async () => {
    const shipped = readFileSync(join(REPO_ROOT, 'hardware/mosquitto/mosquitto.conf'), 'utf8');
    expect(shipped).toMatch(new RegExp(`^max_packet_size ${BROKER_MAX_PACKET_BYTES}$`, 'm'));
    const before = { stored: stored(r).length, dead: deadLetters(r).length };
    // MQTT 3.1.1: the client is not told the limit, so it sends; the broker drops it and the connection.
    const k = await connectAsync(r.broker.url, {
      username: 'k-002',
      password: LOGINS['k-002'],
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => k.once('close', () => resolve()));
    k.publish(kioskTopics('s-002', 'k-002').checkin, Buffer.alloc(BROKER_MAX_PACKET_BYTES + 1, 0x20), {
      qos: 1,
    });
    await closed;
    await k.endAsync(true);
    const again = await login(r, 'k-002');
    const valid = checkin('s-002', 'k-002');
    await again.publishAsync(kioskTopics('s-002', 'k-002').checkin, JSON.stringify(valid), { qos: 1 });
    await waitFor(() => (stored(r).some((c) => c.id === valid.id) ? true : undefined), 5000, 'valid stored');
    expect(stored(r).length).toBe(before.stored + 1);
    expect(deadLetters(r).length).toBe(before.dead);
  });
});

describe('the hub binds each kiosk to one site (behind a broker without per-kiosk lines)', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start(false);
  });
  afterAll(() => stop(r));

  it('a kiosk claiming another site than its binding is a dead letter, not shown or reported', async () => {
    const k = await login(r);
    const t = (site: string) => kioskTopics(site, 'k-001');
    const first = checkin('s-001', 'k-001');
    await k.publishAsync(t('s-001').checkin, JSON.stringify(first), { qos: 1 });
    await waitFor(() => (stored(r).length === 1 ? true : undefined), 5000, 'first check-in');
    const forged = checkin('s-009', 'k-001');
    await k.publishAsync(t('s-009').checkin, JSON.stringify(forged), { qos: 1 });
    await k.publishAsync(t('s-009').state, 'online', { qos: 1 });
    const after = checkin('s-001', 'k-001');
    await k.publishAsync(t('s-001').checkin, JSON.stringify(after), { qos: 1 });
    await waitFor(() => (stored(r).length === 2 ? true : undefined), 5000, 'later check-in');
    expect(
      stored(r)
        .map((c) => c.id)
        .sort(),
    ).toEqual([first.id, after.id].sort());
    expect(deadLetters(r).map((d) => [d.topic, d.reason])).toEqual([
      [t('s-009').checkin, 'kiosk k-001 is bound to site s-001, not s-009'],
      [t('s-009').state, 'kiosk k-001 is bound to site s-001, not s-009'],
    ]);
    expect((await r.hub.store!.kiosks()).map((x) => x.site)).not.toContain('s-009');
    expect((await r.hub.store!.recent(10)).map((c) => c.site)).not.toContain('s-009');
    // The operator moves the kiosk: the register wins over the first-use binding at once.
    await r.hub.store!.repo.registerKiosk({ kiosk: 'k-001', site: 's-009', how: 'registered' }, new Date());
    const moved = checkin('s-009', 'k-001');
    await k.publishAsync(t('s-009').checkin, JSON.stringify(moved), { qos: 1 });
    await waitFor(() => (stored(r).some((c) => c.id === moved.id) ? true : undefined), 5000, 'moved kiosk');
  });

  it('topic levels that are not ids are dead letters for every message type', async () => {
    const k = await login(r);
    const before = deadLetters(r).length;
    const bad = ['<img src=x onerror=alert(1)>', 'district:760'];
    for (const site of bad) {
      await k.publishAsync(`qrkiosk/v1/${site}/k-050/state`, 'online', { qos: 1 });
      await k.publishAsync(`qrkiosk/v1/${site}/k-050/checkin`, JSON.stringify(checkin('s-001', 'k-050')), {
        qos: 1,
      });
      await k.publishAsync(`qrkiosk/v1/${site}/k-050/telemetry`, '{}', { qos: 1 });
    }
    await waitFor(() => (deadLetters(r).length === before + 6 ? true : undefined), 5000, 'six dead letters');
    for (const d of deadLetters(r).slice(before)) expect(d.reason).toMatch(/^site ".*" is not a valid id$/);
    const sites = (await r.hub.store!.kiosks()).map((x) => x.site);
    for (const site of bad) expect(sites).not.toContain(site);
  });
});

describe('the hub with --strict-kiosks', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start(false, true);
  });
  afterAll(() => stop(r));

  it('refuses a kiosk nobody registered, and takes it once registered', async () => {
    const k = await login(r);
    const t = kioskTopics('s-001', 'k-077');
    await k.publishAsync(t.checkin, JSON.stringify(checkin('s-001', 'k-077')), { qos: 1 });
    await waitFor(() => deadLetters(r)[0], 5000, 'refused');
    expect(deadLetters(r)[0]?.reason).toBe('kiosk k-077 is not registered (hub runs --strict-kiosks)');
    await r.hub.store!.repo.registerKiosk({ kiosk: 'k-077', site: 's-001', how: 'registered' }, new Date());
    await k.publishAsync(t.checkin, JSON.stringify(checkin('s-001', 'k-077')), { qos: 1 });
    await waitFor(() => (stored(r).length === 1 ? true : undefined), 5000, 'registered kiosk stored');
  });
});

describe('qrkiosk-hub kiosk register / kiosk acl', () => {
  it('writes the ACL from the register; a broker running it binds each kiosk login to its site', async () => {
    const dir = makeTempDir('kiosk-cli-');
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), 'kiosk', ...args, '--data-dir', dir], {
        encoding: 'utf8',
      });
    expect(cli(['register', '--kiosk', 'k-001', '--site', 's-001']).status).toBe(0);
    const bad = cli(['register', '--kiosk', 'k-002', '--site', 's-001/#']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^Cần --kiosk và --site.* \/ --kiosk and --site are needed/);
    const acl = join(dir, 'qrkiosk.acl');
    const made = cli(['acl', '--out', acl]);
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/ACL for 1 kiosks/);
    expect(readFileSync(acl, 'utf8')).toContain('user k-001\ntopic write qrkiosk/v1/s-001/k-001/checkin\n');
    const broker = await startMosquitto({
      anonymous: false,
      extraConfig: [`password_file ${writePasswordFile(join(dir, 'passwd'), LOGINS)}`, `acl_file ${acl}`],
    });
    try {
      const k = await connectAsync(broker.url, {
        username: 'k-001',
        password: LOGINS['k-001'],
        protocolVersion: 5,
      });
      await k.publishAsync(kioskTopics('s-001', 'k-001').state, 'online', { qos: 1 });
      await expect(k.publishAsync(kioskTopics('s-002', 'k-001').state, 'online', { qos: 1 })).rejects.toThrow(
        /not authori[sz]ed|135/i,
      );
      await k.endAsync();
    } finally {
      await broker.stop();
    }
  });
});
