import { EventEmitter } from 'node:events';
import {
  type CheckinMessage,
  DEAD_LETTER_PREFIX_BYTES,
  HUB_FILTERS,
  type KioskState,
  MAX_KIOSK_MESSAGE_BYTES,
  mqttOptions,
  OUTCOME_SCHEMA_ID,
  parseKioskJson,
  parseKioskTopic,
  parseTelemetry,
  schemaOf,
  TALLY_SCHEMA_ID,
  type TallyMessage,
  type TelemetryMessage,
  validateCheckin,
} from '@qrkiosk/protocol';
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { CheckinWriter } from './checkin-writer.js';
import { keptCheckin } from './ingest-kept.js';
import { laneId, retireLanes, SESSION_EXPIRY_S } from './ingest-retire.js';
import { KioskRegistry } from './kiosk-registry.js';
import { OccupancyPublisher } from './occupancy.js';
import { ingestOutcome } from './outcomes.js';
import { ReceiptSender } from './receipts.js';
import type { HubStore } from './store.js';
import { ingestTally } from './tallies.js';

/** Attempts before a message that keeps failing is offered to the dead letters. */
const MAX_ATTEMPTS = 5;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  /**
   * Ms after a stored row before the site's occupancy is counted and published (hub/src/occupancy.ts;
   * default 1000; 0: never — a hub whose sites set no cap).
   */
  occupancyDelayMs?: number;
  /** First wait before storing a message again after a failure (doubles up to 30 s; default 500 ms). */
  retryBaseMs?: number;
  /**
   * Refuse messages from kiosks not in the register (`qrkiosk-hub kiosk register`) instead of
   * binding an unknown kiosk to the first site it reports (default false: trust on first use).
   */
  strictKiosks?: boolean;
}

export interface IngestEvents {
  checkin: [CheckinMessage];
  kiosk: [{ site: string; kiosk: string; state: KioskState; lastSeen: string }];
  telemetry: [TelemetryMessage];
  tally: [TallyMessage]; // a verify-only site's tally, stored now: live counts add one
}

/**
 * Takes check-ins and kiosk states off MQTT. Every payload is validated against the protocol
 * schema; invalid ones go to the dead-letter table with the reason; duplicates are dropped.
 */
export class HubIngest extends EventEmitter<IngestEvents> {
  private clients: MqttClient[] = [];
  private stopped = false;
  private readonly writer: CheckinWriter;
  private readonly registry: KioskRegistry;
  /** Receipts go out on whichever lane is connected; a kiosk resends what is never receipted. */
  private readonly receipts = new ReceiptSender((topic, payload) => {
    const client = this.clients.find((c) => c.connected) ?? this.clients[0];
    client?.publish(topic, payload, { qos: 1 });
  });

  /** The count of people inside each site, retained for its kiosks (undefined: turned off). */
  private readonly occupancy: OccupancyPublisher | undefined;

  constructor(
    private readonly options: IngestOptions,
    private readonly store: HubStore,
    private readonly log: Logger,
  ) {
    super();
    const delay = options.occupancyDelayMs ?? 1000;
    this.occupancy =
      delay > 0
        ? new OccupancyPublisher(
            store,
            (topic, payload) => {
              const client = this.clients.find((c) => c.connected) ?? this.clients[0];
              // A broker ACL without the occupancy topic refuses it (MQTT 5): say so, kiosks then
              // count alone. The next heartbeat publishes again.
              client?.publish(topic, payload, { qos: 1, retain: true }, (err) => {
                if (err)
                  this.log.error({ err, topic }, 'the broker refused the occupancy count; check the hub ACL');
              });
            },
            log,
            delay,
          )
        : undefined;
    this.writer = new CheckinWriter(store, store.writeConcurrency);
    this.registry = new KioskRegistry(store, log, options.strictKiosks ?? false);
  }

