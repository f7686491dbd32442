import { DATA_KINDS, type TelemetryMessage } from '@qrkiosk/protocol';
import { Gauge, type Registry } from 'prom-client';
import { FAULT_CODES } from '../fault-codes.js';

/**
 * How long one reading of the telemetry serves scrapes. It counts the outbox in journal.db
 * (`count(*)` over undelivered rows, synchronous): with a million rows waiting that blocks the event
 * loop, and so the scan path, for a while. Scrapes come every 15–60 s; several at once (two
 * Prometheus servers, a technician's curl) share one count.
 */
export const READINGS_TTL_MS = 5000;

/**
 * Gauges read when scraped, from the kiosk's telemetry message (the same numbers the hub sees).
 * A value the kiosk does not know (no cache update yet, rules built in, a field this version does
 * not fill) has no sample rather than a made-up 0.
 */
export function readingsGauges(registry: Registry, telemetry: () => TelemetryMessage): void {
  let last: { at: number; t: TelemetryMessage | undefined } | undefined;
  // A reading that fails (the journal closing under a scrape during stop) leaves the gauges without
  // samples; the counters still answer.
  const read = (): TelemetryMessage | undefined => {
    const now = Date.now();
    if (!last || now - last.at >= READINGS_TTL_MS) {
      let t: TelemetryMessage | undefined;
      try {
        t = telemetry();
      } catch {
        t = undefined;
      }
      last = { at: now, t };
    }
    return last.t;
  };
  const gauge = (name: string, help: string, value: (t: TelemetryMessage) => number | null | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const t = read();
        const v = t && value(t);
        if (v === null || v === undefined || !Number.isFinite(v)) this.remove();
        else this.set(v);
      },
    });
  const ageOf = (t: TelemetryMessage, iso: string | null | undefined) =>
    iso ? Math.max(0, (Date.parse(t.at) - Date.parse(iso)) / 1000) : null;

  gauge(
    'qrkiosk_kiosk_outbox_depth',
    'Check-ins in the journal not yet receipted by the hub',
    (t) => t.outboxDepth,
  );
  gauge('qrkiosk_kiosk_outbox_oldest_age_seconds', 'Age of the oldest check-in not yet receipted', (t) =>
    ageOf(t, t.outboxOldestAt),
  );
  gauge(
    'qrkiosk_kiosk_cache_age_seconds',
    'Seconds since the facts cache was last updated by the hub',
    (t) => t.cache.ageSeconds,
  );
  gauge(
    'qrkiosk_kiosk_cache_version',
    'Version of the facts cache in use (0: none applied)',
    (t) => t.cache.version,
  );
  gauge(
    'qrkiosk_kiosk_rules_age_seconds',
    'Seconds since the rules in force were signed',
    (t) => t.rules.ageSeconds,
  );
  gauge(
    'qrkiosk_kiosk_trust_age_seconds',
    'Seconds since the DCC trust list was last installed',
    (t) => t.trust?.ageSeconds,
  );
  gauge('qrkiosk_kiosk_disk_used_ratio', 'Share of the data disk in use, 0–1', (t) =>
    t.disk ? t.disk.usedPercent / 100 : null,
  );
  gauge('qrkiosk_kiosk_clock_synced', '1 while the wall clock is trusted (NTP or last good time)', (t) =>
    t.clockSynced ? 1 : 0,
  );
  new Gauge({
    name: 'qrkiosk_kiosk_fault',
    help: '1 while a fault is in force, by code (every code listed)',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      const t = read();
      if (!t) return this.reset();
      const active = new Set(t.faults ?? []);
      for (const code of FAULT_CODES) this.set({ code }, active.has(code) ? 1 : 0);
    },
  });
  // Issue #19: each kind's age on the monotonic clock and whether it is past the signed limit. A kind not
  // installed (ageSeconds null, never stale) has no sample, as above; one of unknown age (null, stale) is stale.
  const freshness = (
    name: string,
    help: string,
    value: (k: { ageSeconds: number | null; stale: boolean }) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        const f = read()?.freshness;
        for (const kind of DATA_KINDS) {
          const k = f?.[kind];
          const v = k ? value(k) : null;
          if (v !== null) this.set({ kind }, v);
        }
      },
    });
  freshness(
    'qrkiosk_kiosk_data_age_seconds',
    'Seconds since the kiosk last confirmed this kind of data (install or the hub statement), by kind',
    (k) => k.ageSeconds,
  );
  freshness(
    'qrkiosk_kiosk_data_stale',
    '1 while this kind of data is older than the signed rules allow (its admissions are REVIEW), by kind',
    (k) => (k.stale ? 1 : k.ageSeconds === null ? null : 0),
  );
  new Gauge({
    name: 'qrkiosk_kiosk_info',
    help: 'Always 1: which kiosk, at which site, runs which software',
    labelNames: ['kiosk', 'site', 'version'],
    registers: [registry],
    collect() {
      const t = read();
      this.reset();
      if (t) this.set({ kiosk: t.kiosk, site: t.site, version: t.software }, 1);
    },
  });
}
