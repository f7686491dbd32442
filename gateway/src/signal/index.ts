import type { Verdict } from '@qrkiosk/protocol';
import { type GpioDriver, LINES } from './driver.js';
import { eventsOf, PATTERNS, type Pattern, type PatternName } from './patterns.js';

export { type DoorSensorReading, describeDoorSensor, readDoorSensor } from './door-sensor.js';
export {
  allOutputsOff,
  type DoorMove,
  type GpioDriver,
  type GuardButton,
  LINES,
  type Line,
  NoGpio,
  SimGpio,
  type TimelineEntry,
} from './driver.js';
export { chooseGpioDriver, createGpioDriver, type DriverChoice, doorSensorPin } from './drivers/auto.js';
export { DoorEdges } from './drivers/door-edges.js';
export { GpiodDriver, gpiosetVersion } from './drivers/gpiod.js';
export { LedClassDriver } from './drivers/leds.js';
export { pinOffset } from './drivers/lines.js';
export {
  type DoorInput,
  type DoorInputFactory,
  type DoorSensorPin,
  doorInputWith,
  findPiChip,
  type GpioChip,
  type InputFactory,
  type InputLine,
  type LineFactory,
  listSysfsChips,
  type OnoffGpioClass,
  type OnoffLikeGpio,
  type OutputLine,
  PI_GPIO_LABELS,
  SysfsGpioDriver,
} from './drivers/sysfs.js';
export { guardGuideTable, withGuardGuideTables } from './guide.js';
export {
  describePattern,
  eventsOf,
  PATTERNS,
  type Pattern,
  type PatternName,
  patternsWith,
} from './patterns.js';
export { LINE_NAMES, playOnce } from './play-once.js';

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

  /**
   * `withoutRelay`: a repeat never opens the door, whatever a configured pattern says (the schema lets
   * a site put relay intervals on any pattern).
   */
  play(name: PatternName, options: { withoutRelay?: boolean } = {}): boolean {
    this.cancel();
    let opens = false;
    for (const event of eventsOf(this.patterns[name])) {
      if (options.withoutRelay && event.line === 'relay') continue;
      if (event.line === 'relay' && event.value === 1) opens = true;
      if (event.at === 0) this.gpio.write(event.line, event.value);
      else this.timers.push(setTimeout(() => this.gpio.write(event.line, event.value), event.at));
    }
    // Whether this play pulses the door relay: the door watch (door-watch/) waits for movement only then.
    return opens;
  }

  /**
   * A repeat keeps the earlier verdict's pattern: a refused person scanning again is red with three
   * beeps, a REVIEW amber. Only a repeated ALLOW gets the green double blink (and never the relay:
   * the caller plays it `withoutRelay`).
   */
  patternFor(verdict: Verdict, repeat: boolean): PatternName {
    return repeat && verdict === 'ALLOW' ? 'ALREADY' : verdict;
  }

  /** How long a pattern plays (ms): the end of its last interval. */
  durationOf(name: PatternName): number {
    let end = 0;
    for (const intervals of Object.values(this.patterns[name]))
      for (const [, b] of intervals ?? []) end = Math.max(end, b);
    return end;
  }

  /** Stops the running pattern and turns every line off (the relay's safe state is off). */
  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    for (const line of LINES) this.gpio.write(line, 0);
  }
}
