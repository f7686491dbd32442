import {
  type CheckinMessage,
  type Movement,
  type MovementOutcome,
  type OutcomeMessage,
  parseOccupancy,
  peopleInside,
  vnDay,
} from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import type { OccupancyNow } from '../decide/index.js';
import type { Logger } from '../log.js';
import type { Journal } from '../record/index.js';
import type { RecordKeeper } from '../record/keeper.js';

/**
 * Rows the hub receipted this recently may not be in the count it publishes next: it stores, sends
 * the receipt at once, and counts a moment later (throttled, hub/src/occupancy.ts). They are added to
 * the hub's count meanwhile — counted twice for a few seconds at worst, which holds an entry for
 * review too early, never lets one in too many.
 */
const SETTLE_MS = 5_000;

/** A row the hub has not receipted after this long: the hub is not counting, so its number is stale. */
const HUB_SILENT_MS = 60_000;

/** The state a screen shows beside the count (the cap comes from the policy in force). */
export interface OccupancyState extends OccupancyNow {
  max: number;
}

export interface OccupancyDeps {
  kiosk: { site: string; direction: 'in' | 'out' };
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

const isOutcome = (m: CheckinMessage | OutcomeMessage): m is OutcomeMessage =>
  m.schema === 'qrkiosk.outcome/1';

/**
 * How many people are inside the site (issue #13, item 8), for the occupancy cap: the hub's count over
 * every kiosk of the site while it is in reach — plus this kiosk's rows it has not counted yet — and
 * this kiosk's own count from today's journal while it is not (offline, or the hub silent). The scope
 * goes with the number, so the screen can say which one the door is using.
 */
export class Occupancy {
  private hub: { day: string; inside: number } | undefined;
  private connected = false;
  private offs: Array<() => void> = [];
  private lastShown = '';

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
      bus.on('checkin.recorded', () => this.changed()),
      bus.on('checkin.delivered', () => this.changed()),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** The hub's retained count on `qrkiosk/v1/<site>/occupancy`; anything else is ignored, with a log line. */
  hubMessage(payload: Buffer): void {
    const parsed = parseOccupancy(payload);
    if (!parsed.ok || parsed.value.site !== this.d.kiosk.site) {
      this.d.log.warn(
        { reason: parsed.ok ? 'another site' : parsed.errors.slice(0, 2).join('; ') },
        'occupancy from the hub ignored',
      );
      return;
    }
    this.hub = { day: parsed.value.day, inside: parsed.value.inside };
    this.changed();
  }

  /** The start of today (Vietnam time) on the kiosk's clock, as the journal stores times. */
  private todayStart(now: Date): string {
    return new Date(`${vnDay(now)}T00:00:00+07:00`).toISOString();
  }

  /** People inside by this kiosk's own journal today (id hashes). */
  private local(now: Date): Set<string> {
    const since = this.todayStart(now);
    return this.d.keeper.read(
      () =>
        peopleInside(
          this.d.journal.since(since, 1_000_000).map(asMovement),
          this.d.journal.outcomesSince(since) as MovementOutcome[],
        ),
      new Set<string>(),
    );
  }

  /** Whether this person is inside by this kiosk's record today: their entry is not counted twice. */
  isInside(idHash: string): boolean {
    return this.local(this.d.clock.now()).has(idHash);
  }

  /** The count the door goes by now, and whose it is. */
  now(): OccupancyNow {
    const now = this.d.clock.now();
    const hub = this.hub;
    if (this.connected && hub && hub.day === vnDay(now)) {
      const unsettled = this.d.keeper.read(
        () =>
          this.d.journal.unsettled(this.todayStart(now), new Date(now.getTime() - SETTLE_MS).toISOString()),
        undefined,
      );
      if (unsettled && !this.hubSilent(unsettled, now))
        return { inside: Math.max(0, hub.inside + this.delta(unsettled)), scope: 'site' };
    }
    return { inside: this.local(now).size, scope: 'kiosk' };
  }

  /** What the rows the hub has not counted yet add to its count (each admitted entry +1, each exit −1). */
  private delta(rows: Unsettled): number {
    const entering = this.d.kiosk.direction === 'in' ? 1 : -1;
    let delta = 0;
    for (const { message: r } of rows) {
      if (isOutcome(r)) {
        if (r.outcome === 'admitted') delta += entering;
        else if (r.outcome === 'left') delta -= 1;
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

  /** Tells the screens when the count or its scope changes (only while a cap is in force). */
  private changed(): void {
    const state = this.state();
    const key = JSON.stringify(state ?? null);
    if (key === this.lastShown) return;
    this.lastShown = key;
    this.d.bus.emit('occupancy.changed', state);
  }
}
