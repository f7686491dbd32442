import type { Direction } from '@qrkiosk/protocol';
import {
  type CheckinMessage,
  type Movement,
  type MovementOutcome,
  type OutcomeMessage,
  parseOccupancy,
  peopleInside,
  type TallyMessage,
  tallyMovements,
  vnDay,
  vnDayStartOf,
} from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import type { OccupancyNow, OccupancyState } from '../decide/occupancy-gate.js';
import type { Logger } from '../log.js';
import type { Journal } from '../record/index.js';
import type { RecordKeeper } from '../record/keeper.js';

/** A row the hub has not receipted after this long: the hub is not counting, so its number is stale. */
const HUB_SILENT_MS = 60_000;

/**
 * The hub publishes every site's count at least every 30 s (OccupancyPublisher's heartbeat): a count
 * older than this on the kiosk means the hub is gone, even if this kiosk has sent nothing lately.
 */
const HUB_STALE_MS = 90_000;

/** The state a screen shows beside the count (the cap comes from the policy in force). */
export type { OccupancyState } from '../decide/occupancy-gate.js';

export interface OccupancyDeps {
  kiosk: { id: string; site: string; direction: Direction };
  journal: Journal;
  keeper: RecordKeeper;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** The cap at the level in force (Policy.maxInside); undefined: no cap, nothing to count. */
  cap: () => number | undefined;
}

const asMovement = (c: CheckinMessage): Movement => ({
  id: c.id,
  at: c.at,
  direction: c.direction,
  verdict: c.verdict,
  idHash: c.document.idHash,
});

type Unsettled = ReturnType<Journal['unsettled']>;

const isOutcome = (m: CheckinMessage | OutcomeMessage | TallyMessage): m is OutcomeMessage =>
  m.schema === 'qrkiosk.outcome/1';

/**
 * How many people are inside the site (issue #13, item 8), for the occupancy cap: the hub's count over
 * every kiosk of the site while it is in reach — plus this kiosk's rows after the newest it counted
 * (`through`: the hub receipts a row before it counts it) — and
 * this kiosk's own count from today's journal while it is not (offline, or the hub silent). The scope
 * goes with the number, so the screen can say which one the door is using.
 */
export class Occupancy {
  private hub: { day: string; inside: number; through: string; at: number; receivedAt: number } | undefined;
  private connected = false;
  private offs: Array<() => void> = [];
  private lastShown = '';
  private changePending = false;
  /** This kiosk's own count of today, kept until the journal takes a new row (or the day changes). */
  private localCache: { day: string; inside: Set<string> } | undefined;

  constructor(private readonly d: OccupancyDeps) {}

