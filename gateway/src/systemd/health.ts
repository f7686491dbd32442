import type { BusEvents, EventBus } from '../bus.js';
import type { Logger } from '../log.js';

type Life = BusEvents['scanner.life'];

/**
 * Below this, an attempt to find or open the scanner is never called hung: `udevadm info -e` and a libusb
 * enumeration take tens of milliseconds on a Pi; a test's one-second watchdog must not turn a slow spawn
 * on a busy machine into a restart.
 */
export const HUNG_FLOOR_MS = 5000;

/**
 * Is the scan path alive? The event loop is checked by the pings themselves (they are timers: a blocked
 * loop sends none). This adds the input, whose loop (gateway/src/input/) otherwise never ends: an unplug,
 * a port that will not open, a scanner not found are `waiting` and retried for ever — alive. It is dead:
 * - when an attempt crashed (`scanner.life` `dead`: nothing will ever retry), or
 * - when one attempt has stayed `trying` longer than `hungAfterMs` (an enumeration or an open that never
 *   answers: no retry is scheduled behind it, so the kiosk would wait for ever).
 * Dead is final: the remedy is a fresh process, which the watchdog gets from systemd.
 */
export class ScanPathHealth {
  private life: Life['state'] = 'stopped';
  private tryingSince = 0;
  private deadBecause: string | undefined;
  private off: (() => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly hungAfterMs: number,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
    /** Told once, when the input is found dead. */
    private readonly onDead: (reason: string) => void = () => undefined,
  ) {}

  start(): void {
    this.off = this.bus.on('scanner.life', (l) => {
      if (l.state === 'trying' && this.life !== 'trying') this.tryingSince = this.now();
      this.life = l.state;
      if (l.state === 'dead') this.die(`crashed: ${l.error ?? 'unknown error'}`);
    });
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  /** Why the input is dead, or undefined while it lives. Checks a hung attempt first. */
  dead(): string | undefined {
    if (!this.deadBecause && this.life === 'trying' && this.now() - this.tryingSince > this.hungAfterMs)
      this.die(
        `hung: an attempt to find or open the scanner has not answered in ${Math.round(this.hungAfterMs / 1000)} s`,
      );
    return this.deadBecause;
  }

  private die(reason: string): void {
    if (this.deadBecause) return;
    this.deadBecause = reason;
    this.log.error(
      { err: new Error(`scanner input dead (${reason})`) },
      'scanner input is dead: watchdog pings stop so that systemd restarts the kiosk',
    );
    this.onDead(reason);
  }
}
