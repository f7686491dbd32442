/**
 * GPIO drivers against fixture sysfs trees (this machine has no GPIO): the chip layouts of a Pi 3 and
 * Pi 4 on older kernels (base 0) and on kernel 6.6+ (512), and a Pi 5 (RP1, base 571). The onoff
 * path is exercised up to onoff itself: chip discovery and numbering are real, the line writes go
 * through a stand-in that performs the sysfs protocol (export, direction, value) on the temp tree.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { settingsFromText } from '../src/settings/index.js';
import { GpioSection } from '../src/settings/schema.js';
import {
  chooseGpioDriver,
  DoorEdges,
  describeDoorSensor,
  doorInputWith,
  doorSensorPin,
  GpiodDriver,
  type GuardButton,
  type InputFactory,
  LedClassDriver,
  type LineFactory,
  NoGpio,
  type OnoffGpioClass,
  readDoorSensor,
  SysfsGpioDriver,
} from '../src/signal/index.js';

const MINIMAL_YAML = 'kiosk: { id: k-001, site: s-001 }\ndata: { dir: /tmp/x }';
const PINS = { green: 'GPIO17', red: 'GPIO27', amber: 'GPIO22', buzzer: 'GPIO23', relay: 'GPIO24' };

function sysfsTree(chips: Array<{ label: string; base: number; ngpio: number }>): string {
  const root = makeTempDir('sysfs-');
  const gpio = join(root, 'class', 'gpio');
  mkdirSync(gpio, { recursive: true });
  writeFileSync(join(gpio, 'export'), '');
  writeFileSync(join(gpio, 'unexport'), '');
  for (const c of chips) {
    const dir = join(gpio, `gpiochip${c.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'label'), `${c.label}\n`);
    writeFileSync(join(dir, 'base'), `${c.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}

/** What the kernel does on export/direction/value, performed on the temp tree. */
const fixtureLines =
  (root: string): LineFactory =>
  async (n) => {
    const gpio = join(root, 'class', 'gpio');
    writeFileSync(join(gpio, 'export'), String(n));
    mkdirSync(join(gpio, `gpio${n}`), { recursive: true });
    writeFileSync(join(gpio, `gpio${n}`, 'direction'), 'out');
    return {
      write: (v) => writeFileSync(join(gpio, `gpio${n}`, 'value'), String(v)),
      release: () => writeFileSync(join(gpio, 'unexport'), String(n)),
    };
  };

/**
 * A STAND-IN for onoff 6's Gpio class (this machine has no GPIO interrupts), written here: its constructor
 * does what onoff's does to the sysfs tree (export, active_low, direction, edge: node_modules/onoff/onoff.js
 * exportGpio/configureGpio) on the fixture, readSync reads the value file, and interrupt() is onoff's
 * pollerEventHandler line for line: `const value = gpio.readSync()`, then the listeners if the edge is enabled.
 */
interface StandInOnoffGpio {
  options: { activeLow: boolean };
  interrupt(err?: Error): void;
}
function standInOnoff(gpio: string, opened: StandInOnoffGpio[]): OnoffGpioClass {
  return class {
    private readonly listeners: Array<(err: Error | null | undefined, value: 0 | 1) => void> = [];
    private readonly path: string;
    private readonly rising: boolean;
    private readonly falling: boolean;
    constructor(
      private readonly n: number,
      direction: 'in',
      edge: 'both' | 'rising' | 'falling',
      readonly options: { activeLow: boolean },
    ) {
      writeFileSync(join(gpio, 'export'), String(n));
      this.path = join(gpio, `gpio${n}`);
      mkdirSync(this.path, { recursive: true });
      writeFileSync(join(this.path, 'active_low'), options.activeLow ? '1' : '0');
      writeFileSync(join(this.path, 'direction'), direction);
      writeFileSync(join(this.path, 'edge'), edge);
      if (!existsSync(join(this.path, 'value'))) writeFileSync(join(this.path, 'value'), '0');
      this.rising = edge !== 'falling';
      this.falling = edge !== 'rising';
      opened.push(this);
    }
    readSync(): 0 | 1 {
      return readFileSync(join(this.path, 'value'), 'utf8').trim() === '1' ? 1 : 0;
    }
    watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void {
      this.listeners.push(callback);
    }
    unexport(): void {
      writeFileSync(join(gpio, 'unexport'), String(this.n));
    }
    interrupt(err?: Error): void {
      const value = this.readSync();
      if ((value === 0 && this.falling) || (value === 1 && this.rising))
        for (const cb of this.listeners.slice(0)) cb(err, value);
    }
  };
}

