import { TELEMETRY_SCHEMA_ID, type TelemetryMessage } from '@qrkiosk/protocol';
import type { FaultCode } from './faults.js';
import type { MonoStamp } from './record/index.js';
import { SOFTWARE_VERSION } from './version.js';

/** What one telemetry message is made of, read at the moment it is sent. */
export interface TelemetryReadings {
  kiosk: { id: string; site: string };
  now: Date;
  /** Monotonic time read with `now`: from a synced one the hub learns when this boot began. */
  stamp: MonoStamp;
  synced: boolean;
  uptimeSeconds: number;
  scannerConnected: boolean;
  outboxDepth: number;
  /** FactsCache.versionInfo(). */
  cache: { version: number; updatedAt: string | null };
  rules: { version: string; source: string };
  faults: FaultCode[];
  /** The software installer's last state (gateway/src/software/state.ts), when it ever ran. */
  update?: { state: string; version?: string; previous?: string; detail?: string };
}

/** The kiosk's telemetry message (protocol/src/telemetry.ts), from readings taken by the controller. */
export function telemetryMessage(r: TelemetryReadings): TelemetryMessage {
  const { cache } = r;
  return {
    schema: TELEMETRY_SCHEMA_ID,
    kiosk: r.kiosk.id,
    site: r.kiosk.site,
    at: r.now.toISOString(),
    software: SOFTWARE_VERSION,
    uptimeSeconds: r.uptimeSeconds,
    clockSynced: r.synced,
    // Wall time and monotonic time read together: from a synced one the hub learns when this boot began.
    boot: { id: r.stamp.boot, uptimeMs: Math.max(0, Math.round(r.stamp.ms)) },
    scannerConnected: r.scannerConnected,
    outboxDepth: r.outboxDepth,
    cache: {
      version: cache.version,
      updatedAt: cache.updatedAt,
      ageSeconds: cache.updatedAt
        ? Math.max(0, Math.round((r.now.getTime() - Date.parse(cache.updatedAt)) / 1000))
        : null,
    },
    rules: r.rules,
    // Only when there are some: a hub that predates the field keeps accepting healthy kiosks.
    ...(r.faults.length > 0 ? { faults: r.faults } : {}),
    ...(r.update ? { update: r.update } : {}),
  };
}
