/**
 * The kiosk register applied to Mosquitto's dynamic-security plugin (real Mosquitto 2.x, the plugin
 * Debian ships): each kiosk's role lets its login write only under its own site; moving the kiosk
 * takes the old site away without a broker reload.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskTopics, siteOccupancyTopic } from '@qrkiosk/protocol';
import {
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  sampleCheckin,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDynsec, DYNSEC_TOPIC, Hub } from '../src/index.js';

// Debian's mosquitto package ships the plugin under the architecture's library folder (amd64, arm64 Pi).
const PLUGIN =
  readdirSync('/usr/lib')
    .map((d) => join('/usr/lib', d, 'mosquitto_dynamic_security.so'))
    .find((f) => existsSync(f)) ?? '/usr/lib/mosquitto_dynamic_security.so';
const ADMIN = { username: 'admin', password: 'admin-secret' };

describe('kiosk roles in the dynamic-security plugin', () => {
  let broker: RunningMosquitto;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    if (!existsSync(PLUGIN))
      throw new Error(`${PLUGIN} missing: install mosquitto (bash scripts/install.sh --test)`);
    const dir = makeTempDir('dynsec-');
    const config = join(dir, 'dynamic-security.json');
    const init = spawnSync('mosquitto_ctrl', ['dynsec', 'init', config, ADMIN.username, ADMIN.password], {
      encoding: 'utf8',
    });
    if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init: ${init.stderr}`);
    broker = await startMosquitto({
      anonymous: false,
      extraConfig: [`plugin ${PLUGIN}`, `plugin_opt_config_file ${config}`],
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await broker?.stop();
  });

  const admin = { url: '', ...ADMIN };
  /** Sets a kiosk's password as an operator would (mosquitto_ctrl dynsec setClientPassword). */
  async function setPassword(username: string, password: string): Promise<void> {
    const c = await connectAsync(broker.url, { ...ADMIN, protocolVersion: 5 });
    await c.publishAsync(
      DYNSEC_TOPIC,
      JSON.stringify({ commands: [{ command: 'setClientPassword', username, password }] }),
      {
        qos: 1,
      },
    );
    await c.endAsync();
  }
  /** k-001 as its daemon logs in at `site`: the client id qrkiosk-<site>-<kiosk> is the only one it may use. */
  async function kiosk(site: string): Promise<MqttClient> {
    const c = await connectAsync(broker.url, {
      username: 'k-001',
      password: 'pass-001',
      clientId: `qrkiosk-${site}-k-001`,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    clients.push(c);
    return c;
  }

  it('the hub role ingests through a shared subscription; kiosks of the register publish to it', async () => {
    admin.url = broker.url;
    expect(
      await applyDynsec(admin, [{ kiosk: 'k-003', site: 's-003', how: 'registered' }], { hubUser: 'hub' }),
    ).toEqual({ applied: 2, errors: [] });
    await setPassword('hub', 'hub-secret');
    await setPassword('k-003', 'pass-003');
    const hub = new Hub({
      mqtt: {
        url: broker.url,
        username: 'hub',
        password: 'hub-secret',
        protocolVersion: 5,
        shareGroup: 'hub',
        lanes: 2,
      },
      dataDir: makeTempDir('dynsec-hub-'),
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    });
    await hub.start();
    try {
      const k = await connectAsync(broker.url, {
        username: 'k-003',
        password: 'pass-003',
        clientId: 'qrkiosk-s-003-k-003',
        protocolVersion: 5,
      });
      clients.push(k);
      const checkin = sampleCheckin({ id: '01J40000000000000000000001', kiosk: 'k-003', site: 's-003' });
      // The site's occupancy: the hub's role publishes it, the kiosk's role reads it (retained).
      const counts: string[] = [];
      k.on('message', (topic, payload) => {
        if (topic === siteOccupancyTopic('s-003')) counts.push(payload.toString());
      });
      await k.subscribeAsync(siteOccupancyTopic('s-003'), { qos: 1 });
      await k.publishAsync(kioskTopics('s-003', 'k-003').checkin, JSON.stringify(checkin), { qos: 1 });
      await waitFor(async () => ((await hub.store!.checkinCount()) === 1 ? true : undefined), 5000, 'stored');
      const count = await waitFor(() => counts[0], 5000, 'the occupancy count');
      expect(JSON.parse(count)).toMatchObject({ schema: 'qrkiosk.occupancy/1', site: 's-003', inside: 1 });
      // A kiosk cannot forge its site's count (it would open the door past the cap for everyone).
      await expect(
        k.publishAsync(siteOccupancyTopic('s-003'), count.replace('"inside":1', '"inside":0'), { qos: 1 }),
      ).rejects.toThrow(/not authori[sz]ed|135/i);
      // Reception's pass requests (issue #20): the kiosk asks on its pass-request and reads the hub's answer
      // on its pass topic; it cannot write an answer (a card) itself.
      const h = await connectAsync(broker.url, {
        username: 'hub',
        password: 'hub-secret',
        protocolVersion: 5,
      });
      clients.push(h);
      const topics = kioskTopics('s-003', 'k-003');
      const seen: string[] = [];
      for (const c of [h, k]) c.on('message', (topic) => seen.push(topic));
      await h.subscribeAsync(topics.passRequest, { qos: 1 });
      await k.subscribeAsync(topics.pass, { qos: 1 });
      await k.publishAsync(topics.passRequest, '{}', { qos: 1 });
      await h.publishAsync(topics.pass, '{}', { qos: 1 });
      const both = () => (seen.includes(topics.passRequest) && seen.includes(topics.pass) ? true : undefined);
      await waitFor(both, 5000, 'the pass topics');
      await expect(k.publishAsync(topics.pass, '{}', { qos: 1 })).rejects.toThrow(/not authori[sz]ed|135/i);
    } finally {
      await hub.stop();
    }
  });

  it('a kiosk login writes only under the site it is registered at; moving it takes the old site away', async () => {
    admin.url = broker.url;
    expect(await applyDynsec(admin, [{ kiosk: 'k-001', site: 's-001', how: 'registered' }])).toEqual({
      applied: 1,
      errors: [],
    });
    await setPassword('k-001', 'pass-001');
    // Any other client id is refused at CONNACK: the login cannot take the hub's or another kiosk's session.
    for (const clientId of ['qrkiosk-hub', 'qrkiosk-s-003-k-003'])
      await expect(
        connectAsync(broker.url, {
          username: 'k-001',
          password: 'pass-001',
          clientId,
          protocolVersion: 5,
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow(/not authori[sz]ed|135/i);
    let k = await kiosk('s-001');
    await k.publishAsync(kioskTopics('s-001', 'k-001').checkin, '{}', { qos: 1 });
    await expect(k.publishAsync(kioskTopics('s-002', 'k-001').checkin, '{}', { qos: 1 })).rejects.toThrow(
      /not authori[sz]ed|135/i,
    );
    await expect(k.publishAsync(kioskTopics('s-001', 'k-002').checkin, '{}', { qos: 1 })).rejects.toThrow(
      /not authori[sz]ed|135/i,
    );
    // The operator moves the kiosk with the CLI: the role is made again, the old site is gone at once.
    const dir = makeTempDir('dynsec-cli-');
    writeFileSync(join(dir, 'admin.pass'), `${ADMIN.password}\n`);
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), 'kiosk', ...args, '--data-dir', dir], {
        encoding: 'utf8',
      });
    expect(cli(['register', '--kiosk', 'k-001', '--site', 's-002']).status).toBe(0);
    const applied = cli([
      'dynsec',
      '--mqtt',
      broker.url,
      '--username',
      'admin',
      '--password-file',
      join(dir, 'admin.pass'),
    ]);
    expect(applied.stdout).toMatch(/roles applied for 1 logins, 0 errors/);
    expect(applied.status).toBe(0);
    // Moved, the login's client id is the daemon's at the new site, and only that.
    await expect(kiosk('s-001')).rejects.toThrow(/not authori[sz]ed|135/i);
    k = await kiosk('s-002');
    await k.publishAsync(kioskTopics('s-002', 'k-001').checkin, '{}', { qos: 1 });
    await expect(k.publishAsync(kioskTopics('s-001', 'k-001').checkin, '{}', { qos: 1 })).rejects.toThrow(
      /not authori[sz]ed|135/i,
    );
  });
});
