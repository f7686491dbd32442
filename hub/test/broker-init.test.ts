/**
 * `qrkiosk-hub broker init`: the folder it writes is a working fleet broker as it stands — real
 * Mosquitto 2.0 with Debian's dynamic-security plugin, started on it untouched — and the hub's own
 * login from DIR/hub.password both has the hub's topics and administers the plugin.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  hubCli,
  type InitBroker,
  initAndStartBroker,
  makeTempDir,
  REPO_ROOT,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNSEC_TOPIC } from '../src/index.js';

describe('broker init', () => {
  let broker: InitBroker;
  beforeAll(async () => {
    broker = await initAndStartBroker();
  });
  afterAll(() => broker?.stop());

  it('writes a configuration Mosquitto starts on, with the limits that keep QoS 1', () => {
    expect(hubCli('--help').stdout).toContain('qrkiosk-hub broker init --dir DIR --port N');
    expect(statSync(join(broker.dir, 'hub.password')).mode & 0o777).toBe(0o600);
    const text = readFileSync(join(broker.dir, 'mosquitto.conf'), 'utf8');
    for (const line of [
      'allow_anonymous false',
      'max_queued_messages 0',
      'max_queued_bytes 1073741824',
      'max_inflight_messages 0',
      'queue_qos0_messages false',
      'persistent_client_expiration 30d',
      'persistence true',
      `persistence_location ${broker.dir}/`,
    ])
      expect(text.split('\n')).toContain(line);
  });

  it('the hub logs in with DIR/hub.password, publishes its topics and administers the plugin', async () => {
    const login = { ...broker.hub, protocolVersion: 5 as const, reconnectPeriod: 0 };
    const hub = await connectAsync(broker.url, login);
    await hub.publishAsync('qrkiosk/v1/fleet/rules', '{}', { qos: 1 });
    // The broker's PUBACK reason code 135 (mqtt.js then ends this connection, so the next steps use another).
    await expect(hub.publishAsync('elsewhere/x', '{}', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await hub.endAsync();
    const admin = await connectAsync(broker.url, login);
    try {
      const answer = new Promise<string>((resolve) => admin.on('message', (_t, p) => resolve(p.toString())));
      await admin.subscribeAsync(`${DYNSEC_TOPIC}/response`, { qos: 1 });
      await admin.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: [{ command: 'listClients' }] }), {
        qos: 1,
      });
      expect(JSON.parse(await answer).responses[0].data.clients).toEqual(['hub']);
    } finally {
      await admin.endAsync();
    }
    await expect(
      connectAsync(broker.url, {
        username: 'hub',
        password: 'wrong',
        protocolVersion: 5,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/not authori[sz]ed|135|bad user/i);
    await expect(connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow();
  });

  it('refuses to overwrite an existing hub.password', () => {
    const again = hubCli('broker', 'init', '--dir', broker.dir, '--port', '1883');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('hub.password exists — not overwritten');
  });

  it('the plugin file is 600 from the moment mosquitto_ctrl writes it: the hashes are never world-readable', async () => {
    // The real mosquitto_ctrl, seen through a wrapper first on PATH that records the file's mode the
    // instant it exits — before broker init's own chmod could hide a world-readable window.
    const bin = makeTempDir('ctrl-wrap-');
    const record = join(bin, 'mode');
    const real = spawnSync('/bin/sh', ['-c', 'command -v mosquitto_ctrl'], {
      encoding: 'utf8',
    }).stdout.trim();
    writeFileSync(
      join(bin, 'mosquitto_ctrl'),
      `#!/bin/sh\n${real} "$@"; rc=$?\nstat -c %a "$3" > ${record}\nexit $rc\n`,
    );
    chmodSync(join(bin, 'mosquitto_ctrl'), 0o755);
    const dir = join(makeTempDir('broker-mode-'), 'broker');
    const r = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'hub/dist/cli.js'),
        'broker',
        'init',
        '--dir',
        dir,
        '--port',
        String(await freePort()),
      ],
      { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(record, 'utf8').trim()).toBe('600');
    expect(statSync(join(dir, 'dynamic-security.json')).mode & 0o777).toBe(0o600);
  });

  it('--hub-user gives hub.password to the hub service’s user; run as root without it, the chown line is printed', async () => {
    const root = process.getuid?.() === 0;
    const nobody = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('nobody:'))
      ?.split(':');
    const dir = join(makeTempDir('broker-user-'), 'broker');
    const r = hubCli(
      'broker',
      'init',
      '--dir',
      dir,
      '--port',
      String(await freePort()),
      '--hub-user',
      'nobody',
    );
    expect(r.status, r.stderr).toBe(0);
    const st = statSync(join(dir, 'hub.password'));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(root ? Number(nobody?.[2]) : process.getuid?.());
    expect(r.stdout).not.toContain('chown');
    const plain = join(makeTempDir('broker-user-'), 'broker');
    const p = hubCli('broker', 'init', '--dir', plain, '--port', String(await freePort()));
    expect(p.status, p.stderr).toBe(0);
    if (root) expect(p.stdout).toContain(`chown qrkiosk-hub: ${join(plain, 'hub.password')}`);
    else expect(p.stdout).not.toContain('chown');
    const unknown = hubCli(
      'broker',
      'init',
      '--dir',
      join(plain, 'x'),
      '--port',
      '1883',
      '--hub-user',
      'no-such-user-x',
    );
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--hub-user no-such-user-x: no such user on this machine');
  });
});
