import type { TelemetryMessage } from '@qrkiosk/protocol';
import { healthOf, parseTelemetry } from './fleet-view.js';
import type { HubRepository } from './storage/index.js';

/** One snapshot every 5 minutes per kiosk (telemetry comes about every minute)… */
export const SNAPSHOT_EVERY_MS = 5 * 60_000;
/** …and the newest 288 of them: a day of a kiosk's health on its page. */
export const SNAPSHOTS_KEPT = 288;

/**
 * A kiosk's telemetry over time, for its page. Not every message is kept: one per kiosk every
 * SNAPSHOT_EVERY_MS (this process remembers when it last kept one; after a restart the first message
 * is kept), so 500 kiosks cost under 2 writes a second instead of 8, and a kiosk holds SNAPSHOTS_KEPT.
 */
export class TelemetryHistory {
  private readonly lastKept = new Map<string, number>();

  constructor(
    private readonly repo: HubRepository,
    private readonly everyMs = SNAPSHOT_EVERY_MS,
    private readonly keep = SNAPSHOTS_KEPT,
  ) {}

  async record(t: TelemetryMessage, at: Date): Promise<void> {
    const key = `${t.site}/${t.kiosk}`;
    const last = this.lastKept.get(key);
    if (last !== undefined && at.getTime() - last < this.everyMs) return;
    this.lastKept.set(key, at.getTime());
    await this.repo.snapshots.add(t.site, t.kiosk, at.toISOString(), JSON.stringify(t), this.keep);
  }

  /** Newest first: when the hub got it, uptime, and the health figures as of that message. */
  async list(site: string, kiosk: string, limit = this.keep) {
    const rows = await this.repo.snapshots.list(site, kiosk, limit);
    return rows.map((r) => {
      const t = parseTelemetry(r.telemetry);
      return {
        at: r.at,
        uptimeSeconds: t?.uptimeSeconds ?? null,
        ...healthOf(t, t ? new Date(t.at) : new Date(r.at)),
      };
    });
  }
}
