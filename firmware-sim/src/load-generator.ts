import { randomBytes } from 'node:crypto';
import { CHECKIN_SCHEMA_ID, type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import { connectAsync, type MqttClient } from 'mqtt';
import { monotonicFactory } from 'ulid';

export interface FleetLoadOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  /** Simulated kiosks, each its own MQTT connection (site `s-<n>`, kiosk `k-<n>`). */
  kiosks: number;
  /** Check-ins each kiosk publishes. */
  perKiosk: number;
  /** Unacknowledged QoS 1 publishes each kiosk keeps in flight (default 200). */
  window?: number;
  protocolVersion?: 4 | 5;
  /** A fraction (0–1) of the check-ins published twice, as a kiosk replaying its outbox would. */
  duplicates?: number;
}

export interface FleetLoadResult {
  /** The distinct check-in ids published. */
  ids: string[];
  /** Messages sent, duplicates included. */
  sent: number;
  seconds: number;
}

/** A valid check-in as a kiosk sends it (masked document, random keyed hash). */
export function syntheticCheckin(id: string, site: string, kiosk: string, at: Date): CheckinMessage {
  return {
    schema: CHECKIN_SCHEMA_ID,
    id,
    kiosk,
    site,
    direction: 'in',
    at: at.toISOString(),
    clockSynced: true,
    document: {
      kind: 'cccd',
      numberMasked: '********1234',
      nameMasked: 'NGUYỄN V** A*',
      idHash: randomBytes(16).toString('hex'),
    },
    verdict: 'ALLOW',
    colour: 'green',
    reason: 'admitted-green',
    versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
  };
}

/**
 * A fleet of simulated kiosks publishing check-ins to a broker at once, QoS 1, each with a bounded
 * window of unacknowledged messages (as the gateway's uplink does). Payloads are built before the
 * clock starts, so the figure is about the broker and whoever consumes, not about JSON.stringify.
 */
export async function publishFleetLoad(o: FleetLoadOptions): Promise<FleetLoadResult> {
  const ulid = monotonicFactory();
  const window = o.window ?? 200;
  const plans = Array.from({ length: o.kiosks }, (_, k) => {
    const site = `s-${k}`;
    const kiosk = `k-${k}`;
    const messages: Array<{ id: string; payload: string }> = [];
    for (let i = 0; i < o.perKiosk; i++) {
      const id = ulid();
      const payload = JSON.stringify(syntheticCheckin(id, site, kiosk, new Date()));
      messages.push({ id, payload });
      if (o.duplicates && Math.random() < o.duplicates) messages.push({ id, payload });
    }
    return { topic: kioskTopics(site, kiosk).checkin, messages };
  });
  const clients: MqttClient[] = await Promise.all(
    plans.map((_, k) =>
      connectAsync(o.url, {
        protocolVersion: o.protocolVersion ?? 5,
        clientId: `load-k-${k}-${process.pid}`,
      }),
    ),
  );
  const t0 = performance.now();
  try {
    await Promise.all(
      plans.map(async (plan, k) => {
        const client = clients[k] as MqttClient;
        let next = 0;
        const lane = async () => {
          while (next < plan.messages.length) {
            const m = plan.messages[next++] as { payload: string };
            await client.publishAsync(plan.topic, m.payload, { qos: 1 });
          }
        };
        await Promise.all(Array.from({ length: window }, lane));
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
  const ids = [...new Set(plans.flatMap((p) => p.messages.map((m) => m.id)))];
  return {
    ids,
    sent: plans.reduce((n, p) => n + p.messages.length, 0),
    seconds: (performance.now() - t0) / 1000,
  };
}
