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
 * The receipt goes out before the count: the count says, per kiosk, the newest row it includes
 * (`through`), and each kiosk adds its own later rows (gateway/src/occupancy/) — nobody is missed or
 * counted twice for the gap.
 */
export class OccupancyPublisher {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** One count at a time: a slow query must not let an older count be published after a newer one. */
  private running: Promise<void> = Promise.resolve();
  /**
   * The last count per site. Sites with people inside are republished every heartbeat, so their
   * kiosks can tell a live hub from a gone one (a site with nobody inside loses nothing by waiting);
   * at a new day every site counted gets the new day's count once.
   */
  private readonly last = new Map<string, number>();
  private lastDay = '';

  constructor(
    private readonly store: HubStore,
    private readonly publish: (topic: string, payload: string) => void,
    private readonly log: Logger,
    private readonly delayMs = 1000,
    private readonly heartbeatMs = 30_000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Republishes every known site's count every heartbeatMs — also after midnight, so kiosks get the
   * new day's count — and never skips an unchanged one: with several hub processes, the retained count
   * is whichever process published last, and each must keep it current.
   */
  start(): void {
    this.heartbeat = setInterval(() => {
      const newDay = vnDay(this.now()) !== this.lastDay;
      for (const [site, inside] of this.last) if (inside > 0 || newDay) this.dirty.add(site);
      if (this.dirty.size > 0) this.schedule(0);
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** A row that may move someone in or out of `site` was stored. */
  touch(site: string): void {
    this.dirty.add(site);
    this.schedule(this.delayMs);
  }

  private schedule(delay: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.flush());
    }, delay);
  }

  private async flush(): Promise<void> {
    const sites = [...this.dirty];
    this.dirty.clear();
    const now = this.now();
    const day = vnDay(now);
    this.lastDay = day;
    for (const site of sites) {
      try {
        const { inside, through } = await this.store.occupancy(site, day);
        const message: OccupancyMessage = {
          schema: OCCUPANCY_SCHEMA_ID,
          site,
          day,
          inside,
          through,
          at: now.toISOString(),
        };
        this.publish(siteOccupancyTopic(site), JSON.stringify(message));
        this.last.set(site, inside);
      } catch (err) {
        // The database is away: counted again at the next heartbeat; kiosks fall back to their own count.
        this.log.error({ err, site }, 'could not count the people inside a site');
        this.last.set(site, Number.POSITIVE_INFINITY);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = undefined;
    await this.running;
  }
}
