import {
  CHECKIN_SCHEMA_ID,
  FLEET_UPDATES,
  type FleetKind,
  KeyRing,
  kioskTopics,
  mqttOptions,
  OUTCOME_SCHEMA_ID,
  parseReceipt,
  siteOccupancyTopic,
  TALLY_SCHEMA_ID,
  type TelemetryMessage,
} from '@qrkiosk/protocol';
import { connect, type MqttClient } from 'mqtt';
import type { EventBus } from '../bus.js';
import { type Clock, monotonicNow } from '../clock.js';
import type { CommandHooks } from '../commands/answer.js';
import { RequestGate } from '../commands/gate.js';
import type { Logger } from '../log.js';
import { OutageLog } from '../log-throttle.js';
import type { Outbox } from '../record/keeper.js';
import type { Settings } from '../settings/schema.js';
import { answerRequests, listenForUpdates } from './listeners.js';
import { kioskClientId, kioskLogin, redactUrl } from './login.js';
import type { BrokerPassword } from './password.js';

export interface UplinkOptions {
  mqtt: Settings['mqtt'];
  kiosk: Settings['kiosk'];
  password?: string;
  /** The password and a staged rotation (password.ts); when given, it is used instead of `password`. */
  passwords?: BrokerPassword;
  /** The journal as an outbox (RecordKeeper.outbox(): a corrupt or failing journal never throws here). */
  journal: Outbox;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** Builds the periodic telemetry message. */
  telemetry?: () => TelemetryMessage;
  /** Answers the hub's requests; without hooks the kiosk does not subscribe to requests. */
  commands?: CommandHooks;
  /** The hub keys requests must be signed with (updates.publicKeyFiles); none: every request is refused. */
  hubKeys?: KeyRing;
  /** Signed updates from the hub (`fleet/<kind>` and `<site>/<kiosk>/updates/<kind>`). */
  onUpdate?: (kind: FleetKind, payload: Buffer) => void;
  /** The hub's retained count of people inside this kiosk's site (`qrkiosk/v1/<site>/occupancy`). */
  onOccupancy?: (payload: Buffer) => void;
  /** Reception's pass requests (passes/reception.ts) ride this connection. */
  passes?: { attach(client: MqttClient): void };
}

const BATCH = 200;
/**
 * At most this many check-ins wait for their PUBACK or the hub's receipt at once. MQTT packet ids are 16-bit: with tens of
 * thousands in flight mqtt.js runs out of ids and stalls (measured here: a 100k drain crawled at
 * 333 msg/s). A bounded window also bounds memory.
 */
const MAX_IN_FLIGHT = 1000;
/**
 * A check-in the broker acknowledged but the hub has not receipted after mqtt.receiptTimeoutSeconds
 * is sent again (same id: the hub stores it once). The wait doubles while no receipt comes at all (a
 * hub down for hours must not be flooded with copies), up to this, and is reset by any receipt.
 */
const RECEIPT_TIMEOUT_MAX_MS = 15 * 60_000;

/**
 * Uplink stage: drains the journal (the outbox) to MQTT at QoS 1, in journal order, and marks a
 * row delivered only when the hub's receipt names it (protocol/src/receipt.ts) — a broker's PUBACK
 * is not enough: a broker restart can lose what it acknowledged. Nothing is queued in memory beyond
 * what is in flight: after a restart or reconnect the journal is read again, and a repeat carries the
 * same check-in id, which the hub deduplicates.
 */
