import { CHECKIN_SCHEMA_ID, type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import { makeTempDir, type RunningMosquitto, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Hub, type LiveMessage } from '../src/index.js';

const checkin = (id: string, site = 's-001', kiosk = 'k-001'): CheckinMessage => ({
  schema: CHECKIN_SCHEMA_ID,
  id,
  kiosk,
  site,
  direction: 'in',
  at: new Date().toISOString(),
  clockSynced: true,
  document: {
    kind: 'cccd',
    numberMasked: '********1234',
    nameMasked: 'NGUYỄN V** A*',
    idHash: 'e'.repeat(32),
  },
  verdict: 'ALLOW',
  colour: 'green',
  reason: 'admitted-green',
  versions: { software: '0.1.0', rules: 'builtin-1', cache: 1 },
});

describe('hub ingest from a real Mosquitto', () => {
  let broker: RunningMosquitto;
  let hub: Hub;
  let address: string;
  let kiosk: MqttClient;
  let cookie = '';
  beforeAll(async () => {
    broker = await startMosquitto();
    hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      dataDir: makeTempDir('hub-'),
      http: { host: '127.0.0.1', port: 0 },
      log: (await import('pino')).pino({ level: 'silent' }),
    });
    address = await hub.start();
    await hub.store!.users.add('0911111111', 'officer-password', 'officer', ['*']);
    const login = await fetch(`${address}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '0911111111', password: 'officer-password' }),
    });
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
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
    await waitFor(() => (hub.store!.checkinCount() === 2 ? true : undefined), 5000, 'two stored');
    await waitFor(
      () => (live.filter((m) => m.type === 'checkin').length === 2 ? true : undefined),
      5000,
      'two pushed',
    );
    ws.close();
    expect(hub.store!.recent(10).map((m) => m.id)).toEqual([
      '01J00000000000000000000A02',
      '01J00000000000000000000A01',
    ]);
    expect((await fetch(`${address}/api/checkins?limit=1`)).status).toBe(401);
    const res = await fetch(`${address}/api/checkins?limit=1`, { headers: { cookie } });
    expect(((await res.json()) as CheckinMessage[]).map((m) => m.id)).toEqual(['01J00000000000000000000A02']);
  });

  it('keeps invalid payloads and topic/payload mismatches as dead letters, and keeps running', async () => {
    const before = hub.store!.deadLetterCount();
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
      () => (hub.store!.deadLetterCount() === before + 3 ? true : undefined),
      5000,
      'three dead letters',
    );
    expect(hub.store!.recent(10).map((m) => m.id)).not.toContain('01J00000000000000000000A04');
  });

  it('tracks kiosk online/offline state', async () => {
    await kiosk.publishAsync(kioskTopics('s-009', 'k-009').state, 'online', { qos: 1, retain: true });
    await waitFor(() => hub.store!.kiosks().find((k) => k.kiosk === 'k-009'), 5000, 'kiosk state');
    expect(hub.store!.kiosks().find((k) => k.kiosk === 'k-009')?.state).toBe('online');
  });
});
