import { existsSync, statfsSync, statSync } from 'node:fs';
import { TELEMETRY_SCHEMA_ID, type TelemetryMessage } from '@qrkiosk/protocol';
import { installedTrustList } from './dcc-trust.js';
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
  /** storageReadings(): the fleet page's ages, the outbox's oldest row and the data folder's disk. */
  storage?: StorageReadings;
  /** Each kind's age and limit (freshness/, issue #19). */
  freshness?: TelemetryMessage['freshness'];
}

export interface StorageReadings {
  /** When the rules in force were installed (the signed file's mtime); null for the built-in rules. */
  rulesInstalledAt: string | null;
  /** When the hub's DCC trust list in force was made; null when none is installed. */
  trustCreatedAt: string | null;
  outboxOldestAt: string | null;
  disk: { usedPercent: number; freeBytes: number } | null;
}

const ageOf = (iso: string | null, now: Date): number | null => {
  const t = iso === null ? Number.NaN : Date.parse(iso);
  return Number.isFinite(t) ? Math.max(0, Math.round((now.getTime() - t) / 1000)) : null;
};

/**
 * Reads what telemetry says about storage. Each part on its own: a failing stat leaves that field null
 * (the hub shows "—"), never the whole message unsent. Costs two stats, one statfs and one indexed
 * row per message (every mqtt.telemetrySeconds), nothing on the scan path.
 */
export function storageReadings(d: {
  dataDir: string;
  /** The rules' origin (PolicyInForce.origin): a file, or `built-in`. */
  rulesOrigin: string;
  oldestPending: () => string | null;
}): StorageReadings {
  const safe = <T>(read: () => T, otherwise: T): T => {
    try {
      return read();
    } catch {
      return otherwise;
    }
  };
  return {
    rulesInstalledAt: safe(
      () =>
        d.rulesOrigin !== 'built-in' && existsSync(d.rulesOrigin)
          ? statSync(d.rulesOrigin).mtime.toISOString()
          : null,
      null,
    ),
    trustCreatedAt: safe(() => installedTrustList(d.dataDir).createdAt, null),
    outboxOldestAt: safe(d.oldestPending, null),
    disk: safe(() => {
      // As df counts: used of what the file system has, free as an unprivileged writer (bavail) sees it.
      const fs = statfsSync(d.dataDir);
      const used = fs.blocks - fs.bfree;
      const usable = used + fs.bavail;
      return {
        usedPercent: usable > 0 ? Math.round((used / usable) * 1000) / 10 : 0,
        freeBytes: fs.bavail * fs.bsize,
      };
    }, null),
  };
}

/** The kiosk's telemetry message (protocol/src/telemetry.ts), from readings taken by the controller. */
export function telemetryMessage(r: TelemetryReadings): TelemetryMessage {
  const { cache, storage } = r;
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
      ageSeconds: ageOf(cache.updatedAt, r.now),
    },
    rules: storage ? { ...r.rules, ageSeconds: ageOf(storage.rulesInstalledAt, r.now) } : r.rules,
    ...(storage
      ? {
          trust: { ageSeconds: ageOf(storage.trustCreatedAt, r.now) },
          outboxOldestAt: storage.outboxOldestAt,
          ...(storage.disk ? { disk: storage.disk } : {}),
        }
      : {}),
    // Only when there are some: a hub that predates the field keeps accepting healthy kiosks.
    ...(r.faults.length > 0 ? { faults: r.faults } : {}),
    ...(r.update ? { update: r.update } : {}),
    ...(r.freshness && Object.keys(r.freshness).length > 0 ? { freshness: r.freshness } : {}),
  };
}
