import type { Verdict } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';
import type { Settings } from '../settings/schema.js';
import { type GpioDriver, LINES, NoGpio, SimGpio } from './driver.js';
import { eventsOf, PATTERNS, type PatternName } from './patterns.js';

export { type GpioDriver, LINES, type Line, NoGpio, SimGpio, type TimelineEntry } from './driver.js';
export { eventsOf, PATTERNS, type Pattern, type PatternName } from './patterns.js';

/** Chooses the GPIO driver named in settings. `auto` falls back to the simulator until real drivers land. */
export function createGpioDriver(gpio: Settings['gpio'], log: Logger): GpioDriver {
  switch (gpio.driver) {
    case 'sim':
      return new SimGpio();
    case 'none':
      return new NoGpio();
    case 'auto':
      log.warn(
        { chose: 'sim' },
        'gpio.driver auto: no hardware GPIO driver in this version yet, using the simulator',
      );
      return new SimGpio();
    default:
      throw new Error(
        `gpio.driver "${gpio.driver}" is not available in this version (only sim and none) / ` +
          `trình điều khiển GPIO "${gpio.driver}" chưa có trong phiên bản này (chỉ có sim và none)`,
      );
  }
}

/**
 * Signal stage: plays a verdict's pattern without blocking the scan path. A new scan pre-empts
 * the pattern still playing: every line goes off, then the new pattern starts.
 */
export class Signaller {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly gpio: GpioDriver) {}

  play(name: PatternName): void {
    this.cancel();
    for (const event of eventsOf(PATTERNS[name])) {
      if (event.at === 0) this.gpio.write(event.line, event.value);
      else this.timers.push(setTimeout(() => this.gpio.write(event.line, event.value), event.at));
    }
  }

  patternFor(verdict: Verdict, repeat: boolean): PatternName {
    return repeat ? 'ALREADY' : verdict;
  }

  /** Stops the running pattern and turns every line off (the relay's safe state is off). */
  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    for (const line of LINES) this.gpio.write(line, 0);
  }
}
