import { ReceiptSender } from '@qrkiosk/hub';
import { parseKioskTopic } from '@qrkiosk/protocol';
import type { MqttClient } from 'mqtt';

/**
 * A STAND-IN for the hub's ingest, for tests and benchmarks that watch check-ins with a bare MQTT
 * subscriber instead of running the hub: every check-in this client receives is receipted at once
 * (with the hub's own ReceiptSender) without being stored. The real path — a hub that stores, then
 * receipts — is proved by bench/faults-network.mjs (integration/faults-network.test.ts).
 */
export function receiptCheckins(client: MqttClient): void {
  const receipts = new ReceiptSender((topic, payload) => client.publish(topic, payload, { qos: 1 }));
  client.on('message', (topic, payload) => {
    const where = parseKioskTopic(topic);
    if (!where.ok || where.channel !== 'checkin') return;
    let id: unknown;
    try {
      id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
    } catch {
      return;
    }
    if (typeof id === 'string') receipts.add(where.site, where.kiosk, id);
  });
}
