import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import type { Settings } from '../../settings/schema.js';
import { type GpioDriver, NoGpio, SimGpio } from '../driver.js';
import { GpiodDriver, gpiosetVersion } from './gpiod.js';
import { LedClassDriver } from './leds.js';
import {
  type DoorInputFactory,
  type DoorSensorPin,
  findPiChip,
  type InputFactory,
  type LineFactory,
  SysfsGpioDriver,
} from './sysfs.js';

export interface DriverChoice {
  driver: GpioDriver;
  why: string;
}

/**
 * The driver settings name, or with `auto` the first that fits this machine:
 *  1. LED class, when every line is declared as an LED (dtoverlay=gpio-led): kernel-owned, any Pi;
 *  2. libgpiod's gpioset, when installed with a /dev/gpiochip*: the modern interface (kernel 6.6+, Pi 5);
 *  3. sysfs through onoff, when /sys/class/gpio has a Pi GPIO chip (base found by label);
 *  4. the simulator, when there is no GPIO hardware at all (a PC, CI) — said in the log.
 */
export function chooseGpioDriver(
  gpio: Settings['gpio'],
  options: {
    lines?: LineFactory;
    inputs?: InputFactory;
    doorInputs?: DoorInputFactory;
    gpiosetBin?: string;
  } = {},
): DriverChoice {
  const root = gpio.sysfsRoot;
  const leds = () => new LedClassDriver(gpio.leds, root);
  const gpiod = () => new GpiodDriver(gpio.pins, gpio.chip, options.gpiosetBin);
  const sysfs = () =>
    new SysfsGpioDriver(
      gpio.pins,
      root,
      options.lines,
      gpio.buttons,
      options.inputs,
      doorSensorPin(gpio),
      options.doorInputs,
    );
  switch (gpio.driver) {
    case 'sim':
      return { driver: new SimGpio(), why: 'gpio.driver: sim' };
    case 'none':
      return { driver: new NoGpio(), why: 'gpio.driver: none' };
    case 'leds':
      return { driver: leds(), why: 'gpio.driver: leds' };
    case 'gpiod':
      return { driver: gpiod(), why: 'gpio.driver: gpiod' };
    case 'onoff':
      return { driver: sysfs(), why: 'gpio.driver: onoff' };
    default:
      break;
  }
  const ledFiles = Object.values(gpio.leds).map((label) => join(root, 'class', 'leds', label, 'brightness'));
  if (ledFiles.every((f) => existsSync(f)))
    return { driver: leds(), why: `every line is an LED under ${root}/class/leds` };
  const hasChipDevice = ['/dev/gpiochip0', '/dev/gpiochip4'].some((d) => existsSync(d));
  if (root === '/sys' && hasChipDevice && gpiosetVersion(options.gpiosetBin) !== null)
    return { driver: gpiod(), why: 'gpioset (libgpiod) is installed and /dev/gpiochip* exists' };
  const chip = findPiChip(root);
  if (chip && existsSync(join(root, 'class', 'gpio', 'export')))
    return { driver: sysfs(), why: `sysfs GPIO chip ${chip.label} at base ${chip.base}` };
  return {
    driver: new SimGpio(),
    why: 'no GPIO hardware found (no LED class lines, no libgpiod, no Pi sysfs GPIO chip)',
  };
}

/** gpio.doorSensor when a pin is set (issue #19); undefined: no sensor wired. */
export function doorSensorPin(gpio: Settings['gpio']): DoorSensorPin | undefined {
  const { pin, activeLow, debounceMs } = gpio.doorSensor;
  return pin ? { pin, activeLow, debounceMs } : undefined;
}

export function createGpioDriver(gpio: Settings['gpio'], log: Logger): GpioDriver {
  const { driver, why } = chooseGpioDriver(gpio);
  (driver.name === 'sim' && gpio.driver === 'auto' ? log.warn.bind(log) : log.info.bind(log))(
    { driver: driver.name, why },
    'GPIO driver chosen',
  );
  return driver;
}
