import type { Verdict } from '@qrkiosk/protocol';
import { type GpioDriver, LINES } from './driver.js';
import { eventsOf, PATTERNS, type Pattern, type PatternName } from './patterns.js';

export { type GpioDriver, LINES, type Line, NoGpio, SimGpio, type TimelineEntry } from './driver.js';
export { chooseGpioDriver, createGpioDriver, type DriverChoice } from './drivers/auto.js';
export { GpiodDriver, gpiosetVersion } from './drivers/gpiod.js';
export { LedClassDriver } from './drivers/leds.js';
export { pinOffset } from './drivers/lines.js';
export {
  findPiChip,
  type GpioChip,
  type LineFactory,
  listSysfsChips,
  type OutputLine,
  PI_GPIO_LABELS,
  SysfsGpioDriver,
} from './drivers/sysfs.js';
export {
  describePattern,
  eventsOf,
  PATTERNS,
  type Pattern,
  type PatternName,
  patternsWith,
} from './patterns.js';

/**
 * Signal stage: plays a verdict's pattern without blocking the scan path. A new scan pre-empts
 * the pattern still playing: every line goes off, then the new pattern starts.
 */
export class Signaller {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly gpio: GpioDriver,
    private readonly patterns: Record<PatternName, Pattern> = PATTERNS,
  ) {}

  play(name: PatternName): void {
    this.cancel();
    for (const event of eventsOf(this.patterns[name])) {
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
