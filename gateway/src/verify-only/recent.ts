import type { Colour, Verdict } from '@qrkiosk/protocol';
import type { RecentCheckin } from '../admission/index.js';
import type { MonoStamp } from '../record/index.js';

interface Seen {
  /** The tally it made: the guard's outcome for a REVIEW is journaled against this id. */
  tally: string;
  verdict: Verdict;
  colour: Colour;
  at: string;
  reason: string;
  stamp: MonoStamp;
}

/**
 * Past this many people within one window the oldest are forgotten: a bound on memory (a busy gate
 * sees a few thousand people an hour), never reached at a real door with a window of minutes.
 */
const MAX_REMEMBERED = 100_000;

/**
 * The duplicate window of a verify-only site, in memory only: keyed hash → the last decision, never
 * written to any file (a verify-only site keeps no register, and a journal of hashes would be one).
 * Same boot and the monotonic clock only: a restart forgets it, so a person scanned again after a
 * restart is decided and counted again (docs say so). The keyed hash cannot be reversed without the
 * deployment key, and it dies with the process.
 */
export class RecentTallies {
  private readonly seen = new Map<string, Seen>();

  /** Notes a recorded tally for this person (moves them to the newest end of the map). */
  note(idHash: string, seen: Seen, windowMs: number): void {
    this.seen.delete(idHash);
    this.seen.set(idHash, seen);
    this.forget(seen.stamp, windowMs);
  }

  /**
   * The person's last tally within the window ending at `stamp`, with the guard's outcome when it
   * was a REVIEW the guard resolved (`outcomeOf` reads the journal by the tally's id: no identity there).
   * A tally the door sensor marked `not-entered` is no entry: the person is decided anew and the door
   * opens again, as the journal's `recent` does for a check-in (record/statements.ts).
   */
  previous(
    idHash: string,
    stamp: MonoStamp,
    windowMs: number,
    outcomeOf: (tallyId: string) => 'admitted' | 'denied' | 'not-entered' | null,
  ): RecentCheckin | undefined {
    const s = this.seen.get(idHash);
    if (!s || !within(s.stamp, stamp, windowMs)) return undefined;
    const outcome = outcomeOf(s.tally);
    if (outcome === 'not-entered') return undefined;
    return { verdict: s.verdict, colour: s.colour, at: s.at, reason: s.reason, outcome };
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops what is out of the window (insertion order is time order) and anything past the bound. */
  private forget(now: MonoStamp, windowMs: number): void {
    for (const [hash, s] of this.seen) {
      if (this.seen.size <= MAX_REMEMBERED && within(s.stamp, now, windowMs)) break;
      this.seen.delete(hash);
    }
  }
}

/** Same boot and no older than the window (a new boot id: a monotonic time that means nothing here). */
const within = (then: MonoStamp, now: MonoStamp, windowMs: number) =>
  then.boot === now.boot && then.ms <= now.ms && now.ms - then.ms <= windowMs;