  async start(): Promise<void> {
    const o = this.options;
    this.occupancy?.start();
    const lanes = Math.max(1, Math.floor(o.lanes ?? 1));
    if (lanes > 1 && !o.shareGroup)
      throw new Error('several ingest lanes need a shared subscription group (--share)');
    const base = o.clientId ?? 'qrkiosk-hub';
    const lanesUp = Array.from({ length: lanes }, (_, lane) =>
      this.connectLane(laneId(base, lane), lane === 0),
    );
    this.clients = lanesUp.map((l) => l.client);
    // Ready means subscribed (SUBACK), not just connected: a check-in published right after start()
    // must find this hub's subscriptions in place.
    await Promise.all(lanesUp.map((l) => l.subscribed));
    // Lanes of an earlier run with more lanes keep persistent sessions that the broker still sends
    // a share of the check-ins to. Drain and close them, or those check-ins would wait for ever.
    const retired = await this.retire(base, lanes);
    if (retired.sessions > 0) this.log.warn(retired, 'lanes no longer used were drained and closed');
  }

  /**
   * Drains and closes the sessions of lanes `<base>-<from>` … up to MAX_LANES (ingest-retire.ts).
   * Also for a hub process taken out of service (`qrkiosk-hub retire`, from 0).
   */
  retire(base: string, from: number): Promise<{ sessions: number; drained: number }> {
    return retireLanes(
      {
        options: this.options,
        store: (topic, payload, callback) => void this.storeWithRetry(topic, payload, callback),
        log: this.log,
        stopped: () => this.stopped,
      },
      base,
      from,
    );
  }

