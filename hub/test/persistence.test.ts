import { CHECKIN_SCHEMA_ID, kioskTopics } from '@qrkiosk/protocol';
import { makeTempDir, startMosquitto } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { Hub } from '../src/index.js';

describe('hub restarts', () => {
  it('receives the check-ins published while it was down (persistent session, fixed client id)', async () => {
    const broker = await startMosquitto();
    const dataDir = makeTempDir('hub-persist-');
    const options = {
      mqtt: { url: broker.url, protocolVersion: 5 as const },
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    };
    let hub = new Hub(options);
    await hub.start();
    await hub.stop();
    const kiosk = await connectAsync(broker.url, { protocolVersion: 5 });
    const ids = [ulid(), ulid(), ulid()];
    for (const id of ids)
      await kiosk.publishAsync(
        kioskTopics('s-001', 'k-001').checkin,
        JSON.stringify({
          schema: CHECKIN_SCHEMA_ID,
          id,
          kiosk: 'k-001',
          site: 's-001',
          direction: 'in',
          at: new Date().toISOString(),
          clockSynced: true,
          document: {
            kind: 'cccd',
            numberMasked: '********1234',
            nameMasked: 'A B*',
            idHash: 'c'.repeat(32),
          },
          verdict: 'ALLOW',
          colour: 'green',
          reason: 'admitted-green',
          versions: { software: '0.1.0', rules: 'x', cache: 0 },
        }),
        { qos: 1 },
      );
    hub = new Hub(options);
    await hub.start();
    const deadline = Date.now() + 5000;
    while (hub.store!.checkinCount() < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(
      hub
        .store!.recent(10)
        .map((c) => c.id)
        .sort(),
    ).toEqual([...ids].sort());
    await hub.stop();
    await kiosk.endAsync();
    await broker.stop();
  });
});
