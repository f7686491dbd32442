import { kioskTopics } from '@qrkiosk/protocol';
import { sampleCheckin, startMosquitto } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { Hub } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';

// SQLite with one connection; PostgreSQL with four lanes on a shared subscription: Mosquitto must
// queue the share's messages for the lanes' persistent sessions while the hub is down.
describe.each(ENGINES)('hub restarts (%s)', (engine) => {
  it('receives the check-ins published while it was down (persistent session, fixed client id)', async () => {
    const broker = await startMosquitto();
    const { database, dataDir } = await newDatabase(engine);
    const options = {
      mqtt: {
        url: broker.url,
        protocolVersion: 5 as const,
        ...(engine === 'postgres' ? { shareGroup: 'hub', lanes: 4 } : {}),
      },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    };
    let hub = new Hub(options);
    await hub.start();
    await hub.stop();
    const kiosk = await connectAsync(broker.url, { protocolVersion: 5 });
    const ids = Array.from({ length: 40 }, () => ulid());
    for (const id of ids)
      await kiosk.publishAsync(
        kioskTopics('s-001', 'k-001').checkin,
        JSON.stringify(sampleCheckin({ id, document: { idHash: 'c'.repeat(32) } })),
        { qos: 1 },
      );
    hub = new Hub(options);
    await hub.start();
    const deadline = Date.now() + 5000;
    while ((await hub.store!.checkinCount()) < ids.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect((await hub.store!.recent(100)).map((c) => c.id).sort()).toEqual([...ids].sort());
    await hub.stop();
    await kiosk.endAsync();
    await broker.stop();
  });
});
