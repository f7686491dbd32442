/**
 * Delivery ends at the hub, not at the broker: a kiosk marks a check-in delivered only when the
 * hub's receipt names it, and sends again what was never receipted. Real Mosquitto, the real
 * Controller and the real Hub (SQLite); the broker's PUBACK alone never empties the outbox.
 */
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import { type CheckinMessage, encodeReceipt, kioskTopics } from '@qrkiosk/protocol';
import {
  Cleanups,
  kioskYaml,
  makeTempDir,
  type RunningMosquitto,
  startMosquitto,
  testerCccd,
  waitFor,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function kiosk(broker: RunningMosquitto, receiptTimeoutSeconds = 30): Promise<Controller> {
  const loaded = settingsFromText(
    kioskYaml({
      dataDir: makeTempDir('receipts-'),
      assumeSynced: false,
      lines: [
        'ui: { port: 0 }',
        `mqtt: { url: "${broker.url}", receiptTimeoutSeconds: ${receiptTimeoutSeconds} }`,
        'rules: { duplicateWindowSeconds: 0 }',
      ],
    }),
    'receipts test',
    {},
  );
  const controller = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true });
  const connected = new Promise<void>((resolve) =>
    controller.bus.on('uplink.status', (s) => s.connected && resolve()),
  );
  await controller.start();
  cleanups.push(() => controller.stop());
  await connected;
  return controller;
}

describe('delivery confirmed by the hub', () => {
  it('a PUBACK is not delivery; a receipt is; after a broker restart the unreceipted one is sent again, same id', async () => {
    let broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const watcher = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 200 });
    cleanups.push(() => watcher.endAsync());
    const seen: CheckinMessage[] = [];
    watcher.on('message', (_t, p) => seen.push(JSON.parse(p.toString()) as CheckinMessage));
    await watcher.subscribeAsync(kioskTopics('s-001', 'k-001').checkin, { qos: 1 });
    const k = await kiosk(broker, 2);
    for (let i = 0; i < 3; i++) k.scan(testerCccd(i));
    await waitFor(() => (seen.length >= 3 ? true : undefined), 10_000, 'three check-ins at the broker');
    // Give the PUBACKs time to come back (well inside the 2 s receipt wait): no emptier outbox.
    await new Promise((r) => setTimeout(r, 500));
    expect(k.journal.pendingCount()).toBe(3);

    const [first, second, third] = seen as [CheckinMessage, CheckinMessage, CheckinMessage];
    const receipt = kioskTopics('s-001', 'k-001').receipt;
    await watcher.publishAsync(receipt, encodeReceipt([first.id, second.id]), { qos: 1 });
    await waitFor(() => (k.journal.pendingCount() === 1 ? true : undefined), 5000, 'two receipted');
    // Not a receipt: ignored, nothing marked.
    await watcher.publishAsync(receipt, JSON.stringify({ ids: ['not-an-id'] }), { qos: 1 });
    await watcher.publishAsync(receipt, 'x'.repeat(100_000), { qos: 1 });

    // The broker restarts (it keeps nothing: persistence off) and so loses the third check-in it had
    // acknowledged. With no receipt the kiosk sends it again, with the same id, however the
    // reconnects interleave (on its reconnect, or after the 2 s receipt wait).
    const port = broker.port;
    await broker.stop();
    broker = await startMosquitto({ port });
    await waitFor(() => (watcher.connected ? true : undefined), 10_000, 'watcher back');
    await watcher.subscribeAsync(kioskTopics('s-001', 'k-001').checkin, { qos: 1 });
    await waitFor(() => (seen.length >= 4 ? true : undefined), 20_000, 'the unreceipted check-in again');
    expect(new Set(seen.slice(3).map((c) => c.id))).toEqual(new Set([third.id]));
    expect(k.journal.pendingCount()).toBe(1);
    await watcher.publishAsync(receipt, encodeReceipt([third.id]), { qos: 1 });
    await waitFor(() => (k.journal.pendingCount() === 0 ? true : undefined), 5000, 'all receipted');
  });

  it('the hub receipts what it stored, and again for a copy it already has', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      dataDir: makeTempDir('receipts-hub-'),
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    });
    await hub.start();
    cleanups.push(() => hub.stop());
    const receipts: string[][] = [];
    const watcher = await connectAsync(broker.url, { protocolVersion: 5 });
    cleanups.push(() => watcher.endAsync());
    watcher.on('message', (_t, p) => receipts.push((JSON.parse(p.toString()) as { ids: string[] }).ids));
    await watcher.subscribeAsync(kioskTopics('s-001', 'k-001').receipt, { qos: 1 });

    const k = await kiosk(broker);
    for (let i = 0; i < 5; i++) k.scan(testerCccd(i));
    await waitFor(() => (k.journal.pendingCount() === 0 ? true : undefined), 10_000, 'all receipted');
    const ids = receipts.flat();
    expect(new Set(ids).size).toBe(5);
    expect(await hub.store!.checkinCount()).toBe(5);

    // A copy of a stored check-in (a kiosk that resends after losing a receipt) is receipted again.
    const copy = k.journal.since('1970-01-01T00:00:00Z').at(-1) as CheckinMessage;
    await watcher.publishAsync(kioskTopics('s-001', 'k-001').checkin, JSON.stringify(copy), { qos: 1 });
    await waitFor(
      () => (receipts.flat().filter((id) => id === copy.id).length >= 2 ? true : undefined),
      5000,
      'receipt for the copy',
    );
    expect(await hub.store!.checkinCount()).toBe(5);

    // A valid check-in the hub refuses (it names another site than its topic) is kept whole as a dead
    // letter and receipted, so the kiosk does not send it again for ever.
    const stray = { ...copy, id: '01JZZZZZZZZZZZZZZZZZZZZZZZ', site: 's-002' };
    await watcher.publishAsync(kioskTopics('s-001', 'k-001').checkin, JSON.stringify(stray), { qos: 1 });
    await waitFor(
      () => (receipts.flat().includes(stray.id) ? true : undefined),
      5000,
      'receipt for the stray',
    );
    expect(await hub.store!.checkinCount()).toBe(5);
    // A check-in this hub's schema refuses (a field from a newer kiosk) is kept and receipted too: it
    // waits for `dead-letters replay` after the hub's upgrade instead of filling the kiosk's window.
    const newer = { ...copy, id: '01JZZZZZZZZZZZZZZZZZZZZZZY', fromTheFuture: true };
    await watcher.publishAsync(kioskTopics('s-001', 'k-001').checkin, JSON.stringify(newer), { qos: 1 });
    await waitFor(
      () => (receipts.flat().includes(newer.id) ? true : undefined),
      5000,
      'receipt for the newer',
    );
    expect(await hub.store!.checkinCount()).toBe(5);
    const reasons = (await hub.store!.repo.deadLetters({})).map((d) => d.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBe('site/kiosk in payload differ from topic');
  });
});
