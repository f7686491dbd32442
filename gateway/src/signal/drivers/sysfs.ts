import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoorMove, GpioDriver, GuardButton, Line } from '../driver.js';
import { DoorEdges } from './door-edges.js';
import { type PinMap, pinOffset } from './lines.js';

/** Labels of the Raspberry Pi SoC GPIO controllers: Pi 0–3, Pi 4, Pi 5 (RP1). */
export const PI_GPIO_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-bcm2712', 'pinctrl-rp1'];

export interface GpioChip {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** The GPIO chips sysfs shows under <root>/class/gpio. */
export function listSysfsChips(sysRoot: string): GpioChip[] {
  const dir = join(sysRoot, 'class', 'gpio');
  if (!existsSync(dir)) return [];
  const read = (chip: string, file: string) => readFileSync(join(dir, chip, file), 'utf8').trim();
  return readdirSync(dir)
    .filter((d) => d.startsWith('gpiochip'))
    .flatMap((name) => {
      try {
        return [
          {
            name,
            label: read(name, 'label'),
            base: Number(read(name, 'base')),
            ngpio: Number(read(name, 'ngpio')),
          },
        ];
      } catch {
        return [];
      }
    });
}

/**
 * The Pi's header GPIO chip. Since kernel 6.6 its sysfs base is no longer 0 (512 on a Pi 4, 571 on a
 * Pi 5), so "GPIO17" is found as base + 17 by the chip's label, never assumed.
 */
export function findPiChip(sysRoot: string): GpioChip | undefined {
  const chips = listSysfsChips(sysRoot);
  for (const label of PI_GPIO_LABELS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  return undefined;
}

/** One output line as onoff drives it (or a stand-in for tests on fixture trees). */
export interface OutputLine {
  write(value: 0 | 1): void;
  release(): void;
}
export type LineFactory = (sysfsNumber: number) => Promise<OutputLine>;

/** onoff's Gpio on /sys/class/gpio, loaded on first use (optional dependency; needs epoll). */
export const onoffLines: LineFactory = async (n) => {
  const { Gpio } = await import('onoff');
  const gpio = new Gpio(n, 'out');
  return { write: (v) => gpio.writeSync(v), release: () => gpio.unexport() };
};

/** One input line watched for presses (a falling edge: a button to ground on a pulled-up pin). */
export interface InputLine {
  release(): void;
}
export type InputFactory = (sysfsNumber: number, onPress: () => void) => Promise<InputLine>;

/** onoff's interrupt-driven input (epoll on the value file: no polling); bounces are Outcomes' to fold. */
export const onoffInputs: InputFactory = async (n, onPress) => {
  const { Gpio } = await import('onoff');
  const gpio = new Gpio(n, 'in', 'falling');
  gpio.watch((err) => {
    if (!err) onPress();
  });
  return { release: () => gpio.unexport() };
};

/** gpio.doorSensor as kiosk.yaml gives it (the pin, its polarity, its debounce). */
export interface DoorSensorPin {
  pin: string;
  activeLow: boolean;
  debounceMs: number;
}

/** The door sensor's line: its level (after polarity) and the hardware's release. */
export interface DoorInput {
  read(): 0 | 1;
  release(): void;
}
export type DoorInputFactory = (
  sysfsNumber: number,
  options: { activeLow: boolean; debounceMs: number },
  onMove: (move: DoorMove) => void,
  onError: (err: Error) => void,
) => Promise<DoorInput>;

/** What the door input needs of onoff's Gpio class (node_modules/onoff/onoff.d.ts). */
export interface OnoffLikeGpio {
  readSync(): 0 | 1;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unexport(): void;
}
export type OnoffGpioClass = new (
  gpio: number,
  direction: 'in',
  edge: 'both',
  options: { activeLow: boolean },
) => OnoffLikeGpio;

/**
 * The door sensor through onoff 6 (read in node_modules/onoff/onoff.js), given its Gpio class: `activeLow`
 * is written to the line's sysfs `active_low`, so the kernel inverts the value and 1 is "active" whatever
 * the wiring. Both edges, no `debounceTimeout`: which interrupts are movements is DoorEdges' (door-edges.ts).
 * onoff reads the value inside its epoll callback (pollerEventHandler: `gpio.readSync()`), where a throw
 * (EIO: the line went away) is uncaught and ends the daemon. That read is this instance's readSync: it is
 * wrapped so an error goes to `onError` (the door-sensor fault) and returns a value onoff hands to no
 * listener (neither 0 nor 1).
 */
export const doorInputWith =
  (Gpio: OnoffGpioClass, nowMs: () => number = () => performance.now()): DoorInputFactory =>
  async (n, options, onMove, onError) => {
    const gpio = new Gpio(n, 'in', 'both', { activeLow: options.activeLow });
    const read = gpio.readSync.bind(gpio);
    gpio.readSync = () => {
      try {
        return read();
      } catch (err) {
        onError(err as Error);
        return -1 as unknown as 0 | 1;
      }
    };
    const edges = new DoorEdges(options.debounceMs, read());
    gpio.watch((err, value) => {
      try {
        if (err) onError(err);
        else {
          const move = edges.edge(value, nowMs());
          if (move) onMove(move);
        }
      } catch (e) {
        // A listener's throw here is in onoff's epoll callback: uncaught, it would end the daemon.
        onError(e as Error);
      }
    });
    return { read, release: () => gpio.unexport() };
  };

/** The door sensor on the real onoff module. */
export const onoffDoorInput: DoorInputFactory = async (...args) => {
  const { Gpio } = await import('onoff');
  return doorInputWith(Gpio as unknown as OnoffGpioClass)(...args);
};

/** sysfs GPIO through onoff, with numbers computed from the chip's label and base. */
export class SysfsGpioDriver implements GpioDriver {
  readonly name = 'onoff';
  private readonly lines = new Map<Line, OutputLine>();
  /** Line → sysfs number, after open(). */
  readonly numbers = new Map<Line | `button-${GuardButton}` | 'door', number>();
  private door: DoorInput | undefined;
  private readonly doorListeners = new Set<(move: DoorMove) => void>();
  private readonly doorErrorListeners = new Set<(err: Error) => void>();

  private readonly inputs: InputLine[] = [];
  private readonly buttonListeners = new Set<(button: GuardButton) => void>();

  constructor(
    private readonly pins: PinMap,
    private readonly sysRoot = '/sys',
    private readonly factory: LineFactory = onoffLines,
    /** gpio.buttons: the guard's inputs, none by default. */
    private readonly buttons: Partial<Record<GuardButton, string>> = {},
    private readonly inputFactory: InputFactory = onoffInputs,
    /** gpio.doorSensor (issue #19), none by default. */
    private readonly doorSensor: DoorSensorPin | undefined = undefined,
    private readonly doorFactory: DoorInputFactory = onoffDoorInput,
  ) {}

  onDoor(listener: (move: DoorMove) => void, onError?: (err: Error) => void): () => void {
    this.doorListeners.add(listener);
    if (onError) this.doorErrorListeners.add(onError);
    return () => {
      this.doorListeners.delete(listener);
      if (onError) this.doorErrorListeners.delete(onError);
    };
  }

  doorLevel(): 0 | 1 | undefined {
    if (!this.doorSensor) return undefined;
    if (!this.door) throw new Error(`door sensor ${this.doorSensor.pin} is not open`);
    return this.door.read();
  }

  onButton(listener: (button: GuardButton) => void): () => void {
    this.buttonListeners.add(listener);
    return () => this.buttonListeners.delete(listener);
  }

  async open(): Promise<void> {
    const chip = findPiChip(this.sysRoot);
    if (!chip)
      throw new Error(
        `no Raspberry Pi GPIO chip (${PI_GPIO_LABELS.join(', ')}) under ${this.sysRoot}/class/gpio`,
      );
    for (const [line, pin] of Object.entries(this.pins) as Array<[Line, string]>) {
      const offset = pinOffset(pin);
      if (offset >= chip.ngpio)
        throw new Error(`${line}: ${pin} is beyond ${chip.label}'s ${chip.ngpio} lines`);
      const n = chip.base + offset;
      this.numbers.set(line, n);
      const out = await this.factory(n);
      out.write(0);
      this.lines.set(line, out);
    }
    for (const [button, pin] of Object.entries(this.buttons) as Array<[GuardButton, string | undefined]>) {
      if (!pin) continue;
      const offset = pinOffset(pin);
      if (offset >= chip.ngpio)
        throw new Error(`button ${button}: ${pin} is beyond ${chip.label}'s ${chip.ngpio} lines`);
      this.numbers.set(`button-${button}`, chip.base + offset);
      this.inputs.push(
        await this.inputFactory(chip.base + offset, () => {
          for (const listener of this.buttonListeners) listener(button);
        }),
      );
    }
    if (this.doorSensor) {
      const { pin, activeLow, debounceMs } = this.doorSensor;
      const offset = pinOffset(pin);
      if (offset >= chip.ngpio)
        throw new Error(`door sensor: ${pin} is beyond ${chip.label}'s ${chip.ngpio} lines`);
      this.numbers.set('door', chip.base + offset);
      this.door = await this.doorFactory(
        chip.base + offset,
        { activeLow, debounceMs },
        (move) => {
          for (const listener of this.doorListeners) listener(move);
        },
        (err) => {
          for (const listener of this.doorErrorListeners) listener(err);
        },
      );
    }
  }

  write(line: Line, value: 0 | 1): void {
    this.lines.get(line)?.write(value);
  }

  async close(): Promise<void> {
    for (const out of this.lines.values()) {
      out.write(0);
      out.release();
    }
    this.lines.clear();
    for (const input of this.inputs.splice(0)) input.release();
    this.door?.release();
    this.door = undefined;
  }
}
