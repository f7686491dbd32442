import type { TelemetryMessage } from '@qrkiosk/protocol';
import type { KioskRow, SiteInfo } from './storage/index.js';

/**
 * The fleet's read model for the page (GET /api/fleet, GET /api/kiosks/:kiosk): one flat row per
 * kiosk from its state row and last telemetry, with the site's registered name. Ages are brought up
 * to now (the age the kiosk reported plus the time since it reported): an offline kiosk's cache keeps
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
  faults: string[];
  /** Active alerts of this kiosk (0 when the hub has no alert engine). */
  alerts: number;
  /** Its enrolment was revoked: kept for its history, shown as `retired`, never as online. */
  retired: boolean;
}

/** The health figures of one telemetry message, ages brought up to `now`. */
export function healthOf(t: TelemetryMessage | null, now: Date) {
  const since = t ? Math.max(0, Math.round((now.getTime() - Date.parse(t.at)) / 1000)) : 0;
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
    faults: t?.faults ?? [],
  };
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
    ...healthOf(parseTelemetry(k.telemetry), now),
    alerts: alerts.get(alertKey(k.site, k.kiosk)) ?? 0,
    retired,
  };
}
