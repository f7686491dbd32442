import { DATA_KINDS, type DataKind, type TelemetryMessage } from '@qrkiosk/protocol';
import { ageMs, type LedgerState, type MonoNow } from './ledger.js';
import type { InstalledData } from './sources.js';

export type FreshnessReport = NonNullable<TelemetryMessage['freshness']>;

const LATER_KINDS: ReadonlySet<DataKind> = new Set(['passes']);

/** Where ages are read from and at which moment. */
export interface AgeReading {
  state: LedgerState;
  installed: InstalledData;
  /** Each kind's limit in ms, null: none (sources.ts limitsOf). */
  limits: Record<DataKind, number | null>;
  mono: MonoNow;
  now: Date;
  synced: boolean;
}

/**
 * Each kind's age against its limit, and the kinds past it. Data not installed has no age (null) and is
 * never stale. Installed data the ledger holds no confirmation of under this marker (the ledger lost or
 * damaged, an upgrade from before it, a file put back by hand) has an unknown age: it counts as stale
 * (ageSeconds null, stale true) until the next confirmation — it fails closed, never open. An online kiosk
 * gets the hub's retained statement at connect.
 */
export function ageReport(r: AgeReading): { report: FreshnessReport; stale: Set<DataKind> } {
  const stale = new Set<DataKind>();
  const report: FreshnessReport = {};
  for (const kind of DATA_KINDS) {
    const c = r.state.kinds[kind];
    const i = r.installed[kind];
    const limit = r.limits[kind];
    let age: number | null = null;
    let unknown = false;
    if (c && (i === undefined || (i !== null && c.marker === i.marker)))
      age = ageMs(c, r.mono, r.now, r.synced);
    else if (i) unknown = true;
    const isStale = limit !== null && (unknown || (age !== null && age > limit));
    if (isStale) stale.add(kind);
    // A kind newer than issue #19 (passes, issue #20) is reported only once there is something to say: a hub
    // from before it refuses a telemetry block naming a kind it does not know, and it never sends a pass list.
    if (LATER_KINDS.has(kind) && age === null && !unknown) continue;
    report[kind] = {
      ageSeconds: age === null ? null : Math.floor(age / 1000),
      maxSeconds: limit === null ? null : Math.floor(limit / 1000),
      stale: isStale,
    };
  }
  return { report, stale };
}
