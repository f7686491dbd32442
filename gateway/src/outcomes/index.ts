import {
  OUTCOME_SCHEMA_ID,
  type OutcomeBy,
  type OutcomeKind,
  type OutcomeMessage,
  validateOutcome,
  vnDay,
} from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Journal, MonoStamp } from '../record/index.js';
import type { RecordKeeper } from '../record/keeper.js';
import type { GpioDriver, GuardButton } from '../signal/index.js';

/** Why an outcome was not recorded, in both languages (reception shows it; the button only logs it). */
export class OutcomeError extends Error {
  constructor(
    readonly code:
      | 'no-pending-review'
      | 'already-resolved'
      | 'too-old'
      | 'not-today'
      | 'not-inside'
      | 'already-left'
      | 'not-entered',
    readonly reason: { vi: string; en: string },
  ) {
    super(reason.en);
  }
}

export interface OutcomeDeps {
  kiosk: { id: string; site: string };
  /** signal.reviewButtonSeconds and signal.buttonDebounceMs. */
  reviewButtonSeconds: number;
  buttonDebounceMs: number;
  journal: Journal;
  keeper: RecordKeeper;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  synced: () => boolean;
  stamp: () => MonoStamp;
  nextId: (ms: number) => string;
  /**
   * Lights and relay through the door (door/index.ts): ADMIT pulses the relay, DENY never does. The
   * check-in goes with it so the door watch (door-watch/) waits for that person to walk through.
   */
  play: (pattern: 'ADMIT' | 'DENY', checkin: string) => void;
  /** Whether a refusal (or a queue behind one) holds the door now. */
  holding: () => boolean;
}

/** The scan the door shows now, as far as an outcome is concerned. */
interface AtTheDoor {
  checkin: string | undefined;
  verdict: string;
  /** performance.now() when it was shown: a wall clock that steps after NTP must not matter. */
  shownAt: number;
}

/**
 * The guard closes the loop after a REVIEW (issue #13): admitted or denied, by the button at the
 * door or on the reception page. The outcome is its own journal row (the outbox: the uplink sends
 * it and marks it delivered on the hub's receipt, like a check-in) linked to the REVIEW check-in,
 * which is never rewritten. Journal first, then the door: a relay pulse always has a row behind it.
 */
export class Outcomes {
  private offButton: (() => void) | undefined;
  /** The last edge taken (monotonic ms): edges closer than the debounce are one press. */
  private lastPress = Number.NEGATIVE_INFINITY;
  private atTheDoor: AtTheDoor | undefined;

  constructor(private readonly d: OutcomeDeps) {}

  /** `buttonsWired`: gpio.buttons names a line; a driver that cannot read it is said so, once. */
  start(gpio: GpioDriver, buttonsWired = false): void {
    if (buttonsWired && !gpio.onButton)
      this.d.log.warn(
        { driver: gpio.name },
        'gpio.buttons is set but this GPIO driver does not read inputs (use gpio.driver: onoff); outcomes only at reception',
      );
    this.offButton = gpio.onButton?.((button) => this.pressed(button));
  }

  stop(): void {
    this.offButton?.();
  }

  /**
   * What the door shows (its onShow). Only the REVIEW on show now can be admitted at the door: the
   * button must never open the door for an earlier REVIEW while someone refused — or the same person,
   * refused since — stands there. A scan queued behind a refusal means the door is busy: nothing.
   */
  noteShown(shown: {
    outcome: { decision: { verdict: string }; checkin?: { id: string }; tally?: { id: string } };
    queued: boolean;
  }): void {
    this.atTheDoor = shown.queued
      ? undefined
      : {
          // A verify-only site's REVIEW is a tally: the guard resolves it by the tally's id.
          checkin: shown.outcome.checkin?.id ?? shown.outcome.tally?.id,
          verdict: shown.outcome.decision.verdict,
          shownAt: performance.now(),
        };
  }

  /** The REVIEW the door shows now, if an outcome may play at the door for it. */
  private reviewAtTheDoor(): AtTheDoor | undefined {
    const d = this.atTheDoor;
    if (d?.verdict !== 'REVIEW' || !d.checkin || this.d.holding()) return undefined;
    if (performance.now() - d.shownAt > this.d.reviewButtonSeconds * 1000) return undefined;
    return d;
  }

  /**
   * A button edge. Only the newest REVIEW, not yet resolved and at most reviewButtonSeconds old, is
   * resolved: a guard pressing long after must not admit whoever was checked minutes ago. Without
   * one the press does nothing (no light, no relay, no row), and the log says why.
   */
  pressed(button: GuardButton): OutcomeMessage | undefined {
    const now = performance.now();
    if (now - this.lastPress < this.d.buttonDebounceMs) return undefined;
    this.lastPress = now;
    try {
      const current = this.reviewAtTheDoor();
      if (!current)
        throw new OutcomeError('no-pending-review', {
          vi: 'Cửa không đang hiện lượt cần kiểm tra nào',
          en: 'The door is not showing a check-in waiting for review',
        });
      return this.resolve({
        outcome: button === 'admit' ? 'admitted' : 'denied',
        by: 'button',
        checkin: current.checkin,
      });
    } catch (err) {
      if (err instanceof OutcomeError) this.d.log.info({ button, code: err.code }, 'guard button ignored');
      else this.d.log.error({ err, button }, 'could not record the guard’s outcome');
      return undefined;
    }
  }