  start(): void {
    const { bus } = this.d;
    this.offs.push(
      bus.on('uplink.status', (s) => {
        this.connected = s.connected;
        // A count from before the link dropped is stale: the broker sends the retained one again.
        if (!s.connected) this.hub = undefined;
        this.changed();
      }),
      bus.on('checkin.recorded', () => {
        this.localCache = undefined;
        this.changed();
      }),
      bus.on('checkin.delivered', () => this.changed()),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /**
   * The hub's retained count on `qrkiosk/v1/<site>/occupancy`; anything else is ignored, with a log
   * line. Only a count at least as new as the one held replaces it (hub processes may publish out of
   * order); an empty payload is the hub clearing the topic.
   */
  hubMessage(payload: Buffer): void {
    if (payload.length === 0) {
      this.hub = undefined;
      this.changed();
      return;
    }
    const parsed = parseOccupancy(payload);
    if (!parsed.ok || parsed.value.site !== this.d.kiosk.site) {
      this.d.log.warn(
        { reason: parsed.ok ? 'another site' : parsed.errors.slice(0, 2).join('; ') },
        'occupancy from the hub ignored',
      );
      return;
    }
    const at = Date.parse(parsed.value.at);
    if (this.hub && at < this.hub.at) return;
    const { day, inside, through } = parsed.value;
    this.hub = { day, inside, through: through[this.d.kiosk.id] ?? '', at, receivedAt: performance.now() };
    this.changed();
  }

  /** The start of today (Vietnam time) on the kiosk's clock, as the journal stores times. */
  private todayStart(now: Date): string {
    return vnDayStartOf(now).toISOString();
  }

  /** People inside by this kiosk's own journal today (id hashes); undefined when it cannot be read. */
  private local(now: Date): Set<string> | undefined {
    const day = vnDay(now);
    if (this.localCache?.day === day) return this.localCache.inside;
    const since = this.todayStart(now);
    const inside = this.d.keeper.read(() => {
      const outcomes = this.d.journal.outcomesSince(since) as MovementOutcome[];
      // A verify-only site's tallies count as people of their own (protocol's tallyMovements).
      return peopleInside(
        [
          ...this.d.journal.since(since, 1_000_000).map(asMovement),
          ...tallyMovements(this.d.journal.talliesSince(since), outcomes),
        ],
        outcomes,
      );
    }, undefined);
    if (inside) this.localCache = { day, inside };
    return inside;
  }

  /**
   * The count the door goes by now, and whose it is. A journal that cannot be read gives no count
   * (`unknown`): the gate then holds every entry for review rather than count nobody.
   */
  now(): OccupancyNow {
    const now = this.d.clock.now();
    const hub = this.hub;
    if (
      this.connected &&
      hub &&
      hub.day === vnDay(now) &&
      performance.now() - hub.receivedAt <= HUB_STALE_MS
    ) {
      const unsettled = this.d.keeper.read(
        () => this.d.journal.unsettled(this.todayStart(now), hub.through),
        undefined,
      );
      if (unsettled && !this.hubSilent(unsettled, now))
        return { inside: Math.max(0, hub.inside + this.delta(unsettled, hub.through)), scope: 'site' };
    }
    const local = this.local(now);
    return local ? { inside: local.size, scope: 'kiosk' } : { inside: 0, scope: 'kiosk', unknown: true };
  }

  /**
   * What this kiosk's rows after the hub's `through` add to its count (each admitted entry +1, each
   * exit and each entry marked `not-entered` −1). Rows up to `through` are in the hub's count already, receipted or not.
   */
  private delta(rows: Unsettled, through: string): number {
    const entering = this.d.kiosk.direction === 'in' ? 1 : -1;
    let delta = 0;
    for (const { message: r } of rows) {
      if (r.id <= through) continue;
      if (isOutcome(r)) {
        if (r.outcome === 'admitted') delta += entering;
        // The door did not move (door-watch/): the entry it follows did not bring anyone in.
        else if (r.outcome === 'left' || r.outcome === 'not-entered') delta -= 1;
      } else if (r.verdict === 'ALLOW') delta += r.direction === 'in' ? 1 : -1;
    }
    return delta;
  }

  /**
   * A row left unreceipted for HUB_SILENT_MS means the hub is not storing (down, or its database is):
   * its count misses what the other kiosks let in since, so the door falls back to its own count.
   */
  private hubSilent(rows: Unsettled, now: Date): boolean {
    return rows.some((r) => !r.delivered && now.getTime() - Date.parse(r.message.at) > HUB_SILENT_MS);
  }

  /** The count with its cap for screens; undefined when no cap is in force. */
  state(): OccupancyState | undefined {
    const max = this.d.cap();
    return max === undefined ? undefined : { ...this.now(), max };
  }

  /**
   * Tells the screens when the count or its scope changes (only while a cap is in force), once per
   * turn of the event loop: a batch of receipts is one recount, not one per row, and never inside a scan.
   */
  private changed(): void {
    if (this.changePending) return;
    this.changePending = true;
    setImmediate(() => {
      this.changePending = false;
      const state = this.state();
      const key = JSON.stringify(state ?? null);
      if (key === this.lastShown) return;
      this.lastShown = key;
      this.d.bus.emit('occupancy.changed', state);
    });
  }
}
