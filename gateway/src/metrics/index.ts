import { performance } from 'node:perf_hooks';
import type { TelemetryMessage } from '@qrkiosk/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../bus.js';
import { FAULT_CODES, type FaultCode } from '../fault-codes.js';
import { readingsGauges } from './readings.js';

export { type MetricsAccess, metricsAllowed } from './access.js';

/**
 * Frame-to-light buckets, seconds. The path is a decode, a lookup and one fsync'd commit (~318 µs
 * measured, docs/benchmarks.md) on a Pi: most scans fall between 0.5 and 5 ms; a slow SD card's
 * commit shows up in the upper buckets.
 */
const LIGHT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** prom-client's default metrics that promtool's lint refuses (see the constructor). */
const UNLINTED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** What the metrics read when scraped (the controller passes itself). */
export interface KioskMetricsSource {
  bus: EventBus;
  faults: { list(): FaultCode[] };
  /** The telemetry message (outbox depth, ages, faults): read at most every READINGS_TTL_MS. */
  telemetry(): TelemetryMessage;
}

/**
 * The kiosk's Prometheus metrics, on a registry of its own (not prom-client's global one: two kiosks
 * in one test process must not count into each other). Counters follow the bus — they hear a scan
 * inside scan(), so each listener does one counter increment and nothing else; gauges are read from
 * the telemetry message when scraped. No personal data: kinds, verdicts and counts only.
 * start() subscribes and returns the unsubscribe; faults raised before it (opening the journal at
 * start) are counted from the faults in force.
 */
export class KioskMetrics {
  readonly registry = new Registry();
  private readonly scans: Counter<'kind' | 'verdict'>;
  private readonly repeats: Counter;
  private readonly light: Histogram;
  private readonly manual: Counter<'verdict'>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly delivered: Counter;
  private readonly faultsRaised: Counter<'code'>;
  private readonly broker: Gauge;
  private readonly scanner: Gauge;
  /** performance.now() when the scanner input handed over the frame scan() is working on (frames()). */
  private frameAt: number | undefined;

  constructor(private readonly source: KioskMetricsSource) {
    const registers = [this.registry];
    this.scans = new Counter({
      name: 'qrkiosk_kiosk_scans_total',
      help: 'Scans decided, by document kind and verdict (repeats included)',
      labelNames: ['kind', 'verdict'],
      registers,
    });
    this.repeats = new Counter({
      name: 'qrkiosk_kiosk_scan_repeats_total',
      help: 'Scans of a person seen inside the duplicate window (nothing recorded)',
      registers,
    });
    this.light = new Histogram({
      name: 'qrkiosk_kiosk_scan_to_light_seconds',
      help: 'Frame to light: from the scanner input handing over a frame to the door lighting its verdict',
      buckets: LIGHT_BUCKETS,
      registers,
    });
    this.manual = new Counter({
      name: 'qrkiosk_kiosk_manual_checkins_total',
      help: 'Check-ins entered by hand at reception, by verdict',
      labelNames: ['verdict'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'qrkiosk_kiosk_outcomes_total',
      help: "The guard's outcomes after a REVIEW (admitted, denied), reception's left and the door sensor's not-entered",
      labelNames: ['outcome'],
      registers,
    });
    this.delivered = new Counter({
      name: 'qrkiosk_kiosk_checkins_delivered_total',
      help: 'Check-ins the hub receipted',
      registers,
    });
    this.faultsRaised = new Counter({
      name: 'qrkiosk_kiosk_faults_raised_total',
      help: 'Faults raised since the daemon started, by code',
      labelNames: ['code'],
      registers,
    });
    this.broker = new Gauge({
      name: 'qrkiosk_kiosk_broker_connected',
      help: '1 while the MQTT uplink to the hub is connected',
      registers,
    });
    this.scanner = new Gauge({
      name: 'qrkiosk_kiosk_scanner_connected',
      help: '1 while the scanner is connected',
      registers,
    });
    // Every code shown from the start, at 0: a rate or an alert on a code needs its series to exist.
    for (const code of FAULT_CODES) this.faultsRaised.inc({ code }, 0);
    readingsGauges(this.registry, () => this.source.telemetry());
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` refuses (prometheus/client_js#283,
    // open); each is the sum of nodejs_active_{handles,requests,resources} by type.
    for (const name of UNLINTED_DEFAULTS) this.registry.removeSingleMetric(name);
  }

  /**
   * The scanner input's callback, timed: frame-to-light without a line in scan(). scan() is
   * synchronous and the door lights a scan inside it (`scan.shown`, not queued) unless a refusal holds
   * the door; a held scan lights later from a timer, outside this call, and is not measured (its wait
   * is the refusal's hold, a setting, not the path's speed). Two performance.now() calls per scan.
   */
  frames(target: { scan(raw: string): unknown }): (raw: string) => void {
    return (raw) => {
      this.frameAt = performance.now();
      try {
        target.scan(raw);
      } finally {
        this.frameAt = undefined;
      }
    };
  }

  /** Subscribes to the bus; returns the unsubscribe. Faults raised before it are counted once. */
  start(): () => void {
    const { bus } = this.source;
    for (const code of this.source.faults.list()) this.faultsRaised.inc({ code });
    const offs = [
      bus.on('scan.decided', (o) => {
        this.scans.inc({ kind: o.decoded.kind, verdict: o.decision.verdict });
        if (o.decision.repeat) this.repeats.inc();
      }),
      // The door shows a scan as its lights start (door/index.ts); inside frames() that is this frame's.
      bus.on('scan.shown', ({ queued }) => {
        if (queued || this.frameAt === undefined) return;
        this.light.observe((performance.now() - this.frameAt) / 1000);
        this.frameAt = undefined;
      }),
      bus.on('checkin.manual', (c) => this.manual.inc({ verdict: c.verdict })),
      bus.on('outcome.recorded', (o) => this.outcomes.inc({ outcome: o.outcome })),
      bus.on('checkin.delivered', () => this.delivered.inc()),
      bus.on('fault', (e) => {
        if (e.active) this.faultsRaised.inc({ code: e.code });
      }),
      bus.on('uplink.status', (s) => this.broker.set(s.connected ? 1 : 0)),
      bus.on('scanner.status', (s) => this.scanner.set(s.connected ? 1 : 0)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** The text exposition format, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
