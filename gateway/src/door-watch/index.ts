import type { Direction, OutcomeMessage } from '@qrkiosk/protocol';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { OutcomeError } from '../outcomes/index.js';
import type { DoorMove, GpioDriver } from '../signal/index.js';

export interface DoorWatchDeps {
  kiosk: { direction: Direction };
  /** gpio.doorSensor is set: a sensor is wired and must be read. */
  sensorWired: boolean;
  /** signal.doorEnterSeconds. */
  enterSeconds: number;
  /** Outcomes.notEntered: journals the `not-entered` outcome (journal, outbox, receipt). */
  notEntered: (checkin: string) => OutcomeMessage;
  faults: Faults;
  log: Logger;
}

interface Pending {
  checkin: string;
  timer: NodeJS.Timeout;
  /** Its place among the entries armed (1, 2, …): whether it was armed after the last opening. */
  armed: number;
}

/**
 * Did the admitted person go through? (issue #19, after pretix's scanner, which cancels a check-in when
 * the turnstile did not turn.) Each time the relay pulses for an entry (Door's onOpen: an ALLOW, or a
 * REVIEW the guard admitted at the door), the entry waits `enterSeconds` for one debounced movement of
 * the door contact or turnstile sensor; without one it is marked `not-entered` by its own outcome row,
 * linked to it (the check-in is never rewritten). An opening settles the oldest entry waiting: people
 * go through in the order the door opened for them. A door contact counts openings, not people: two
 * people armed before one opening leave the second marked "did not enter" — a turnstile counts each.
 * A closing settles the oldest entry only if it was armed after the last opening (review 3 #4): the door
 * was already open when the relay pulsed for them (the previous person held it), so the only edge they
 * make is its closing. Never an entry armed before that opening: one person through one opening is never two.
 *
 * Timers run on the monotonic clock (setTimeout), so a wall clock step never settles or expires one.
 * Entries still waiting when the kiosk stops are left as they are: not knowing is never "did not enter".
 * Exit kiosks are not watched: "did not go out" is not what the sensor was wired to tell.
 */
export class DoorWatch {
  private readonly pending: Pending[] = [];
  private off: (() => void) | undefined;
  private active = false;
  /** Entries armed so far, and how many had been armed at the last opening. */
  private armedCount = 0;
  private armedAtOpening = 0;

  constructor(private readonly d: DoorWatchDeps) {}

  start(gpio: GpioDriver): void {
    if (!this.d.sensorWired) return;
    if (this.d.kiosk.direction !== 'in') {
      this.d.log.info('gpio.doorSensor is set on an exit kiosk: exits are not watched');
      return;
    }
    if (!gpio.onDoor) {
      // Wired but unread: every entry would silently count. The fault tells the technician and the hub.
      this.d.log.warn(
        { driver: gpio.name },
        'gpio.doorSensor is set but this GPIO driver does not read inputs (use gpio.driver: onoff)',
      );
      this.d.faults.raise('door-sensor');
      return;
    }
    // A read that fails (the line went away) raises the fault; the next movement read clears it.
    this.off = gpio.onDoor(
      (move) => {
        this.d.faults.clear('door-sensor');
        this.moved(move);
      },
      (err) => this.d.faults.raise('door-sensor', err),
    );
    this.active = true;
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    this.active = false;
    for (const p of this.pending.splice(0)) clearTimeout(p.timer);
  }

  /** The relay pulsed for `checkin` (Door's onOpen). */
  opened(checkin: string): void {
    if (!this.active || this.pending.some((p) => p.checkin === checkin)) return;
    const timer = setTimeout(() => this.expire(checkin), this.d.enterSeconds * 1000);
    this.pending.push({ checkin, timer, armed: ++this.armedCount });
  }

  /** Entries waiting for the door to move (the oldest first). */
  waiting(): string[] {
    return this.pending.map((p) => p.checkin);
  }

  /**
   * One debounced opening: the oldest entry waiting went through (none waiting: someone leaving, or the
   * guard). A closing: the oldest went through only if it was armed while the door stood open.
   */
  private moved(move: DoorMove): void {
    const first = this.pending[0];
    if (move === 'opening') this.armedAtOpening = this.armedCount;
    else if (first && first.armed <= this.armedAtOpening) {
      // Armed before the opening that was counted (for someone else): the same passage closing.
      this.d.log.debug(
        { checkin: first.checkin },
        'door closed: not counted for an entry armed before it opened',
      );
      return;
    }
    if (!first) {
      this.d.log.debug({ move }, 'door moved with no entry waiting');
      return;
    }
    this.pending.shift();
    clearTimeout(first.timer);
    this.d.log.debug({ checkin: first.checkin, move }, 'door moved: entered');
  }

  private expire(checkin: string): void {
    const i = this.pending.findIndex((p) => p.checkin === checkin);
    if (i < 0) return;
    this.pending.splice(i, 1);
    try {
      const outcome = this.d.notEntered(checkin);
      this.d.log.info(
        { checkin, outcome: outcome.id, seconds: this.d.enterSeconds },
        'the door did not move: marked as did not enter',
      );
    } catch (err) {
      // Reception marked them as left meanwhile (or the row is gone): nothing to undo, not a failure.
      if (err instanceof OutcomeError)
        this.d.log.info({ checkin, code: err.code }, 'did-not-enter not recorded');
      // A journal that cannot be written: the entry stays counted (the fault screen already says why).
      else this.d.log.error({ err, checkin }, 'could not mark a check-in as did not enter');
    }
  }
}
