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
import { CheckinWriter } from './checkin-writer.js';
import type { HubStore } from './store.js';

export interface IngestOptions {
  url: string;
  username?: string;
  password?: string;
  protocolVersion: 4 | 5;
  /**
   * Subscribe to check-ins through `$share/<group>/…`: hub processes (and lanes) of one group split
   * the load, each message goes to one of them. Needs a broker with shared subscriptions
   * (Mosquitto ≥ 1.6, EMQX); without a group every connection receives everything.
   */
  shareGroup?: string;
  /** Stable MQTT client id (default `qrkiosk-hub`); each hub process needs its own. */
  clientId?: string;
  /**
   * MQTT connections this process ingests check-ins on (default 1). mqtt.js hands one message at a
   * time per connection to the hub and sends its PUBACK after it is stored; several lanes let
   * messages be stored together (CheckinWriter). More than one needs `shareGroup`.
   */
  lanes?: number;
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
  private clients: MqttClient[] = [];
  private readonly writer: CheckinWriter;

  constructor(
    private readonly options: IngestOptions,
    private readonly store: HubStore,
    private readonly log: Logger,
  ) {
    super();
    // PostgreSQL: several transactions in flight on the pool (their commits share WAL flushes).
    // SQLite has one writer: one transaction at a time, the next batch gathers meanwhile.
    this.writer = new CheckinWriter(store, store.repo.engine === 'postgres' ? 4 : 1);
  }

  async start(): Promise<void> {
    const o = this.options;
    const lanes = Math.max(1, Math.floor(o.lanes ?? 1));
    if (lanes > 1 && !o.shareGroup)
      throw new Error('several ingest lanes need a shared subscription group (--share)');
    const base = o.clientId ?? 'qrkiosk-hub';
    this.clients = Array.from({ length: lanes }, (_, lane) =>
      this.connectLane(lane === 0 ? base : `${base}-${lane}`, lane === 0),
    );
    await Promise.all(
      this.clients.map((c) => new Promise<void>((resolve) => c.once('connect', () => resolve()))),
    );
  }

  private connectLane(clientId: string, fleet: boolean): MqttClient {
    const o = this.options;
    // A fixed client id and a persistent session: while the hub is down (restart, upgrade) the
    // broker queues check-ins for it. With a random id and a clean session they would be lost —
    // the kiosks already hold PUBACKs for them. Several hub processes need one id each.
    const client = connect(o.url, {
      protocolVersion: o.protocolVersion,
      clientId,
      clean: false,
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 30 * 86_400 } } : {}),
      reconnectPeriod: 2000,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    });
    // Store first, acknowledge after: mqtt.js sends the PUBACK only when this callback runs, so a
    // message the hub failed to store (disk full, database down) is redelivered, not lost.
    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      this.onMessage(packet.topic, Buffer.from(packet.payload as Buffer)).then(
        () => callback(),
        (err: Error) => {
          this.log.error(
            { err: err.message, topic: packet.topic },
            'could not store a message; not acknowledged',
          );
          callback(err);
        },
      );
    };
    client.on('error', (err) => this.log.error({ err: err.message, clientId }, 'hub MQTT error'));
    const share = (filter: string) => (o.shareGroup ? `$share/${o.shareGroup}/${filter}` : filter);
    client.on('connect', () => {
      // States and telemetry are not split: one lane of every hub process tracks the whole fleet.
      const filters: Record<string, { qos: 0 | 1 }> = { [share(HUB_FILTERS.checkin)]: { qos: 1 } };
      if (fleet) {
        filters[HUB_FILTERS.state] = { qos: 1 };
        filters[HUB_FILTERS.telemetry] = { qos: 0 };
      }
      client.subscribe(filters, (err) => {
        if (err) this.log.error({ err: err.message, clientId }, 'hub could not subscribe');
      });
    });
    return client;
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const now = new Date();
    const where = parseKioskTopic(topic);
    if (!where) return;
    if (where.channel === 'state') {
      const state = payload.toString('utf8');
      if (state !== 'online' && state !== 'offline') {
        await this.store.deadLetter(topic, `state must be online or offline`, payload, now);
        return;
      }
      await this.store.setKioskState(where.site, where.kiosk, state, now);
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
        await this.store.deadLetter(
          topic,
          t.ok ? 'site/kiosk in payload differ from topic' : t.errors.join('; '),
          payload,
          now,
        );
        return;
      }
      await this.store.setKioskTelemetry(t.value, now);
      this.emit('telemetry', t.value);
      return;
    }
    if (where.channel !== 'checkin') return;
    const parsed = parseCheckin(payload);
    if (!parsed.ok) {
      await this.store.deadLetter(topic, parsed.errors.join('; '), payload, now);
      this.log.warn({ topic, errors: parsed.errors.slice(0, 3) }, 'invalid check-in kept as dead letter');
      return;
    }
    const checkin = parsed.value;
    // A kiosk may only speak for itself: the topic and the payload must agree.
    if (checkin.site !== where.site || checkin.kiosk !== where.kiosk) {
      await this.store.deadLetter(topic, 'site/kiosk in payload differ from topic', payload, now);
      return;
    }
    if (!(await this.writer.add(checkin, now))) return;
    // Stored: a failing listener (a live page that went away) must not turn into a missing PUBACK.
    try {
      this.emit('checkin', checkin);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'a live listener failed');
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync()));
    this.clients = [];
  }
}
