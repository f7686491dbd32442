import type { SimGpio } from '@qrkiosk/gateway';

export interface DoorWalkerOptions {
  /** Every n-th person the door opens for walks away instead (0: everyone walks through). */
  skipEvery: number;
  /** How long after the relay opens the simulated person pushes the door or turns the turnstile. */
  afterMs: number;
  /** Told for each opening: whether this person walks through. */
  onOpening?: (walks: boolean, opening: number) => void;
}

/**
 * People at a simulated door (issue #19): each time the relay opens, the person walks through
 * `afterMs` later (SimGpio.doorMoved, what the door contact or turnstile sensor reports), except every
 * `skipEvery`-th, who turns away — the kiosk then marks that entry "không vào / did not enter".
 * Deterministic, so a demo or a test sees the same entries marked every run. Returns the unsubscribe.
 */
export function walkThroughDoor(gpio: SimGpio, o: DoorWalkerOptions): () => void {
  let openings = 0;
  const timers = new Set<NodeJS.Timeout>();
  const off = gpio.onChange((entry) => {
    if (entry.line !== 'relay' || entry.value !== 1) return;
    openings++;
    const walks = o.skipEvery === 0 || openings % o.skipEvery !== 0;
    o.onOpening?.(walks, openings);
    if (!walks) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      gpio.doorMoved();
    }, o.afterMs);
    timers.add(timer);
  });
  return () => {
    off();
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
}
