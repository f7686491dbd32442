/**
 * `qrkiosk-hub broker init`: the folder it writes is a working fleet broker as it stands — real
 * Mosquitto 2.0 with Debian's dynamic-security plugin, started on it untouched — and the hub's own
 * login from DIR/hub.password both has the hub's topics and administers the plugin.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hubCli, type InitBroker, initAndStartBroker } from '@qrkiosk/testkit';
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
});
