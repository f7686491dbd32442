import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { GpioDriver, Line } from '../driver.js';
import { type PinMap, pinOffset } from './lines.js';

/**
 * libgpiod's command-line tools, for systems where sysfs GPIO is gone. Version 2 `gpioset` holds a
 * line only while it runs, so each line keeps one `gpioset` process, replaced on every change;
 * version 1 sets the value and exits (`--mode=exit`).
 */
export function gpiosetVersion(bin = 'gpioset'): 1 | 2 | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const m = /v?(\d+)\.\d+/.exec(r.stdout);
  return m ? (Number(m[1]) >= 2 ? 2 : 1) : null;
}

export class GpiodDriver implements GpioDriver {
  readonly name = 'gpiod';
  private readonly held = new Map<Line, ChildProcess>();
  private version: 1 | 2 | null = null;

  constructor(
    private readonly pins: PinMap,
    private readonly chip = 'gpiochip0',
    private readonly bin = 'gpioset',
  ) {}

  async open(): Promise<void> {
    this.version = gpiosetVersion(this.bin);
    if (!this.version) throw new Error(`${this.bin} not found (apt install gpiod)`);
    for (const line of Object.keys(this.pins) as Line[]) this.write(line, 0);
  }

  write(line: Line, value: 0 | 1): void {
    const offset = pinOffset(this.pins[line]);
    if (this.version === 1) {
      spawn(this.bin, ['--mode=exit', this.chip, `${offset}=${value}`], { stdio: 'ignore' }).on(
        'error',
        () => undefined,
      );
      return;
    }
    this.held.get(line)?.kill();
    const child = spawn(this.bin, ['-c', this.chip, `${offset}=${value}`], { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.held.set(line, child);
  }

  async close(): Promise<void> {
    for (const line of Object.keys(this.pins) as Line[]) this.write(line, 0);
    // v2: give the last gpioset a moment to apply 0, then release the lines.
    await new Promise((r) => setTimeout(r, 50));
    for (const child of this.held.values()) child.kill();
    this.held.clear();
  }
}
