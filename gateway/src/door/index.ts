import type { Logger } from '../log.js';
import type { ScanOutcome } from '../scan-outcome.js';
import type { PatternName, Signaller } from '../signal/index.js';

/** What the door shows, as it shows it: screens follow this, so they never run ahead of the lights. */
export interface DoorShown {
  outcome: ScanOutcome;
  /**
   * true: decided and journaled while a refusal holds the door; its lights come when the hold ends.
   * The screen puts it beside the refusal, it does not replace it.
   */
  queued: boolean;
  /** Set on the outcome played right after a refusal's hold: when that refusal was (screens mark it). */
  afterRefusal?: Date;
}

/**
 * `refusals`: how many refusal holds this scan has waited behind (see start()). A pattern may be played
 * for a check-in (the guard's ADMIT after a REVIEW): the door watch is told when its relay pulses.
 */
type Waiting = { outcome: ScanOutcome; refusals?: number } | { pattern: PatternName; checkin?: string };

/**
 * The door's lights, sound and relay, played in an order a guard can trust:
 * - a repeat keeps the earlier verdict's pattern (Signaller.patternFor) and never pulses the relay;
 * - a refusal holds the door for at least `refuseHoldMs` and at least its whole pattern (three beeps):
 *   whatever comes meanwhile — a second code 300 ms later, the scanner unplugged — waits in order and
 *   plays when the hold ends, so a refused visitor cannot cut their own refusal short, and no later
 *   green starts while the red is on; nothing waiting is dropped;
 * - while several wait, each plays its whole pattern before the next (no green pre-empted unseen),
 *   except that a new refusal cuts the pattern being drained and goes first (no green stays lit
 *   once the newest decision is red); what still waits plays after it;
 * Outside a hold a new scan pre-empts the pattern playing, as before: a refusal shows at once.
 * The light for a queued scan comes later than its journal commit, never earlier.
 */
export class Door {
  /** What holds the door: a refusal (nothing cuts it), or a queue being drained (a refusal may). */
  private held: 'refusal' | 'drain' | false = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting: Waiting[] = [];
  /** The refusal whose hold is on, for the marker on the outcome shown after it. */
  private refusedAt: Date | undefined;
  /** When the pattern last started ends (ms since epoch): an alarm waits for it. */
  private playingUntil = 0;
  private alarmTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly signaller: Signaller,
    private readonly refuseHoldMs: number,
    private readonly onShow: (shown: DoorShown) => void,
    private readonly log: Logger,
    /** The relay pulsed for this check-in (door-watch/: did anyone go through?). */
    private readonly onOpen: (checkin: string) => void = () => {},
  ) {}

  /** A decided (and, where it should be, journaled) scan. */
  scan(outcome: ScanOutcome): void {
    // A refusal decided while queued scans drain goes first: a waiting green must not light while
    // the newest decision is red. What waits still plays after it, in order.
    if (this.held === 'drain' && outcome.decision.verdict === 'REFUSE') {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.held = false;
    }
    if (this.held) {
      this.waiting.push({ outcome, refusals: this.held === 'refusal' ? 1 : 0 });
      this.show({ outcome, queued: true });
      return;
    }
    this.start({ outcome });
  }

  /** A pattern that is not a verdict (scanner lost, remote selftest): it waits for a hold too. */
  play(pattern: PatternName, checkin?: string): void {
    const next = checkin ? { pattern, checkin } : { pattern };
    if (this.held) this.waiting.push(next);
    else this.start(next);
  }

  /**
   * A fault's sound (FAULT): played after the pattern now playing ends, and behind a hold, so it never
   * cuts a verdict's lights short or the relay an admitted person is walking through. A scan that
   * starts meanwhile pushes it back again.
   */
  alarm(pattern: PatternName): void {
    if (this.alarmTimer) clearTimeout(this.alarmTimer);
    this.alarmTimer = undefined;
    const rest = this.playingUntil - Date.now();
    if (!this.held && rest > 0) this.alarmTimer = setTimeout(() => this.alarm(pattern), rest);
    else this.play(pattern);
  }

  /** True while a refusal (or a queue being drained) holds the door. */
  get holding(): boolean {
    return this.held !== false;
  }

  /** Stops everything: pending timer, waiting outcomes, every line off. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.alarmTimer) clearTimeout(this.alarmTimer);
    this.alarmTimer = undefined;
    this.timer = undefined;
    this.held = false;
    this.waiting.length = 0;
    this.signaller.cancel();
  }

  private start(next: Waiting, afterRefusal?: Date): void {
    let pattern: PatternName;
    let holdMs = 0;
    let kind: 'refusal' | 'drain' = 'drain';
    if ('outcome' in next) {
      const { verdict, repeat } = next.outcome.decision;
      pattern = this.signaller.patternFor(verdict, repeat);
      // A scan kept waiting behind a second refusal (a refused person scanning again and again) plays
      // without the relay: the admitted visitor may be gone by then and the refused one at the door.
      // The guard lets them in by hand. Behind one refusal (≤ its hold) the door opens as decided.
      const stale = ('refusals' in next ? (next.refusals ?? 0) : 0) >= 2;
      const opened = this.signaller.play(pattern, { withoutRelay: repeat || stale });
      // A verify-only site journals a tally instead: its id is what a not-entered outcome links to.
      const checkin = next.outcome.checkin?.id ?? next.outcome.tally?.id;
      // Only an ALLOW is an entry to watch: a site whose REVIEW pattern also pulses the relay (an override)
      // has admitted nobody yet, and marking it not-entered would subtract an entry never counted.
      if (opened && checkin && verdict === 'ALLOW') this.opened(checkin);
      if (verdict === 'REFUSE') {
        for (const w of this.waiting) if ('outcome' in w) w.refusals = (w.refusals ?? 0) + 1;
        holdMs = Math.max(this.refuseHoldMs, this.signaller.durationOf(pattern));
        kind = 'refusal';
        this.refusedAt = next.outcome.at;
      }
      this.show({ outcome: next.outcome, queued: false, ...(afterRefusal ? { afterRefusal } : {}) });
    } else {
      pattern = next.pattern;
      // The guard's ADMIT is the one other entry; a DENY or anything else opening the relay is none.
      if (this.signaller.play(pattern) && next.checkin && pattern === 'ADMIT') this.opened(next.checkin);
    }
    this.playingUntil = Date.now() + this.signaller.durationOf(pattern);
    // Draining a queue: let this pattern finish before the next one starts.
    if (holdMs === 0 && this.waiting.length > 0) holdMs = this.signaller.durationOf(pattern);
    if (holdMs > 0) this.hold(kind, holdMs);
  }

  private hold(kind: 'refusal' | 'drain', ms: number): void {
    this.held = kind;
    this.timer = setTimeout(() => this.release(), ms);
  }

  private release(): void {
    this.timer = undefined;
    this.held = false;
    const refusedAt = this.refusedAt;
    this.refusedAt = undefined;
    const next = this.waiting.shift();
    if (next) this.start(next, refusedAt);
  }

  /** The door watch is news too: a failure there never stops the lights. */
  private opened(checkin: string): void {
    try {
      this.onOpen(checkin);
    } catch (err) {
      this.log.error({ err, checkin }, 'the door watch failed to note an opening');
    }
  }

  /** Screens are news: a failing listener is logged, it never stops the lights (this runs in timers). */
  private show(shown: DoorShown): void {
    try {
      this.onShow(shown);
    } catch (err) {
      this.log.error({ err }, 'showing a scan on the screens failed');
    }
  }
}
