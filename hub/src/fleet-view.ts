import { DATA_KINDS, type DataKind, type TelemetryMessage } from '@qrkiosk/protocol';
import type { KioskRow, SiteInfo } from './storage/index.js';

/**
 * The fleet's read model for the page (GET /api/fleet, GET /api/kiosks/:kiosk): one flat row per
 * kiosk from its state row and last telemetry, with the site's registered name. Ages are brought up
 * to now (the age the kiosk reported plus the time since the hub last heard it): an offline kiosk's cache keeps
 * getting older on the page instead of freezing at its last message.
 */
export interface FleetRow {
  site: string;
  siteName: string;
  kiosk: string;
  state: string;
  online: boolean;
  lastSeen: string | null;
  software: string | null;
  cacheAgeSeconds: number | null;
  rulesAgeSeconds: number | null;
  trustAgeSeconds: number | null;
  clockSynced: boolean | null;
  scannerConnected: boolean | null;
  outboxDepth: number | null;
  outboxOldestAt: string | null;
  diskUsedPercent: number | null;
  update: TelemetryMessage['update'] | null;
  /** Issue #19: each kind's age and limit as the kiosk reported them, brought up to now; null: an older kiosk. */
  freshness: Freshness | null;
  /** The kinds past their limit (admissions resting on them are REVIEW), in DATA_KINDS order. */
  stale: DataKind[];
  faults: string[];
  /** Active alerts of this kiosk (0 when the hub has no alert engine). */
  alerts: number;
  /** Its enrolment was revoked: kept for its history, shown as `retired`, never as online. */
  retired: boolean;
}

/**
 * The health figures of one telemetry message, ages brought up to `now`. `receivedAt`: when the hub last
 * heard the kiosk (KioskRow.lastSeen, the hub's own clock). The time since is counted from it, never from
 * the telemetry's `at` (the kiosk's wall clock): a kiosk whose clock runs hours behind would look hours
 * older than it is, and a fresh kiosk would be called stale (a critical alert). lastSeen also moves on the
 * kiosk's status messages, so the age may lag by up to one telemetry interval; the kiosk's own report
 * (its `stale`) still says stale as soon as it is. Without `receivedAt` (the history: `now` is `at`) `at`.
 */
export function healthOf(t: TelemetryMessage | null, now: Date, receivedAt?: string | null) {
  const from = receivedAt ? Date.parse(receivedAt) : t ? Date.parse(t.at) : Number.NaN;
  const since = t && Number.isFinite(from) ? Math.max(0, Math.round((now.getTime() - from) / 1000)) : 0;
  const aged = (s: number | null | undefined) => (s === null || s === undefined ? null : s + since);
  return {
    software: t?.software ?? null,
    cacheAgeSeconds: aged(t?.cache.ageSeconds),
    rulesAgeSeconds: aged(t?.rules.ageSeconds),
    trustAgeSeconds: aged(t?.trust?.ageSeconds),
    clockSynced: t?.clockSynced ?? null,
    scannerConnected: t?.scannerConnected ?? null,
    outboxDepth: t?.outboxDepth ?? null,
    outboxOldestAt: t?.outboxOldestAt ?? null,
    diskUsedPercent: t?.disk?.usedPercent ?? null,
    update: t?.update ?? null,
    ...freshnessOf(t, since),
    faults: t?.faults ?? [],
  };
}

type KindAge = { ageSeconds: number | null; maxSeconds: number | null; stale: boolean };
export type Freshness = Partial<Record<DataKind, KindAge>>;

/**
 * The telemetry's freshness block aged by `since` seconds: a kiosk cut off keeps ageing on the page, and turns
 * stale here when its age passes the limit it reported (it cannot say so itself while it cannot reach the hub).
 * Stale as the kiosk reported it stays stale: only a fresh statement or update, reported by the kiosk, clears it.
 */
function freshnessOf(
  t: TelemetryMessage | null,
  since: number,
): { freshness: Freshness | null; stale: DataKind[] } {
  const block = t?.freshness;
  if (!block) return { freshness: null, stale: [] };
  const freshness: Freshness = {};
  for (const kind of DATA_KINDS) {
    const k = block[kind];
    if (!k) continue;
    const ageSeconds = k.ageSeconds === null ? null : k.ageSeconds + since;
    const past = ageSeconds !== null && k.maxSeconds !== null && ageSeconds > k.maxSeconds;
    freshness[kind] = { ageSeconds, maxSeconds: k.maxSeconds, stale: k.stale || past };
  }
  return { freshness, stale: DATA_KINDS.filter((kind) => freshness[kind]?.stale) };
}

/** A stored telemetry JSON, or null when there is none or it does not parse. */
export function parseTelemetry(json: string | null): TelemetryMessage | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as TelemetryMessage;
  } catch {
    return null;
  }
}

export const alertKey = (site: string, kiosk: string) => `${site}/${kiosk}`;

export function fleetRow(
  k: KioskRow,
  directory: ReadonlyMap<string, SiteInfo>,
  alerts: ReadonlyMap<string, number>,
  now: Date,
  retired = false,
): FleetRow {
  return {
    site: k.site,
    siteName: directory.get(k.site)?.name || k.site,
    kiosk: k.kiosk,
    state: retired ? 'retired' : k.state,
    online: !retired && k.state === 'online',
    lastSeen: k.lastSeen ?? null,
    ...healthOf(parseTelemetry(k.telemetry), now, k.lastSeen),
    alerts: alerts.get(alertKey(k.site, k.kiosk)) ?? 0,
    retired,
  };
}
