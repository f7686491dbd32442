import type { TelemetryMessage } from '@qrkiosk/protocol';
import type { EventBus } from './bus.js';
import type { Clock } from './clock.js';
import type { Faults } from './faults.js';
import type { FactsCache } from './lookup/index.js';
import type { PolicyInForce } from './policy.js';
import type { Journal, MonoStamp } from './record/index.js';
import type { RecordKeeper } from './record/keeper.js';
import type { LoadedSettings } from './settings/index.js';
import { updateTelemetry } from './software/daemon.js';
import type { SoftwareFleet } from './software/index.js';
import { storageReadings, telemetryMessage } from './telemetry.js';

/** The running kiosk's parts the telemetry message reads (the controller passes its parts). */
export interface KioskTelemetryParts {
  loaded: LoadedSettings;
  bus: EventBus;
  clock: Clock;
  stamp: () => MonoStamp;
  clockWatch: { synced(): boolean };
  keeper: RecordKeeper;
  journal: Journal;
  cache: FactsCache;
  policy: PolicyInForce;
  faults: Faults;
  software: SoftwareFleet | undefined;
  /** Data ages (freshness/): the telemetry's `freshness` block. */
  freshness?: { report(): TelemetryMessage['freshness'] };
}

/**
 * Assembles the telemetry message from the running kiosk's readings (telemetry.ts builds it), for
 * the uplink, the metrics and systemd's status line. Keeps the two readings no other part holds:
 * uptime, and whether the scanner is connected (from the bus, once start() subscribed).
 */
export class KioskTelemetry {
  private readonly startedAt = Date.now();
  private scannerConnected = false;

  constructor(private readonly p: KioskTelemetryParts) {}

  /** Follows the scanner's status; returns the unsubscribe. */
  start(): () => void {
    return this.p.bus.on('scanner.status', (s) => {
      this.scannerConnected = s.connected;
    });
  }

  message(): TelemetryMessage {
    const { loaded, keeper, journal } = this.p;
    const policy = this.p.policy.current;
    return telemetryMessage({
      kiosk: loaded.settings.kiosk,
      now: this.p.clock.now(),
      stamp: this.p.stamp(),
      synced: this.p.clockWatch.synced(),
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      scannerConnected: this.scannerConnected,
      outboxDepth: keeper.read(() => journal.pendingCount(), 0),
      cache: this.p.cache.versionInfo(),
      rules: { version: policy.rules.version, source: this.p.policy.origin },
      faults: this.p.faults.list(),
      storage: storageReadings({
        dataDir: loaded.settings.data.dir,
        rulesOrigin: this.p.policy.origin,
        oldestPending: () => keeper.read(() => journal.oldestPendingAt(), null),
      }),
      update: updateTelemetry(loaded.settings.software.root, this.p.software?.lastFailure()),
      freshness: this.p.freshness?.report(),
    });
  }
}
