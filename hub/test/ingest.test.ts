import { type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import { type RunningMosquitto, sampleCheckin, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Hub, type LiveMessage } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';
import { logIn } from './session.js';

const checkin = (id: string, site = 's-001', kiosk = 'k-001'): CheckinMessage =>
  sampleCheckin({ id, site, kiosk });

// SQLite with one MQTT connection; PostgreSQL with four lanes on a shared subscription.
describe.each(ENGINES)('hub ingest from a real Mosquitto into %s', (engine) => {
  let broker: RunningMosquitto;
  let hub: Hub;
  let address: string;
  let kiosk: MqttClient;
  let cookie = '';
  beforeAll(async () => {
    broker = await startMosquitto();
    const { database, dataDir } = await newDatabase(engine);
    hub = new Hub({
      mqtt: {
        url: broker.url,
        protocolVersion: 5,
        ...(engine === 'postgres' ? { shareGroup: 'hub', lanes: 4 } : {}),
      },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: (await import('pino')).pino({ level: 'silent' }),
    });
    address = await hub.start();
    await hub.store!.users.add('0911111111', 'officer-password', 'officer', ['*']);
    cookie = (await logIn(address, '0911111111', 'officer-password')).cookie;
    kiosk = await connectAsync(broker.url, { protocolVersion: 5 });
  });
  afterAll(async () => {
    await kiosk?.endAsync();
    await hub?.stop();
    await broker?.stop();
  });

  it('stores a check-in once however often it is delivered, and pushes it to the live page once', async () => {
    const live: LiveMessage[] = [];
    const ws = new WebSocket(`${address.replace('http', 'ws')}/live`, { headers: { cookie } });
    ws.on('message', (d) => live.push(JSON.parse(d.toString()) as LiveMessage));
    await waitFor(() => live.find((m) => m.type === 'snapshot'), 5000, 'snapshot');

    const c = checkin('01J00000000000000000000A01');
    const topic = kioskTopics('s-001', 'k-001').checkin;
    for (let i = 0; i < 3; i++) await kiosk.publishAsync(topic, JSON.stringify(c), { qos: 1 });
    await kiosk.publishAsync(topic, JSON.stringify(checkin('01J00000000000000000000A02')), { qos: 1 });
    await waitFor(
      async () => ((await hub.store!.checkinCount()) === 2 ? true : undefined),
      5000,
      'two stored',
    );
    await waitFor(
      () => (live.filter((m) => m.type === 'checkin').length === 2 ? true : undefined),
      5000,
      'two pushed',
    );
    ws.close();
    expect((await hub.store!.recent(10)).map((m) => m.id)).toEqual([
      '01J00000000000000000000A02',
      '01J00000000000000000000A01',
    ]);
    expect((await fetch(`${address}/api/checkins?limit=1`)).status).toBe(401);
    const res = await fetch(`${address}/api/checkins?limit=1`, { headers: { cookie } });
    expect(((await res.json()) as CheckinMessage[]).map((m) => m.id)).toEqual(['01J00000000000000000000A02']);
  });

  it('stores 600 check-ins from 6 kiosks publishing at once exactly once, each pushed live once', async () => {
    const live = new Set<string>();
    let pushes = 0;
    const onCheckin = (c: CheckinMessage) => {
      pushes++;
      live.add(c.id);
    };
    hub.ingest!.on('checkin', onCheckin);
    const before = await hub.store!.checkinCount();
    const kiosks = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => connectAsync(broker.url, { protocolVersion: 5 })),
    );
    const ids: string[] = [];
    await Promise.all(
      kiosks.map(async (k, i) => {
        const name = `k-1${i}`;
        for (let n = 0; n < 100; n++) {
          const id = `01J1${String(i).padStart(2, '0')}${String(n).padStart(20, '0')}`;
          ids.push(id);
          await k.publishAsync(
            kioskTopics('s-100', name).checkin,
            JSON.stringify(checkin(id, 's-100', name)),
            {
              qos: 1,
            },
          );
        }
      }),
    );
    await waitFor(
      async () => ((await hub.store!.checkinCount()) === before + 600 ? true : undefined),
      10_000,
      '600 stored',
    );
    await waitFor(() => (live.size === 600 ? true : undefined), 5000, '600 pushed');
    hub.ingest!.off('checkin', onCheckin);
    expect(pushes).toBe(600);
    expect([...live].sort()).toEqual(ids.sort());
    await Promise.all(kiosks.map((k) => k.endAsync()));
  });

  it('keeps invalid payloads and topic/payload mismatches as dead letters, and keeps running', async () => {
    const before = await hub.store!.deadLetterCount();
    const topic = kioskTopics('s-001', 'k-002').checkin;
    await kiosk.publishAsync(topic, Buffer.from([0xff, 0xfe]), { qos: 1 });
    await kiosk.publishAsync(
      topic,
      JSON.stringify({ ...checkin('01J00000000000000000000A03', 's-001', 'k-002'), name: 'x' }),
      { qos: 1 },
    );
    // Kiosk k-002 publishing a check-in that claims to come from k-001.
    await kiosk.publishAsync(topic, JSON.stringify(checkin('01J00000000000000000000A04')), { qos: 1 });
    await waitFor(
      async () => ((await hub.store!.deadLetterCount()) === before + 3 ? true : undefined),
      5000,
      'three dead letters',
    );
    expect((await hub.store!.recent(10)).map((m) => m.id)).not.toContain('01J00000000000000000000A04');
  });

  it('tracks kiosk online/offline state', async () => {
    await kiosk.publishAsync(kioskTopics('s-009', 'k-009').state, 'online', { qos: 1, retain: true });
    await waitFor(
      async () => (await hub.store!.kiosks()).find((k) => k.kiosk === 'k-009'),
      5000,
      'kiosk state',
    );
    expect((await hub.store!.kiosks()).find((k) => k.kiosk === 'k-009')?.state).toBe('online');
  });
});