  /**
   * Reception's exit button (issue #13, item 8): the person of an admitted entry today has left. It
   * frees a place under the occupancy cap and tells tracing when they went out. Recorded like an
   * outcome (journal, outbox, receipt), linked to the entry; no light, no relay — nobody is at the
   * door for it. Throws OutcomeError when the check-in is not an admitted entry of today, or was
   * marked already.
   */
  left(checkinId: string): OutcomeMessage {
    const at = this.d.clock.now();
    const found = this.d.keeper.read(() => this.d.journal.checkinWithOutcomes(checkinId), undefined);
    const admitted =
      found &&
      found.checkin.direction === 'in' &&
      (found.checkin.verdict === 'ALLOW' || found.outcomes.some((o) => o.outcome === 'admitted'));
    if (!found || !admitted)
      throw new OutcomeError('not-inside', {
        vi: 'Lượt này không phải một lượt vào đã được cho vào',
        en: 'This check-in is not an admitted entry',
      });
    if (found.outcomes.some((o) => o.outcome === 'not-entered'))
      throw new OutcomeError('not-entered', {
        vi: 'Người này đã được ghi là không vào',
        en: 'Already marked as did not enter',
      });
    if (found.outcomes.some((o) => o.outcome === 'left'))
      throw new OutcomeError('already-left', {
        vi: 'Người này đã được ghi là đã ra',
        en: 'Already marked as left',
      });
    if (vnDay(new Date(found.checkin.at)) !== vnDay(at))
      throw new OutcomeError('not-today', {
        vi: 'Chỉ ghi được lượt ra của hôm nay',
        en: 'Only today’s entries can be marked as left',
      });
    return this.record(found.checkin.id, 'left', 'reception', at, false);
  }

  /**
   * Records an outcome, and plays it at the door when it is for the REVIEW the door shows now.
   * `checkin`: the REVIEW to resolve (reception: any of today's pending ones; the button: the one at
   * the door).
   * Throws OutcomeError when there is nothing to resolve, or the journal's error: no row, no light.
   */
  resolve(request: { outcome: 'admitted' | 'denied'; by: OutcomeBy; checkin?: string }): OutcomeMessage {
    const at = this.d.clock.now();
    const found = this.d.keeper.read(() => this.d.journal.review(request.checkin), undefined);
    if (!found)
      throw new OutcomeError('no-pending-review', {
        vi: 'Không có lượt cần kiểm tra nào đang chờ',
        en: 'No check-in is waiting for review',
      });
    if (found.resolved)
      throw new OutcomeError('already-resolved', {
        vi: 'Lượt này đã được xử lý',
        en: 'This check-in was already resolved',
      });
    if (request.by === 'reception' && vnDay(new Date(found.checkin.at)) !== vnDay(at))
      throw new OutcomeError('not-today', {
        vi: 'Chỉ xử lý được lượt của hôm nay',
        en: 'Only today’s check-ins can be resolved',
      });
    // The door plays it only for the REVIEW it shows now (the button's always is; reception's may be
    // hours old, with someone else — refused, perhaps — at the door): otherwise it is recorded only.
    const atTheDoor = this.reviewAtTheDoor()?.checkin === found.checkin.id;
    return this.record(found.checkin.id, request.outcome, request.by, at, atTheDoor);
  }

  /**
   * The door sensor saw nobody pass after the relay opened for `checkinId` (door-watch/, issue #19):
   * "không vào", linked to the entry, which is never rewritten. No light, no relay: the person is gone.
   * Throws OutcomeError when it is no admitted entry, or was already marked as not entered or left.
   */
  notEntered(checkinId: string): OutcomeMessage {
    const at = this.d.clock.now();
    const found = this.d.keeper.read(() => this.d.journal.checkinWithOutcomes(checkinId), undefined);
    if (!found)
      throw new OutcomeError('not-inside', {
        vi: 'Không tìm thấy lượt này',
        en: 'No such check-in',
      });
    if (found.outcomes.some((o) => o.outcome === 'not-entered' || o.outcome === 'left'))
      throw new OutcomeError('already-left', {
        vi: 'Lượt này đã được ghi là đã ra hoặc không vào',
        en: 'Already marked as left or did not enter',
      });
    return this.record(found.checkin.id, 'not-entered', 'door-sensor', at, false);
  }

  /** Journal first, then the door (when `atTheDoor`), then the news. */
  private record(
    checkin: string,
    outcome: OutcomeKind,
    by: OutcomeBy,
    at: Date,
    atTheDoor: boolean,
  ): OutcomeMessage {
    const message: OutcomeMessage = {
      schema: OUTCOME_SCHEMA_ID,
      id: this.d.nextId(at.getTime()),
      checkin,
      outcome,
      by,
      at: at.toISOString(),
      clockSynced: this.d.synced(),
      kiosk: this.d.kiosk.id,
      site: this.d.kiosk.site,
    };
    const valid = validateOutcome(message);
    if (!valid.ok) throw new Error(`outcome does not match the protocol schema: ${valid.errors.join('; ')}`);
    const seq = this.d.keeper.append(message, this.d.stamp());
    // Committed: now the door. A denial plays DENY, which has no relay interval at all.
    if (atTheDoor) {
      this.d.play(outcome === 'admitted' ? 'ADMIT' : 'DENY', checkin);
      this.atTheDoor = undefined; // resolved: a second press does nothing
    }
    this.d.log.info({ outcome: message.id, checkin, result: outcome, by, atTheDoor }, 'guard outcome');
    // The uplink drains after this (the row is in the outbox); screens refresh their counts. A failing
    // listener is the bus's to log (bus.ts): it cannot undo the committed row.
    this.d.bus.emit('checkin.recorded', { id: message.id, seq });
    this.d.bus.emit('outcome.recorded', message);
    return message;
  }
}
