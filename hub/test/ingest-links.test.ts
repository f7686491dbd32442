/**
 * A scan's links arrive with its check-in (issue #18): a real Mosquitto and the hub's ingest on both
 * engines (PostgreSQL with four lanes on a shared subscription, as ingest.test.ts), a check-in whose
 * document carries the hashes of the scan's other keys, delivered three times: stored once, linked
 * both ways, and the trace of the other key (the CMND) reaches it.
 */
import { hashIdentity, kioskTopics } from '@qrkiosk/protocol';
import { type RunningMosquitto, sampleCheckin, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';

const KEY = Buffer.alloc(32, 3);
const CCCD = hashIdentity(KEY, 'cccd', '079090001234').toString('hex');
const CMND = hashIdentity(KEY, 'cmnd', '272345678').toString('hex');

describe.each(ENGINES)('scan links through ingest into %s', (engine) => {
  let broker: RunningMosquitto;
  let hub: Hub;
  let kiosk: MqttClient;
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
    await hub.start();
    kiosk = await connectAsync(broker.url, { protocolVersion: 5 });
  });
  afterAll(async () => {
    await kiosk?.endAsync();
    await hub?.stop();
    await broker?.stop();
  });

  it('stores the check-in once and its links both ways; the CMND’s trace reaches the CCCD visit', async () => {
    const at = '2026-11-26T03:00:00.000Z';
    const c = sampleCheckin({ at, document: { idHash: CCCD, links: [CMND] } });
    const topic = kioskTopics('s-001', 'k-001').checkin;
    for (let i = 0; i < 3; i++) await kiosk.publishAsync(topic, JSON.stringify(c), { qos: 1 });
    const store = hub.store!;
    await waitFor(async () => ((await store.checkinCount()) === 1 ? true : undefined), 5000, 'stored');
    expect(await store.repo.links.neighbours([CCCD, CMND])).toEqual(
      [
        [CCCD, CMND],
        [CMND, CCCD],
      ].sort(),
    );
    const hashes = await store.personHashes(CMND);
    expect(hashes).toEqual([CMND, CCCD]);
    const from = new Date('2026-11-26T00:00:00Z');
    const to = new Date('2026-11-27T00:00:00Z');
    const visits = (await Promise.all(hashes.map((x) => store.repo.visits(x, from, to)))).flat();
    expect(visits.map((v) => v.id)).toEqual([c.id]);
  });
});
