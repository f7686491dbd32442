/** The logical outputs of a kiosk; pins are mapped to them in settings (gpio.pins). */
export const LINES = ['green', 'red', 'amber', 'buzzer', 'relay'] as const;
export type Line = (typeof LINES)[number];

/**
 * What the door sensor reported (signal/drivers/door-edges.ts): `opening` — the door opened, the turnstile turned,
 * or a pulse too short to read (a whole passage); `closing` — the door shut again after an opening that was seen.
 * Door watch needs both: someone can walk through a door that is already open, and only its closing shows it.
 */
export type DoorMove = 'opening' | 'closing';

/** The guard's two inputs after a REVIEW: "cho vào" (admit) and "không cho vào" (deny). */
export type GuardButton = 'admit' | 'deny';

/**
 * A GPIO driver drives logical lines. Implementations: SimGpio (records a timeline) and NoGpio here;
 * Linux LED class (drivers/leds.ts), libgpiod's gpioset (drivers/gpiod.ts) and sysfs through onoff
 * (drivers/sysfs.ts), chosen by gpio.driver or `auto` (drivers/auto.ts).
 */
export interface GpioDriver {
  readonly name: string;
  open(): Promise<void>;
  write(line: Line, value: 0 | 1): void;
  /** Guard button presses, where the driver reads inputs (SimGpio: press()); returns the unsubscribe. */
  onButton?(listener: (button: GuardButton) => void): () => void;
  /**
   * The door contact or turnstile sensor (gpio.doorSensor, issue #19): one call per debounced opening or
   * closing, where the driver reads it (SimGpio: doorMoved(), doorClosed()); `onError` hears a read that
   * failed (the line went away). Returns the unsubscribe.
   */
  onDoor?(listener: (move: DoorMove) => void, onError?: (err: Error) => void): () => void;
  /**
   * The sensor's level now, 1 when active (door open / turnstile turning), after its polarity; undefined
   * when no sensor is configured. Throws when the line cannot be read (doctor and selftest say so).
   */
  doorLevel?(): 0 | 1 | undefined;
  /** Leaves every line off (relay released) and frees the hardware. */
  close(): Promise<void>;
}

export interface TimelineEntry {
  /** Milliseconds since the driver was opened (monotonic). */
  t: number;
  line: Line;
  value: 0 | 1;
}

/** Simulated GPIO: keeps what lit and beeped, and tells listeners as it happens. */
export class SimGpio implements GpioDriver {
  readonly name = 'sim';
  readonly timeline: TimelineEntry[] = [];
  private readonly state = new Map<Line, 0 | 1>();
  private readonly listeners = new Set<(entry: TimelineEntry) => void>();
  private origin = 0;

  async open(): Promise<void> {
    this.origin = performance.now();
  }

  write(line: Line, value: 0 | 1): void {
    if ((this.state.get(line) ?? 0) === value) return;
    this.state.set(line, value);
    const entry = { t: Math.round(performance.now() - this.origin), line, value };
    this.timeline.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  read(line: Line): 0 | 1 {
    return this.state.get(line) ?? 0;
  }

  onChange(listener: (entry: TimelineEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly buttonListeners = new Set<(button: GuardButton) => void>();

  onButton(listener: (button: GuardButton) => void): () => void {
    this.buttonListeners.add(listener);
    return () => this.buttonListeners.delete(listener);
  }

  /** A guard button pressed (each call is one edge: a bouncing contact is several calls). */
  press(button: GuardButton): void {
    for (const listener of this.buttonListeners) listener(button);
  }

  private readonly doorListeners = new Set<(move: DoorMove) => void>();

  onDoor(listener: (move: DoorMove) => void): () => void {
    this.doorListeners.add(listener);
    return () => this.doorListeners.delete(listener);
  }

  /** The simulated sensor at rest: a door that is shut, a turnstile that is still. */
  doorLevel(): 0 | 1 {
    return 0;
  }

  /** The door opened or the turnstile turned: one debounced movement (the onoff driver debounces before this). */
  doorMoved(): void {
    for (const listener of this.doorListeners) listener('opening');
  }

  /** The door shut again after an opening. */
  doorClosed(): void {
    for (const listener of this.doorListeners) listener('closing');
  }

  async close(): Promise<void> {
    for (const line of this.state.keys()) this.write(line, 0);
  }
}

/**
 * Every output off (relay released), for a process on its way out: 'exit' handlers run synchronously,
 * and the sysfs and LED-class drivers write synchronously. Best effort: a line that fails is skipped.
 */
export function allOutputsOff(gpio: GpioDriver): void {
  for (const line of LINES) {
    try {
      gpio.write(line, 0);
    } catch {
      // best effort on the way out
    }
  }
}

/** For kiosks with no lights at all (a reception desk with a screen only). */
export class NoGpio implements GpioDriver {
  readonly name = 'none';
  async open(): Promise<void> {}
  write(): void {}
  async close(): Promise<void> {}
}