  private connectLane(clientId: string, fleet: boolean): { client: MqttClient; subscribed: Promise<void> } {
    let markSubscribed: () => void = () => undefined;
    let refuse: (err: Error) => void = () => undefined;
    const subscribed = new Promise<void>((resolve, reject) => {
      markSubscribed = resolve;
      refuse = reject;
    });
    const o = this.options;
    // A fixed client id and a persistent session: while the hub is down (restart, upgrade) the
    // broker queues check-ins for it. With a random id and a clean session they would be lost —
    // the kiosks already hold PUBACKs for them. Several hub processes need one id each.
    const client = connect(
      o.url,
      mqttOptions(
        { ...o, clientId },
        {
          clean: false,
          sessionExpirySeconds: SESSION_EXPIRY_S,
          reconnectPeriod: 2000,
          // The hub subscribes itself on every connect (below). mqtt.js's own resubscribe skips a
          // session the broker says it kept, and its subscribe() skips filters it already sent once — but
          // Mosquitto 2.0 restores a persistent session WITHOUT its shared subscriptions after a restart
          // (seen here: sessionPresent true, nothing delivered). The hub then went deaf after every broker
          // restart while kiosks kept getting PUBACKs (bench/faults-network.mjs: 381 of 446 lost).
          resubscribe: false,
        },
      ),
    );
    // Store first, acknowledge after: mqtt.js sends the PUBACK only when this callback runs.
    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      void this.storeWithRetry(packet.topic, Buffer.from(packet.payload as Buffer), callback);
    };
    client.on('error', (err) => this.log.error({ err, clientId }, 'hub MQTT error'));
    const share = (filter: string) => (o.shareGroup ? `$share/${o.shareGroup}/${filter}` : filter);
    client.on('connect', () => {
      // States and telemetry are not split: one lane of every hub process tracks the whole fleet.
      const filters: Record<string, { qos: 0 | 1 }> = { [share(HUB_FILTERS.checkin)]: { qos: 1 } };
      if (fleet) {
        filters[HUB_FILTERS.state] = { qos: 1 };
        filters[HUB_FILTERS.telemetry] = { qos: 0 };
      }
      client.subscribe(filters, (err, granted) => {
        const refused = (granted ?? []).filter((g) => g.qos > 2).map((g) => g.topic);
        if (err || refused.length > 0) {
          this.log.error({ err, refused, clientId }, 'hub could not subscribe');
          // At start this is a configuration error (the broker's ACL, the login): say so and stop.
          refuse(
            new Error(
              `the broker refused the hub's subscription (${err?.message ?? refused.join(', ')}): check the hub's MQTT login and the broker's ACL`,
            ),
          );
        } else markSubscribed();
      });
      // A session kept from a run with the other mode (shared ↔ plain) still holds that
      // subscription: every check-in would then come twice, once per filter. Drop it.
      client.unsubscribe(
        o.shareGroup ? HUB_FILTERS.checkin : `$share/hub/${HUB_FILTERS.checkin}`,
        (err?: Error) => {
          if (err) this.log.warn({ err, clientId }, 'hub could not unsubscribe an old filter');
        },
      );
    });
    return { client, subscribed };
  }

  /**
   * Stores a message, retrying until it is stored, then acknowledges it. A broker resends an
   * unacknowledged message only after a reconnect, so giving up (calling back with an error) would
   * leave it missing until the hub restarts — and enough of them fill the broker's in-flight window
   * and stall the lane. Retrying holds this lane back (backpressure) while the database is down.
   * After MAX_ATTEMPTS the message is offered to the dead letters with the reason: if the database
   * takes that write, it works and refuses this one message, which then no longer blocks the lane
   * (its payload is kept there); if not, the database is down and retrying goes on. On stop,
   * nothing is acknowledged: the broker keeps the message.
   */
  private async storeWithRetry(
    topic: string,
    payload: Buffer,
    callback: (err?: Error) => void,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.onMessage(topic, payload);
        callback();
        return;
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS) {
          try {
            await this.store.deadLetter(
              topic,
              `could not be stored: ${(err as Error).message}`,
              payload,
              new Date(),
            );
            this.log.error({ topic, err }, 'message refused by the database; kept as a dead letter');
            this.receiptKept(topic, payload);
            callback();
            return;
          } catch {
            // The dead-letter write failed too: the database is down; keep retrying.
          }
        }
        this.log.error({ err, topic, attempt }, 'could not store a message; not acknowledged, retrying');
        await sleep(Math.min(30_000, (this.options.retryBaseMs ?? 500) * 2 ** Math.min(attempt - 1, 6)));
        if (this.stopped) return;
      }
    }
  }

  /** Keeps a refused message with its reason; of an oversize one only a prefix (its size is in the reason). */
  private async refuse(topic: string, reason: string, payload: Buffer, at: Date): Promise<void> {
    const big = payload.length > MAX_KIOSK_MESSAGE_BYTES;
    await this.store.deadLetter(
      topic.slice(0, 300),
      reason,
      big ? payload.subarray(0, DEAD_LETTER_PREFIX_BYTES) : payload,
      at,
    );
    this.log.warn(
      { topic: topic.slice(0, 300), reason, bytes: payload.length },
      'message refused; kept as dead letter',
    );
    if (!big) this.receiptKept(topic, payload);
  }

  /**
   * A check-in kept whole as a dead letter is in the hub's custody (replayable once its cause is
   * fixed: a hub upgraded to a newer schema, a kiosk registered at its site): receipt it, or its
   * kiosk would send it again every few minutes for ever, each copy one more dead letter, and a
   * thousand of them would fill the kiosk's window. Only a payload that names a check-in id.
   */
  private receiptKept(topic: string, payload: Buffer): void {
    const kept = keptCheckin(topic, payload);
    if (kept) this.receipts.add(kept.site, kept.kiosk, kept.id);
  }

  /**
   * Runs a kept dead letter through the path of a live message (`qrkiosk-hub dead-letters replay`):
   * the same validation, the same store, the same live push. Stored (or already there): ok. Refused
   * again: the reason, and nothing new is written — the caller keeps the dead letter it has.
   */
  async replay(topic: string, payload: Buffer): Promise<{ ok: true } | { ok: false; reason: string }> {
    let refused: string | undefined;
    await this.onMessage(topic, payload, async (reason) => {
      refused = reason;
    });
    return refused === undefined ? { ok: true } : { ok: false, reason: refused };
  }

  /**
   * One message from a kiosk. Cheap checks first, so hostile input costs little: the topic's ids,
   * the size (before any parsing), then the payload's schema, then the kiosk's site binding.
   * `dead`: where a refused message goes (the dead letters; a replay only notes the reason).
   */
  private async onMessage(
    topic: string,
    payload: Buffer,
    dead?: (reason: string) => Promise<void>,
  ): Promise<void> {
    const now = new Date();
    const refuse = (reason: string) => (dead ? dead(reason) : this.refuse(topic, reason, payload, now));
    const where = parseKioskTopic(topic);
    if (!where.ok) return refuse(where.reason);
    if (payload.length > MAX_KIOSK_MESSAGE_BYTES)
      return refuse(`payload of ${payload.length} bytes is over the limit of ${MAX_KIOSK_MESSAGE_BYTES}`);
    if (where.channel === 'state') {
      const state = payload.toString('utf8');
      if (state !== 'online' && state !== 'offline') return refuse('state must be online or offline');
      const bound = await this.registry.check(where.site, where.kiosk, now);
      if (!bound.ok) return refuse(bound.reason);
      await this.store.setKioskState(where.site, where.kiosk, state, now);
      this.emit('kiosk', { site: where.site, kiosk: where.kiosk, state, lastSeen: now.toISOString() });
      return;
    }
    if (where.channel === 'telemetry') {
      const t = parseTelemetry(payload);
      if (!t.ok) return refuse(t.errors.join('; '));
      if (t.value.site !== where.site || t.value.kiosk !== where.kiosk)
        return refuse('site/kiosk in payload differ from topic');
      const bound = await this.registry.check(where.site, where.kiosk, now);
      if (!bound.ok) return refuse(bound.reason);
      await this.store.setKioskTelemetry(t.value, now);
      this.emit('telemetry', t.value);
      return;
    }
    const json = parseKioskJson(payload);
    if (!json.ok) return refuse(json.errors.join('; '));
    // A guard's outcome shares the kiosk's outbox and this topic; stored apart, receipted alike.
    if (schemaOf(json.value) === OUTCOME_SCHEMA_ID) {
      const taken = await ingestOutcome(
        { store: this.store, registry: this.registry },
        where,
        json.value,
        now,
      );
      if (!taken.ok) return refuse(taken.reason);
      this.receipts.add(where.site, where.kiosk, taken.outcome.id);
      if (taken.fresh && taken.outcome.outcome !== 'denied') this.occupancy?.touch(where.site);
      return;
    }
    // A verify-only site's tally: counted, receipted alike, never a register (tallies.ts).
    if (schemaOf(json.value) === TALLY_SCHEMA_ID) {
      const { store, registry, receipts, occupancy } = this;
      const emit = (t: TallyMessage) => this.emit('tally', t);
      const taken = await ingestTally({ store, registry, receipts, occupancy, emit }, where, json.value, now);
      return taken.ok ? undefined : refuse(taken.reason);
    }
    const parsed = validateCheckin(json.value);
    if (!parsed.ok) return refuse(parsed.errors.join('; '));
    const checkin = parsed.value;
    // A kiosk may only speak for itself: the topic and the payload must agree …
    if (checkin.site !== where.site || checkin.kiosk !== where.kiosk)
      return refuse('site/kiosk in payload differ from topic');
    // … and only for the site it is bound to.
    const bound = await this.registry.check(where.site, where.kiosk, now);
    if (!bound.ok) return refuse(bound.reason);
    const fresh = await this.writer.add(checkin, now);
    // Stored now or before: either way the hub has it, and the kiosk may stop sending it.
    this.receipts.add(where.site, where.kiosk, checkin.id);
    if (!fresh) return;
    // REVIEW too: its `admitted` outcome may have come first (a resend), and counts only now.
    if (checkin.verdict !== 'REFUSE') this.occupancy?.touch(checkin.site);
    // Stored: a failing listener (a live page that went away) must not turn into a missing PUBACK.
    try {
      this.emit('checkin', checkin);
    } catch (err) {
      this.log.warn({ err }, 'a live listener failed');
    }
  }

  /** Lanes connected to the broker now, of all lanes (health check, metrics). */
  get lanes(): { connected: number; total: number } {
    return { connected: this.clients.filter((c) => c.connected).length, total: this.clients.length };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.occupancy?.stop();
    await Promise.all(this.clients.map((c) => c.endAsync()));
    this.clients = [];
  }
}
