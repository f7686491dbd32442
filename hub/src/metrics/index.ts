import type { TallyMessage } from '@qrkiosk/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HubIngest } from '../ingest.js';
import type { HubRepository } from '../storage/repository.js';
import type { HubStore } from '../store.js';
import { timedRepository } from './repository.js';

export { type MetricsAccess, metricsRoute } from './route.js';

/** Database calls, seconds: an SQLite read is ~0.1 ms, a PostgreSQL batch commit a few ms. */
const DB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/**
 * Received − scanned, seconds: a connected kiosk delivers within a second; one back online after a
 * night without network delivers what it kept, hours old.
 */
const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

/**
 * Active alerts per rule, as the alerts engine counts them (`{ 'kiosk-silent': 3, 'disk-full': 0 }`).
 * Each call replaces the last: a rule left out has no series.
 */
export type AlertCounts = Readonly<Record<string, number>>;

/** prom-client's default metrics that promtool's lint refuses (see the constructor). */
const UNLINTED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The hub's Prometheus metrics, on a registry of its own (two hubs in one test process count apart).
 * Counted as it happens: what the database stored (by verdict), duplicates, dead letters, how late
 * check-ins arrive, every database call's time (timed()). Read when scraped: broker lanes, kiosks by
 * state, dead letters kept. Alert states are set by the alerts engine (setAlertStates). No personal
 * data, no site or kiosk labels (500 kiosks × series): per-kiosk detail is the fleet page's job.
 */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly stored: Counter<'verdict'>;
  private readonly duplicates: Counter;
  private readonly tallies: Counter<'verdict'>;
  private readonly lag: Histogram;
  private readonly deadLetters: Counter;
  private readonly telemetry: Counter;
  private readonly db: Histogram<'op'>;
  private readonly dbErrors: Counter<'op'>;
  private readonly alerts: Gauge<'rule'>;
  private readonly freshness: Gauge;
  private parts: { store: HubStore; ingest: HubIngest } | undefined;

  constructor() {
    const registers = [this.registry];
    this.stored = new Counter({
      name: 'qrkiosk_hub_checkins_stored_total',
      help: 'Check-ins the database stored (new ones, not duplicates), by verdict',
      labelNames: ['verdict'],
      registers,
    });
    for (const verdict of ['ALLOW', 'REFUSE', 'REVIEW']) this.stored.inc({ verdict }, 0);
    // Verify-only sites' tallies (issue #19): stored scans too, but no person — kept apart from check-ins.
    this.tallies = new Counter({
      name: 'qrkiosk_hub_tallies_stored_total',
      help: 'Verify-only tallies the database stored (new ones, not duplicates), by verdict',
      labelNames: ['verdict'],
      registers,
    });
    for (const verdict of ['ALLOW', 'REFUSE', 'REVIEW']) this.tallies.inc({ verdict }, 0);
    this.duplicates = new Counter({
      name: 'qrkiosk_hub_checkin_duplicates_total',
      help: 'Check-ins received again that the database already had (a resend: receipted, not stored)',
      registers,
    });
    this.lag = new Histogram({
      name: 'qrkiosk_hub_ingest_lag_seconds',
      help: 'Received at the hub minus scanned at the kiosk (synced or re-timed clocks only)',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.deadLetters = new Counter({
      name: 'qrkiosk_hub_dead_letters_total',
      help: 'Messages refused and kept as dead letters',
      registers,
    });
    this.telemetry = new Counter({
      name: 'qrkiosk_hub_telemetry_received_total',
      help: 'Kiosk telemetry messages taken',
      registers,
    });
    this.db = new Histogram({
      name: 'qrkiosk_hub_db_duration_seconds',
      help: 'Time of each database call, by repository method',
      labelNames: ['op'],
      buckets: DB_BUCKETS,
      registers,
    });
    this.dbErrors = new Counter({
      name: 'qrkiosk_hub_db_errors_total',
      help: 'Database calls that failed, by repository method',
      labelNames: ['op'],
      registers,
    });
    this.alerts = new Gauge({
      name: 'qrkiosk_hub_alerts_active',
      help: 'Alerts raised and not cleared, by rule',
      labelNames: ['rule'],
      registers,
    });
    // Issue #19: when the hub last told the fleet its data is current. `time() - this` past a couple of
    // fleet.freshnessMinutes means connected kiosks age towards their limits; no sample until the first statement.
    this.freshness = new Gauge({
      name: 'qrkiosk_hub_freshness_statement_timestamp_seconds',
      help: 'Unix time of the last signed freshness statement (fleet/fresh) the broker took from this hub process',
      registers,
    });
    this.scrapedGauges();
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` refuses (prometheus/client_js#283,
    // open); each is the sum of nodejs_active_{handles,requests,resources} by type.
    for (const name of UNLINTED_DEFAULTS) this.registry.removeSingleMetric(name);
  }

  /** The repository with every call timed and what it stored counted (metrics/repository.ts). */
  timed(repo: HubRepository): HubRepository {
    return timedRepository(repo, {
      duration: this.db,
      errors: this.dbErrors,
      stored: (rows, fresh) => {
        // A resend can share a batch with its first copy (two lanes): the id counts once.
        const counted = new Set<string>();
        for (const { checkin, receivedAt, atReported } of rows) {
          if (!fresh.has(checkin.id) || counted.has(checkin.id)) {
            this.duplicates.inc();
            continue;
          }
          counted.add(checkin.id);
          this.stored.inc({ verdict: checkin.verdict });
          // An unsynced clock's time means nothing until re-timed (atReported set): no lag from it.
          if (!checkin.clockSynced && atReported === undefined) continue;
          const lag = (receivedAt.getTime() - Date.parse(checkin.at)) / 1000;
          if (Number.isFinite(lag)) this.lag.observe(Math.max(0, lag));
        }
      },
      deadLettered: () => this.deadLetters.inc(),
    });
  }

  /** Follows a running hub's ingest and store; returns the unsubscribe. */
  watch(store: HubStore, ingest: HubIngest): () => void {
    this.parts = { store, ingest };
    const onTelemetry = () => this.telemetry.inc();
    // Emitted once per tally stored (ingestTally emits only a fresh one).
    const onTally = (t: TallyMessage) => this.tallies.inc({ verdict: t.verdict });
    ingest.on('telemetry', onTelemetry);
    ingest.on('tally', onTally);
    return () => {
      ingest.off('telemetry', onTelemetry);
      ingest.off('tally', onTally);
      this.parts = undefined;
    };
  }

  /** Sets the active alerts per rule (replacing the last call's). For the alerts engine. */
  setAlertStates(counts: AlertCounts): void {
    this.alerts.reset();
    for (const [rule, n] of Object.entries(counts)) if (Number.isFinite(n)) this.alerts.set({ rule }, n);
  }

  /** A freshness statement went out (fresh-publisher.ts). */
  freshnessStated(issuedAt: Date): void {
    this.freshness.set(issuedAt.getTime() / 1000);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * Gauges read at scrape time. A database that does not answer leaves its gauges without samples
   * (the scrape still succeeds: the broker gauge and the error counters are what tell why).
   */
  private scrapedGauges(): void {
    const registers = [this.registry];
    const parts = () => this.parts;
    new Gauge({
      name: 'qrkiosk_hub_broker_connected',
      help: '1 while every ingest connection (lane) to the MQTT broker is up',
      registers,
      collect() {
        const lanes = parts()?.ingest.lanes;
        this.set(lanes && lanes.total > 0 && lanes.connected === lanes.total ? 1 : 0);
      },
    });
    new Gauge({
      name: 'qrkiosk_hub_broker_lanes',
      help: 'Ingest connections to the MQTT broker, by state',
      labelNames: ['state'],
      registers,
      collect() {
        const lanes = parts()?.ingest.lanes ?? { connected: 0, total: 0 };
        this.set({ state: 'connected' }, lanes.connected);
        this.set({ state: 'disconnected' }, lanes.total - lanes.connected);
      },
    });
    new Gauge({
      name: 'qrkiosk_hub_kiosks',
      help: 'Kiosks known to the hub, by their last state (online, offline)',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        const kiosks = await parts()
          ?.store.kiosks()
          .catch(() => undefined);
        if (!kiosks) return;
        for (const state of ['online', 'offline']) this.set({ state }, 0);
        for (const k of kiosks) this.inc({ state: k.state });
      },
    });
    new Gauge({
      name: 'qrkiosk_hub_dead_letters',
      help: 'Dead letters kept in the database now',
      registers,
      async collect() {
        const n = await parts()
          ?.store.deadLetterCount()
          .catch(() => undefined);
        if (n === undefined) this.remove();
        else this.set(n);
      },
    });
  }
}