export class MqttUplink {
  private client: MqttClient | undefined;
  /** Published, waiting for the broker's PUBACK. */
  private readonly inFlight = new Set<string>();
  /** Acknowledged by the broker, waiting for the hub's receipt: id → when (monotonic ms). */
  private readonly awaiting = new Map<string, number>();
  private receiptTimeoutMs: number;
  private receiptTimer: NodeJS.Timeout | undefined;
  private lastQueuedSeq = 0;
  private draining = false;
  private drainTick: NodeJS.Immediate | undefined;
  private unsubscribe: (() => void) | undefined;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private acked: string[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private ackFlush: NodeJS.Timeout | undefined;
  private readonly topics;
  /** The ACL refusal has been logged since the last connect. */
  private refusalTold = false;
  /** Connection errors: the first in full, repeats summarised (a retry every 2 s must not fill the card). */
  private readonly outage: OutageLog;

  constructor(private readonly o: UplinkOptions) {
    this.topics = kioskTopics(o.kiosk.site, o.kiosk.id);
    this.receiptTimeoutMs = o.mqtt.receiptTimeoutSeconds * 1000;
    const monotonic = o.clock.monotonic?.bind(o.clock) ?? monotonicNow;
    this.outage = new OutageLog({ log: o.log, name: 'uplink', now: () => monotonic().ms });
  }

  start(): void {
    const { mqtt, kiosk } = this.o;
    // The shipped ACL grants a kiosk the topics of the user it logs in as (%u): another name means
    // every publish is refused (MQTT 5) or silently dropped (MQTT 3.1.1).
    if (mqtt.username && mqtt.username !== kiosk.id)
      this.o.log.warn(
        { username: mqtt.username, kiosk: kiosk.id },
        'mqtt.username differs from kiosk.id; the shipped ACL expects them equal',
      );
    // TLS: the broker's CA, and a client certificate where the broker authenticates kiosks by it.
    const password = this.o.passwords ? this.o.passwords.next : this.o.password;
    const options = mqttOptions(kioskLogin(mqtt, kioskClientId(kiosk), password), {
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      // The broker announces us offline if we vanish; the will delay (MQTT 5) rides out short reconnects.
      will: {
        topic: this.topics.state,
        payload: Buffer.from('offline'),
        qos: 1,
        retain: true,
        delaySeconds: 30,
      },
    });
    const client = connect(mqtt.url, options);
    this.client = client;
    this.o.passes?.attach(client);
    client.on('connect', () => {
      try {
        this.o.passwords?.connected();
      } catch (err) {
        // The new password works but could not be renamed into place: it stays staged, tried again next time.
        this.o.log.error({ err }, 'cannot keep the rotated broker password');
      }
      this.outage.recovered({ url: redactUrl(mqtt.url) });
      this.o.bus.emit('uplink.status', { connected: true });
      this.refusalTold = false;
      client.publish(this.topics.state, 'online', { qos: 1, retain: true });
      if (this.o.commands) client.subscribe(this.topics.requests, { qos: 1 });
      if (this.o.onUpdate) client.subscribe([FLEET_UPDATES, this.topics.updates], { qos: 1 });
      if (this.o.onOccupancy) client.subscribe(siteOccupancyTopic(kiosk.site), { qos: 1 });
      client.subscribe(this.topics.receipt, { qos: 1 }, (err, granted) => {
        // Mosquitto 2.0 grants a SUBSCRIBE its ACL refuses (and then delivers nothing); MQTT 5 brokers
        // may say so (reason code ≥ 0x80). Without receipts nothing is ever marked delivered.
        if (err || (granted ?? []).some((g) => g.qos > 2))
          this.o.log.error(
            { err, topic: this.topics.receipt },
            'cannot subscribe to the hub’s receipts: check-ins will be sent again and again; check the broker ACL',
          );
      });
      // Read the journal again from the oldest undelivered row. Rows still in flight stay in flight:
      // mqtt.js replays them itself after a reconnect (their callbacks still fire), so publishing them
      // again here would only send duplicates. Rows the broker took but the hub never receipted are
      // sent again: the broker may have restarted and lost them (our session is clean, so a receipt
      // sent while we were away is lost too; the hub receipts the copy).
      this.awaiting.clear();
      this.lastQueuedSeq = 0;
      this.drain();
    });
    client.on('close', () => {
      this.outage.lost();
      this.o.bus.emit('uplink.status', { connected: false });
    });
    client.on('error', (err) => {
      const refused = /not authori[sz]ed|bad user name or password/i.test(err.message);
      // A rotation is staged: the broker may take the other password (password.ts).
      if (refused && this.o.passwords?.refused()) this.loginChanged();
      this.outage.failure(
        err,
        refused
          ? {
              level: 'error',
              msg: 'uplink: the broker refused our login — check mqtt.username / mqtt.passwordFile',
            }
          : { level: 'warn', msg: 'uplink error' },
      );
      this.o.bus.emit('uplink.status', { connected: false, error: err.message });
    });
    // Not in line: 'checkin.recorded' is emitted inside scan(), between the commit and the light. The
    // drain (a journal query, up to MAX_IN_FLIGHT publishes) runs on the next tick, once per batch.
    this.unsubscribe = this.o.bus.on('checkin.recorded', () => this.drainSoon());
    const occupancyTopic = siteOccupancyTopic(kiosk.site);
    client.on('message', (topic, payload) => {
      if (topic === this.topics.receipt) this.receipted(payload);
      // An empty retained payload is the hub clearing the topic: nothing to count.
      else if (topic === occupancyTopic && payload.length > 0) this.o.onOccupancy?.(payload);
    });
    this.receiptTimer = setInterval(
      () => this.resendUnreceipted(),
      Math.min(5000, this.o.mqtt.receiptTimeoutSeconds * 500),
    );
    this.receiptTimer.unref();
    if (this.o.onUpdate) listenForUpdates(client, this.topics.updates, this.o.onUpdate, this.o.log);
    if (this.o.commands) {
      const where = { site: kiosk.site, kiosk: kiosk.id };
      const gate = new RequestGate(where, this.o.hubKeys ?? new KeyRing(), this.o.clock);
      answerRequests(client, this.topics, gate, this.o.commands, this.o.log);
    }
    if (this.o.telemetry) {
      const build = this.o.telemetry;
      this.telemetryTimer = setInterval(() => this.publishTelemetry(build()), mqtt.telemetrySeconds * 1000);
      client.on('connect', () => this.publishTelemetry(build()));
    }
  }

  /**
   * Receipts are written to the journal in batches (every 20 ms): one transaction, one fsync, instead
   * of one per check-in. A crash before the flush only means those rows are sent again, same ids.
   */
  private acknowledged(id: string): void {
    this.acked.push(id);
    this.ackFlush ??= setTimeout(() => this.flushAcks(), 20);
  }

  private flushAcks(): void {
    if (this.ackFlush) clearTimeout(this.ackFlush);
    this.ackFlush = undefined;
    const ids = this.acked;
    if (ids.length === 0) return;
    this.acked = [];
    try {
      this.o.journal.markDeliveredMany(ids, this.o.clock.now());
    } catch (err) {
      // A full or failing disk: keep the ids and try again; at worst they are sent again, same ids.
      this.o.log.error({ err, count: ids.length }, 'cannot mark check-ins delivered');
      this.acked = ids.concat(this.acked);
      this.ackFlush ??= setTimeout(() => this.flushAcks(), 5000);
      return;
    }
    for (const id of ids) this.o.bus.emit('checkin.delivered', { id });
  }

  /** The hub's receipt: these check-ins are in its database; mark them delivered, send more. */
  private receipted(payload: Buffer): void {
    const ids = parseReceipt(payload);
    if (!ids) {
      this.o.log.warn({ bytes: payload.length }, 'receipt from the hub ignored: not a receipt');
      return;
    }
    for (const id of ids) {
      this.awaiting.delete(id);
      this.acknowledged(id);
    }
    this.receiptTimeoutMs = this.o.mqtt.receiptTimeoutSeconds * 1000;
    this.drain();
  }

  /**
   * Sends again what the broker took long ago but the hub never receipted (mqtt.receiptTimeoutSeconds):
   * only those rows, not the whole window — a slow hub must not get every kiosk's window again.
   */
  private resendUnreceipted(): void {
    const now = performance.now();
    const late: string[] = [];
    for (const [id, sentAt] of this.awaiting) {
      if (now - sentAt < this.receiptTimeoutMs) break; // in send order: the rest are younger
      late.push(id);
    }
    if (late.length === 0) return;
    this.o.log.warn(
      { count: late.length, afterSeconds: Math.round(this.receiptTimeoutMs / 1000) },
      'no receipt from the hub; sending those check-ins again',
    );
    this.receiptTimeoutMs = Math.min(RECEIPT_TIMEOUT_MAX_MS, this.receiptTimeoutMs * 2);
    for (const id of late) this.awaiting.delete(id);
    this.lastQueuedSeq = 0;
    this.drain();
  }

  /** The password to log in with changed (a rotation staged one): used from the next connect on. */
  loginChanged(): void {
    if (this.client && this.o.passwords) this.client.options.password = this.o.passwords.next;
  }

  /** The hub asked to resend: read the journal again from the oldest undelivered row. */
  resync(): number {
    this.awaiting.clear();
    this.lastQueuedSeq = 0;
    this.drain();
    return this.o.journal.pendingCount();
  }

  /** Sends telemetry now, not at the next tick (the clock just synced: the hub can re-time at once). */
  sendTelemetry(): void {
    if (this.o.telemetry) this.publishTelemetry(this.o.telemetry());
  }

  private publishTelemetry(message: TelemetryMessage): void {
    if (this.client?.connected)
      this.client.publish(this.topics.telemetry, JSON.stringify(message), { qos: 0 });
  }

  /** Drains on the next turn of the event loop; calls before then collapse into one. */
  private drainSoon(): void {
    if (this.drainTick) return;
    this.drainTick = setImmediate(() => {
      this.drainTick = undefined;
      this.drain();
    });
  }

  /** Publishes undelivered rows not yet in flight. Re-entrant calls collapse into one. */
  drain(): void {
    const client = this.client;
    if (!client?.connected || this.draining) return;
    this.draining = true;
    try {
      // The window counts what waits for the broker and what waits for the hub's receipt.
      while (this.inFlight.size + this.awaiting.size < MAX_IN_FLIGHT) {
        const rows = this.o.journal.undelivered(
          this.lastQueuedSeq,
          Math.min(BATCH, MAX_IN_FLIGHT - this.inFlight.size - this.awaiting.size),
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          this.lastQueuedSeq = row.seq;
          if (this.inFlight.has(row.id) || this.awaiting.has(row.id)) continue;
          this.inFlight.add(row.id);
          client.publish(this.topics.checkin, row.message, this.publishOptions(row.message), (err) => {
            this.inFlight.delete(row.id);
            if (err) {
              // Left undelivered in the journal: read it again from here, after a pause.
              this.o.log.warn({ id: row.id, err }, 'check-in not acknowledged; will retry');
              // MQTT 5 tells us the ACL refused it (reason 135): the broker binds each kiosk login to
              // the site the hub registered it at. Say so once per connection, with the fix.
              if (/not authori[sz]ed/i.test(err.message) && !this.refusalTold) {
                this.refusalTold = true;
                this.o.log.error(
                  { err, site: this.o.kiosk.site, kiosk: this.o.kiosk.id },
                  'the broker refused our check-ins: is this kiosk registered at this site on the hub ("qrkiosk-hub kiosk register") and the broker ACL regenerated? They stay in the journal',
                );
              }
              this.lastQueuedSeq = Math.min(this.lastQueuedSeq, row.seq - 1);
              this.retryTimer ??= setTimeout(() => {
                this.retryTimer = undefined;
                this.drain();
              }, 5000);
              return;
            }
            // The broker has it; delivered only once the hub's receipt says so (receipted()).
            this.awaiting.set(row.id, performance.now());
          });
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private publishOptions(message: string) {
    // A guard's outcome and a verify-only tally share the outbox and the topic: say which it is.
    const schema =
      [OUTCOME_SCHEMA_ID, TALLY_SCHEMA_ID].find((id) => message.startsWith(`{"schema":"${id}"`)) ??
      CHECKIN_SCHEMA_ID;
    return {
      qos: 1 as const,
      ...(this.o.mqtt.protocolVersion === 5
        ? {
            properties: {
              userProperties: { schema, kiosk: this.o.kiosk.id },
              messageExpiryInterval: this.o.mqtt.messageExpiryHours * 3600,
              contentType: 'application/json',
            },
          }
        : {}),
    };
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.flushAcks();
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.receiptTimer) clearInterval(this.receiptTimer);
    if (this.drainTick) clearImmediate(this.drainTick);
    this.drainTick = undefined;
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    if (client.connected) {
      // Say goodbye, but never wait long for an unresponsive broker: systemd would kill us mid-stop.
      await Promise.race([
        new Promise<void>((resolve) =>
          client.publish(this.topics.state, 'offline', { qos: 1, retain: true }, () => resolve()),
        ),
        new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    }
    await Promise.race([
      client.endAsync(),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    if (!client.disconnected) await client.endAsync(true).catch(() => undefined);
    this.flushAcks();
  }
}
