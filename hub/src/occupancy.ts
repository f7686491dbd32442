import { OCCUPANCY_SCHEMA_ID, type OccupancyMessage, siteOccupancyTopic, vnDay } from '@qrkiosk/protocol';
import type { Logger } from 'pino';
import type { HubStore } from './store.js';

/**
 * Publishes how many people are inside each site today (issue #13, item 8), retained on
 * `qrkiosk/v1/<site>/occupancy`, for kiosks that hold entries once the site's cap is reached. The
 * count comes from the database, not from this process's stream: behind a shared subscription each
 * hub process sees only part of a site's check-ins, but all of them write to the same store.
 *
 * Counted after what was stored, `delayMs` after the first new row (rows meanwhile share the count).
 * The receipt goes out before the count; a kiosk adds rows receipted in the last seconds to the count
 * it holds (gateway/src/occupancy/), so the gap can only count a person twice, never miss one.
 */
export class OccupancyPublisher {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** What was published per site (`day:inside`): an unchanged count is not sent again. */
  private readonly last = new Map<string, string>();

  constructor(
    private readonly store: HubStore,
    private readonly publish: (topic: string, payload: string) => void,
    private readonly log: Logger,
    private readonly delayMs = 1000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A row that may move someone in or out of `site` was stored. */
  touch(site: string): void {
    this.dirty.add(site);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.running = this.flush();
    }, this.delayMs);
  }

  private async flush(): Promise<void> {
    const sites = [...this.dirty];
    this.dirty.clear();
    const now = this.now();
    const day = vnDay(now);
    for (const site of sites) {
      try {
        const inside = await this.store.occupancy(site, day);
        const key = `${day}:${inside}`;
        if (this.last.get(site) === key) continue;
        const message: OccupancyMessage = {
          schema: OCCUPANCY_SCHEMA_ID,
          site,
          day,
          inside,
          at: now.toISOString(),
        };
        this.publish(siteOccupancyTopic(site), JSON.stringify(message));
        this.last.set(site, key);
      } catch (err) {
        // The database is away: the next stored row counts again; kiosks hold their own count meanwhile.
        this.log.error({ err, site }, 'could not count the people inside a site');
        this.last.delete(site);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
