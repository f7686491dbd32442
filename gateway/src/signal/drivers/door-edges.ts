import type { DoorMove } from '../driver.js';

/**
 * Which interrupts of the door sensor's line are movements (issue #19, review #6). The line is watched on
 * both edges with no debounce in onoff: onoff's `debounceTimeout` reports only if the line still reads
 * active when its timer ends, so a turnstile pulse shorter than debounceMs was never seen. Here:
 * - an edge within `debounceMs` of the previous edge is bounce: ignored (its level is still noted);
 * - an edge reading active is an opening (the door opened, the turnstile turned);
 * - an edge reading at rest after a level at rest is an opening too: the active part was shorter than the
 *   read (a short pulse, a whole passage);
 * - an edge reading at rest after a seen activation is the door closing again. It is reported as a closing,
 *   not a movement: door-watch counts it only for someone armed while the door stood open (review 3 #4).
 * So no minimum pulse length: any pulse the kernel latches as an edge counts once.
 */
export class DoorEdges {
  private lastEdgeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly debounceMs: number,
    /** The level read when the line was opened (after polarity: 1 active). */
    private level: 0 | 1,
  ) {}

  /** One interrupt, the level read after it, at `atMs` (a monotonic time): what it was, null for bounce. */
  edge(level: 0 | 1, atMs: number): DoorMove | null {
    const quiet = atMs - this.lastEdgeAt >= this.debounceMs;
    const before = this.level;
    this.lastEdgeAt = atMs;
    this.level = level;
    if (!quiet) return null;
    return level === 1 || before === 0 ? 'opening' : 'closing';
  }
}
