/**
 * The walking skeleton on real parts: a real pty (socat) carries the scan into the gateway's
 * serialport input, a real Mosquitto carries the check-in to a subscriber, real SQLite files hold
 * the journal. Only the GPIO is simulated (this machine has no GPIO), and it is what proves the
 * journal row is committed before the light: at the moment a line goes on, a second SQLite
 * connection must already see the row.
 */
import { join } from 'node:path';
import { receiptCheckins, VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { Controller, hashIdentity, NO_FACTS, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { type CheckinMessage, kioskTopics, validateCheckin } from '@qrkiosk/protocol';
import {
  Cleanups,
  kioskYaml,
  makeTempDir,
  type RunningMosquitto,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé, Quận 1|20042021';
const topics = kioskTopics('s-001', 'k-001');

interface Rig {
  broker: RunningMosquitto;
  scanner: VirtualSerialScanner;
  controller: Controller;
  gpio: SimGpio;
  subscriber: MqttClient;
  received: CheckinMessage[];
  dataDir: string;
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function rig(): Promise<Rig> {
  const broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  const scanner = new VirtualSerialScanner({ terminator: 'CR' });
  await scanner.plugIn();
  cleanups.push(() => scanner.unplug());
  const dataDir = makeTempDir('e2e-');
  const loaded = settingsFromText(
    kioskYaml({
      direction: 'in',
      dataDir,
      lines: [
        `scanner: { type: serial, path: "${scanner.path}", baudRate: 9600, terminator: CR }`,
        'ui: { port: 0 }',
        `mqtt: { url: "${broker.url}" }`,
      ],
    }),
    'e2e kiosk.yaml',
    {},
  );
  const gpio = new SimGpio();
  const controller = new Controller(loaded, { gpio });
  const subscriber = await connectAsync(broker.url, { protocolVersion: 5 });
  cleanups.push(() => subscriber.endAsync());
  const received: CheckinMessage[] = [];
  subscriber.on('message', (_topic, payload) =>
    received.push(JSON.parse(payload.toString()) as CheckinMessage),
  );
  await subscriber.subscribeAsync(topics.checkin, { qos: 1 });
  // The subscriber stands in for the hub: the kiosk counts a check-in delivered on the hub's receipt.
  receiptCheckins(subscriber);
  const connected = new Promise<void>((resolve) =>
    controller.bus.on('scanner.status', (s) => {
      if (s.connected) resolve();
    }),
  );
  await controller.start();
  cleanups.push(() => controller.stop());
  await connected;
  return { broker, scanner, controller, gpio, subscriber, received, dataDir };
}

describe('scan → gateway → Mosquitto, end to end', () => {
  it('a CCCD scanned on the pty arrives as one valid, masked check-in; the journal row precedes the light', async () => {
    const r = await rig();
    r.controller.cache.upsert([
      {
        key: hashIdentity(r.controller.identityHashKey(), 'cccd', '079090001234'),
        facts: { ...NO_FACTS, dosesReceived: 2, primarySeriesComplete: true, lastDoseDate: '2021-09-01' },
      },
    ]);
    // What a second process sees in the journal at the instant each line switches on.
    const observer = new Database(join(r.dataDir, 'journal.db'), { readonly: true });
    const rowsAtLightOn: number[] = [];
    r.gpio.onChange((e) => {
      if (e.value === 1)
        rowsAtLightOn.push((observer.prepare('SELECT count(*) AS n FROM checkins').get() as { n: number }).n);
    });

    await r.scanner.scan(CCCD);
    const message = await waitFor(() => r.received[0], 10_000, 'the check-in on MQTT');
    observer.close();

    expect(validateCheckin(message).ok).toBe(true);
    expect(message).toMatchObject({
      kiosk: 'k-001',
      site: 's-001',
      direction: 'in',
      verdict: 'ALLOW',
      colour: 'green',
      reason: 'admitted-green',
      document: { kind: 'cccd', numberMasked: '********1234', nameMasked: 'NGUYỄN V** A*' },
    });
    const raw = JSON.stringify(message);
    expect(raw).not.toContain('079090001234');
    expect(raw).not.toContain('Nguyễn Văn An');
    expect(raw).not.toContain('Lê Lợi');

    expect(r.gpio.timeline.filter((e) => e.value === 1).map((e) => e.line)).toEqual([
      'green',
      'buzzer',
      'relay',
    ]);
    expect(rowsAtLightOn.length).toBeGreaterThan(0);
    expect(rowsAtLightOn.every((n) => n === 1)).toBe(true);

    await waitFor(
      () => (r.controller.journal.pendingCount() === 0 ? true : undefined),
      5000,
      'PUBACK → delivered',
    );
    expect(r.received).toHaveLength(1);
  });

  it('a second scan of the same person inside the window shows "already" and records nothing', async () => {
    const r = await rig();
    await r.scanner.scan(CCCD);
    await waitFor(() => r.received[0], 10_000, 'first check-in');
    const decided = new Promise<string>((resolve) =>
      r.controller.bus.on('scan.decided', (o) => resolve(o.decision.reason.code)),
    );
    await r.scanner.scan(CCCD);
    expect(await decided).toBe('already-checked-in');
    const db = new Database(join(r.dataDir, 'journal.db'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM checkins').get() as { n: number }).n).toBe(1);
    db.close();
  });

  it('reconnects by itself when the scanner pty disappears and reappears; later scans are checked in', async () => {
    const r = await rig();
    await r.scanner.scan(CCCD);
    await waitFor(() => r.received[0], 10_000, 'first check-in');
    const states: boolean[] = [];
    r.controller.bus.on('scanner.status', (s) => states.push(s.connected));
    await r.scanner.unplug();
    await waitFor(() => (states.includes(false) ? true : undefined), 10_000, 'disconnect seen');
    // The guard hears and sees it: the SCANNER_LOST pattern (long beep, red blinks).
    await waitFor(
      () => (r.gpio.read('red') === 1 && r.gpio.read('buzzer') === 1 ? true : undefined),
      5000,
      'scanner-lost signal',
    );
    await r.scanner.plugIn();
    await waitFor(() => (states.at(-1) === true ? true : undefined), 10_000, 'reconnected');
    await r.scanner.scan('001088012345||Phạm Minh Tuấn|12031988|Nam|Hà Nội|15052021');
    await waitFor(() => r.received[1], 10_000, 'check-in after replug');
    expect(r.received.map((m) => m.document.numberMasked)).toEqual(['********1234', '********2345']);
  });

  it('check-ins made while the broker is down are delivered, in order, once it is back', async () => {
    const r = await rig();
    const port = r.broker.port;
    await r.broker.stop();
    const people = [
      '001088012345||Phạm Minh Tuấn|12031988|Nam|Hà Nội|15052021',
      '079195004567||Lê Thị Hồng|05071995|Nữ|TP. Hồ Chí Minh|02082021',
      CCCD,
    ];
    for (const p of people) {
      await r.scanner.scan(p);
      await waitFor(() => (r.gpio.timeline.length > 0 ? true : undefined), 5000, 'the light');
    }
    await waitFor(
      () => (r.controller.journal.pendingCount() === 3 ? true : undefined),
      5000,
      'three journaled',
    );

    const again = await startMosquitto({ port });
    cleanups.push(() => again.stop());
    await r.subscriber.reconnect();
    await waitFor(() => (r.subscriber.connected ? true : undefined), 10_000, 'subscriber back');
    await r.subscriber.subscribeAsync(topics.checkin, { qos: 1 });
    await waitFor(
      () => (r.controller.journal.pendingCount() === 0 ? true : undefined),
      15_000,
      'outbox drained',
    );
    await waitFor(() => (r.received.length >= 3 ? true : undefined), 5000, 'three messages');
    expect(r.received.map((m) => m.document.numberMasked)).toEqual([
      '********2345',
      '********4567',
      '********1234',
    ]);
  });
});
