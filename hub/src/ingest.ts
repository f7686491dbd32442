import { EventEmitter } from 'node:events';
import {
  type CheckinMessage,
  HUB_FILTERS,
  type KioskState,
  parseCheckin,
  parseKioskTopic,
  type TelemetryMessage,
  validateTelemetry,
} from '@qrkiosk/protocol';
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { HubStore } from './store.js';

export interface IngestOptions {
  url: string;
  username?: string;
  password?: string;
  protocolVersion: 4 | 5;
  /** Subscribe through `$share/<group>/…` so several hub processes split the load (MQTT 5 brokers). */
  shareGroup?: string;
  /** Stable MQTT client id (default `qrkiosk-hub`); each hub process needs its own. */
  clientId?: string;
}

export interface IngestEvents {
  checkin: [CheckinMessage];
  kiosk: [{ site: string; kiosk: string; state: KioskState; lastSeen: string }];
  telemetry: [TelemetryMessage];
}

/**
 * Takes check-ins and kiosk states off MQTT. Every payload is validated against the protocol
 * schema; invalid ones go to the dead-letter table with the reason; duplicates are dropped.
 */
export class HubIngest extends EventEmitter<IngestEvents> {
  private client: MqttClient | undefined;

  constructor(
    private readonly options: IngestOptions,
    private readonly store: HubStore,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    const o = this.options;
    // A fixed client id and a persistent session: while the hub is down (restart, upgrade) the
    // broker queues check-ins for it. With a random id and a clean session they would be lost —
    // the kiosks already hold PUBACKs for them. Several hub processes need one id each.
    const client = connect(o.url, {
      protocolVersion: o.protocolVersion,
      clientId: o.clientId ?? 'qrkiosk-hub',
      clean: false,
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 30 * 86_400 } } : {}),
      reconnectPeriod: 2000,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    });
    this.client = client;
    // Store first, acknowledge after: mqtt.js sends the PUBACK only when this callback runs, so a
    // message the hub failed to store (disk full, database busy) is redelivered, not lost.
    client.handleMessage = (packet, callback) => {
      try {
        if (packet.cmd === 'publish') this.onMessage(packet.topic, Buffer.from(packet.payload as Buffer));
        callback();
      } catch (err) {
        this.log.error(
          { err: (err as Error).message, topic: packet.cmd === 'publish' ? packet.topic : undefined },
          'could not store a message; not acknowledged',
        );
        callback(err as Error);
      }
    };
    client.on('error', (err) => this.log.error({ err: err.message }, 'hub MQTT error'));
    const share = (filter: string) => (o.shareGroup ? `$share/${o.shareGroup}/${filter}` : filter);
    client.on('connect', () => {
      // States and telemetry are not split: every hub process tracks the whole fleet.
      client.subscribe(
        {
          [share(HUB_FILTERS.checkin)]: { qos: 1 },
          [HUB_FILTERS.state]: { qos: 1 },
          [HUB_FILTERS.telemetry]: { qos: 0 },
        },
        (err) => {
          if (err) this.log.error({ err: err.message }, 'hub could not subscribe');
        },
      );
    });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const now = new Date();
    const where = parseKioskTopic(topic);
    if (!where) return;
    if (where.channel === 'state') {
      const state = payload.toString('utf8');
      if (state !== 'online' && state !== 'offline') {
        this.store.deadLetter(topic, `state must be online or offline`, payload, now);
        return;
      }
      this.store.setKioskState(where.site, where.kiosk, state, now);
      this.emit('kiosk', { ...where, state, lastSeen: now.toISOString() });
      return;
    }
    if (where.channel === 'telemetry') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      const t = validateTelemetry(parsed);
      if (!t.ok || t.value.site !== where.site || t.value.kiosk !== where.kiosk) {
        this.store.deadLetter(
          topic,
          t.ok ? 'site/kiosk in payload differ from topic' : t.errors.join('; '),
          payload,
          now,
        );
        return;
      }
      this.store.setKioskTelemetry(t.value, now);
      this.emit('telemetry', t.value);
      return;
    }
    if (where.channel !== 'checkin') return;
    const parsed = parseCheckin(payload);
    if (!parsed.ok) {
      this.store.deadLetter(topic, parsed.errors.join('; '), payload, now);
      this.log.warn({ topic, errors: parsed.errors.slice(0, 3) }, 'invalid check-in kept as dead letter');
      return;
    }
    const checkin = parsed.value;
    // A kiosk may only speak for itself: the topic and the payload must agree.
    if (checkin.site !== where.site || checkin.kiosk !== where.kiosk) {
      this.store.deadLetter(topic, 'site/kiosk in payload differ from topic', payload, now);
      return;
    }
    if (this.store.addCheckin(checkin, now)) this.emit('checkin', checkin);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }
}
