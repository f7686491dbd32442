/**
 * Which interrupts of the door sensor's line are movements (issue #19, review #6). The line is watched on
 * both edges with no debounce in onoff: onoff's `debounceTimeout` reports only if the line still reads
 * active when its timer ends, so a turnstile pulse shorter than debounceMs was never seen. Here:
 * - an edge within `debounceMs` of the previous edge is bounce: ignored (its level is still noted);
 * - an edge reading active is a movement (the door opened, the turnstile turned);
 * - an edge reading at rest is a movement only if the last level seen was at rest too: the active part
 *   was shorter than the read (a short pulse); after a seen activation it is the door closing again,
 *   which is the same passage, not a second one.
 * So no minimum pulse length: any pulse the kernel latches as an edge counts once.
 */
export class DoorEdges {
  private lastEdgeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly debounceMs: number,
    /** The level read when the line was opened (after polarity: 1 active). */
    private level: 0 | 1,
  ) {}

  /** One interrupt, the level read after it, at `atMs` (a monotonic time): whether it is a movement. */
  edge(level: 0 | 1, atMs: number): boolean {
    const quiet = atMs - this.lastEdgeAt >= this.debounceMs;
    const before = this.level;
    this.lastEdgeAt = atMs;
    this.level = level;
    if (!quiet) return false;
    return level === 1 || before === 0;
  }
}