const LAYOUTS = {
  'Pi 3, kernel < 6.6': [{ label: 'pinctrl-bcm2835', base: 0, ngpio: 54 }],
  'Pi 3, kernel 6.6+': [{ label: 'pinctrl-bcm2835', base: 512, ngpio: 54 }],
  'Pi 4, kernel 6.6+': [
    { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
  ],
  'Pi 5': [
    { label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
    { label: 'gpio-brcmstb@107d517c00', base: 544, ngpio: 15 },
    { label: 'pinctrl-rp1', base: 571, ngpio: 54 },
  ],
};

describe('sysfs (onoff) driver on Pi 3/4/5 layouts', () => {
  it.each(Object.entries(LAYOUTS))(
    '%s: GPIO17 is base + 17, found by the chip label',
    async (_name, chips) => {
      const root = sysfsTree(chips);
      const piChip = chips.find((c) => c.label.startsWith('pinctrl-'))!;
      const driver = new SysfsGpioDriver(PINS, root, fixtureLines(root));
      await driver.open();
      expect(driver.numbers.get('green')).toBe(piChip.base + 17);
      expect(driver.numbers.get('relay')).toBe(piChip.base + 24);
      driver.write('green', 1);
      const value = (line: 'green' | 'relay') =>
        readFileSync(join(root, 'class/gpio', `gpio${driver.numbers.get(line)}`, 'value'), 'utf8');
      expect(value('green')).toBe('1');
      expect(value('relay')).toBe('0');
      await driver.close();
      expect(value('green')).toBe('0');
      expect(readFileSync(join(root, 'class/gpio/unexport'), 'utf8')).toBe(String(piChip.base + 24));
    },
  );
  it('refuses a tree with no Pi GPIO chip, and a pin beyond the chip', async () => {
    await expect(
      new SysfsGpioDriver(PINS, sysfsTree([{ label: 'other', base: 0, ngpio: 8 }])).open(),
    ).rejects.toThrow(/no Raspberry Pi GPIO chip/);
    const root = sysfsTree(LAYOUTS['Pi 5']);
    await expect(
      new SysfsGpioDriver({ ...PINS, relay: 'GPIO60' }, root, fixtureLines(root)).open(),
    ).rejects.toThrow(/beyond pinctrl-rp1/);
  });

  it('reads the guard’s buttons on their configured lines (gpio.buttons), numbered like the outputs', async () => {
    const root = sysfsTree(LAYOUTS['Pi 4, kernel 6.6+']);
    // The kernel's side of an input, on the temp tree: export, direction in, falling edge; a press
    // is the edge the kernel would report through epoll (onoff's watch).
    const edges = new Map<number, () => void>();
    const inputs: InputFactory = async (n, onPress) => {
      const gpio = join(root, 'class', 'gpio');
      writeFileSync(join(gpio, 'export'), String(n));
      mkdirSync(join(gpio, `gpio${n}`), { recursive: true });
      writeFileSync(join(gpio, `gpio${n}`, 'direction'), 'in');
      writeFileSync(join(gpio, `gpio${n}`, 'edge'), 'falling');
      edges.set(n, onPress);
      return { release: () => writeFileSync(join(gpio, 'unexport'), String(n)) };
    };
    const driver = new SysfsGpioDriver(
      PINS,
      root,
      fixtureLines(root),
      { admit: 'GPIO5', deny: 'GPIO6' },
      inputs,
    );
    const pressed: GuardButton[] = [];
    driver.onButton((b) => pressed.push(b));
    await driver.open();
    expect(driver.numbers.get('button-admit')).toBe(517);
    expect(readFileSync(join(root, 'class/gpio/gpio518/edge'), 'utf8')).toBe('falling');
    edges.get(517)?.();
    edges.get(518)?.();
    expect(pressed).toEqual(['admit', 'deny']);
    await driver.close();
    expect(readFileSync(join(root, 'class/gpio/unexport'), 'utf8')).toBe('518');
  });

  it('reads the door sensor (gpio.doorSensor) through the real door input code, onoff replaced by a stand-in', async () => {
    const root = sysfsTree(LAYOUTS['Pi 5']);
    const gpio = join(root, 'class', 'gpio');
    const opened: StandInOnoffGpio[] = [];
    let now = 0;
    const driver = new SysfsGpioDriver(
      PINS,
      root,
      fixtureLines(root),
      {},
      undefined,
      { pin: 'GPIO16', activeLow: true, debounceMs: 80 },
      doorInputWith(standInOnoff(gpio, opened), () => now),
    );
    let moves = 0;
    let closings = 0;
    const errors: string[] = [];
    driver.onDoor(
      (move) => (move === 'opening' ? moves++ : closings++),
      (err) => errors.push(err.message),
    );
    expect(() => driver.doorLevel()).toThrow(/not open/);
    await driver.open();
    expect(driver.numbers.get('door')).toBe(571 + 16);
    const line = join(gpio, 'gpio587');
    // Polarity goes to the kernel; both edges; no onoff debounce (it lost pulses shorter than it).
    expect(readFileSync(join(line, 'active_low'), 'utf8')).toBe('1');
    expect(readFileSync(join(line, 'edge'), 'utf8')).toBe('both');
    expect(opened[0]?.options).toEqual({ activeLow: true });
    expect(driver.doorLevel()).toBe(0);
    const sensor = opened[0]!;
    const at = (ms: number, value: 0 | 1) => {
      now = ms;
      writeFileSync(join(line, 'value'), String(value));
      sensor.interrupt();
    };
    at(1000, 1); // the door opens
    expect(moves).toBe(1);
    expect(driver.doorLevel()).toBe(1);
    // What selftest and doctor say about it (signal/door-sensor.ts).
    const settings = { ...settingsFromText(MINIMAL_YAML, 'k', {}).settings.gpio };
    settings.doorSensor = { pin: 'GPIO16', activeLow: true, debounceMs: 80 };
    const reading = readDoorSensor(settings, driver);
    expect(reading).toEqual({ pin: 'GPIO16', supported: true, level: 1, error: null });
    expect(describeDoorSensor(reading, true).en).toBe(
      'door sensor GPIO16 (activeLow): active (door open / turnstile turning)',
    );
    expect(readDoorSensor(settings, new NoGpio())).toMatchObject({ supported: false, level: null });
    at(1010, 0); // bounce
    at(1020, 1);
    expect(moves).toBe(1);
    at(4000, 0); // the door shuts: the same passage, not a second one — told apart as a closing
    expect(moves).toBe(1);
    expect(closings).toBe(1);
    // A turnstile pulse of 5 ms, over before the read (shorter than debounceMs): still a movement, once.
    writeFileSync(join(line, 'value'), '1');
    at(6000, 0);
    at(6005, 0);
    expect(moves).toBe(2);
    // The value file unreadable inside onoff's epoll callback: the error, no movement, no throw.
    rmSync(join(line, 'value'));
    now = 9000;
    expect(() => sensor.interrupt()).not.toThrow();
    expect(errors).toEqual([expect.stringMatching(/ENOENT/)]);
    expect(moves).toBe(2);
    writeFileSync(join(line, 'value'), '0');
    sensor.interrupt(new Error('epoll failed')); // onoff passes epoll's own error to the callback
    expect(errors.at(-1)).toBe('epoll failed');
    await driver.close();
    expect(readFileSync(join(gpio, 'unexport'), 'utf8')).toBe('587');
    expect(readDoorSensor(settings, driver)).toMatchObject({
      level: null,
      error: 'door sensor GPIO16 is not open',
    });
  });

  it('DoorEdges: bounce, short pulses and the door closing (review #6, review 3 #4)', () => {
    const e = new DoorEdges(50, 0);
    expect(e.edge(1, 0)).toBe('opening');
    expect(e.edge(0, 10)).toBeNull(); // bounce
    expect(e.edge(1, 20)).toBeNull(); // bounce
    expect(e.edge(0, 3000)).toBe('closing'); // the same passage, told apart for door-watch
    expect(e.edge(0, 5000)).toBe('opening'); // a pulse over before the read: a whole passage
    expect(e.edge(0, 5002)).toBeNull(); // its second edge
    expect(e.edge(1, 5100)).toBe('opening');
    // A sensor active at start (door propped open): its closing is a closing, opening again an opening.
    const open = new DoorEdges(50, 1);
    expect(open.edge(0, 0)).toBe('closing');
    expect(open.edge(1, 100)).toBe('opening');
  });

  it('no door sensor configured: no level, and a pin beyond the chip is refused', async () => {
    const root = sysfsTree(LAYOUTS['Pi 3, kernel 6.6+']);
    expect(new SysfsGpioDriver(PINS, root, fixtureLines(root)).doorLevel()).toBeUndefined();
    await expect(
      new SysfsGpioDriver(PINS, root, fixtureLines(root), {}, undefined, {
        pin: 'GPIO60',
        activeLow: true,
        debounceMs: 50,
      }).open(),
    ).rejects.toThrow(/door sensor: GPIO60 is beyond pinctrl-bcm2835/);
  });

  it('kiosk.yaml gpio.doorSensor reaches the driver with its defaults (active low, 50 ms)', () => {
    const gpio = settingsFromText(
      'kiosk: { id: k-001, site: s-001 }\ngpio: { driver: onoff, doorSensor: { pin: GPIO16 } }\ndata: { dir: /tmp/x }',
      'k',
      {},
    ).settings.gpio;
    expect(doorSensorPin(gpio)).toEqual({ pin: 'GPIO16', activeLow: true, debounceMs: 50 });
    const none = settingsFromText('kiosk: { id: k-001, site: s-001 }\ndata: { dir: /tmp/x }', 'k', {});
    expect(doorSensorPin(none.settings.gpio)).toBeUndefined();
  });
});

describe('LED class driver', () => {
  it('writes brightness files and leaves every line off on close', async () => {
    const root = makeTempDir('leds-');
    const labels = {
      green: 'qrkiosk-green',
      red: 'qrkiosk-red',
      amber: 'qrkiosk-amber',
      buzzer: 'qrkiosk-buzzer',
      relay: 'qrkiosk-relay',
    };
    for (const l of Object.values(labels)) {
      mkdirSync(join(root, 'class/leds', l), { recursive: true });
      writeFileSync(join(root, 'class/leds', l, 'brightness'), '1');
    }
    const driver = new LedClassDriver(labels, root);
    await driver.open();
    const b = (l: string) => readFileSync(join(root, 'class/leds', l, 'brightness'), 'utf8');
    expect(b('qrkiosk-relay')).toBe('0');
    driver.write('red', 1);
    expect(b('qrkiosk-red')).toBe('1');
    await driver.close();
    expect(b('qrkiosk-red')).toBe('0');
  });
  it('says which LED is missing', async () => {
    await expect(new LedClassDriver({ green: 'nope' }, makeTempDir('leds-')).open()).rejects.toThrow(
      /class\/leds\/nope/,
    );
  });
});

describe('libgpiod (gpioset) driver', () => {
  it('holds each line with a gpioset v2 process and sets offsets on the chip', async () => {
    const dir = makeTempDir('gpiod-');
    const log = join(dir, 'calls');
    const bin = join(dir, 'gpioset');
    writeFileSync(
      bin,
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "gpioset (libgpiod) v2.0.2"; exit 0; fi\necho "$@" >> ${log}\nexec sleep 5\n`,
    );
    chmodSync(bin, 0o755);
    const driver = new GpiodDriver(PINS, 'gpiochip4', bin);
    await driver.open();
    driver.write('green', 1);
    await new Promise((r) => setTimeout(r, 200));
    await driver.close();
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toContain('-c gpiochip4 17=1');
    expect(calls).toContain('-c gpiochip4 24=0');
    expect(calls.at(-1)).toMatch(/=0$/);
  });
});

describe('gpio.driver: auto', () => {
  const gpio = (root: string, extra = '') =>
    settingsFromText(
      `kiosk: { id: k-1, site: s-1 }\ngpio: { driver: auto, sysfsRoot: "${root}"${extra} }\n`,
      't',
      {},
    ).settings.gpio;
  it('prefers LED class lines when all are declared', () => {
    const root = sysfsTree(LAYOUTS['Pi 4, kernel 6.6+']);
    for (const l of ['green', 'red', 'amber', 'buzzer', 'relay']) {
      mkdirSync(join(root, 'class/leds', `qrkiosk-${l}`), { recursive: true });
      writeFileSync(join(root, 'class/leds', `qrkiosk-${l}`, 'brightness'), '0');
    }
    expect(chooseGpioDriver(gpio(root)).driver.name).toBe('leds');
  });
  it.each(Object.keys(LAYOUTS))('chooses sysfs on the %s tree and says why', (name) => {
    const choice = chooseGpioDriver(gpio(sysfsTree(LAYOUTS[name as keyof typeof LAYOUTS])));
    expect(choice.driver.name).toBe('onoff');
    expect(choice.why).toMatch(/sysfs GPIO chip pinctrl-/);
  });
  it('falls back to the simulator with no GPIO at all', () => {
    const choice = chooseGpioDriver(gpio(makeTempDir('empty-')));
    expect(choice.driver.name).toBe('sim');
    expect(choice.why).toMatch(/no GPIO hardware/);
  });
});

describe('gpio.doorSensor settings text (review #13)', () => {
  it('every field says what it is in Vietnamese too', () => {
    const fields = GpioSection.properties.doorSensor.properties as Record<string, Record<string, unknown>>;
    for (const [name, field] of Object.entries(fields)) {
      const schema = (field.anyOf as Array<Record<string, unknown>> | undefined)?.[0] ?? field;
      expect({ name, vi: typeof schema.viDescription }).toEqual({ name, vi: 'string' });
    }
  });
});
