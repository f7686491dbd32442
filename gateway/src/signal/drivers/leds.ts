import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpioDriver, Line } from '../driver.js';

/**
 * Linux LED class: lines declared with `dtoverlay=gpio-led,gpio=17,label=qrkiosk-green` appear as
 * /sys/class/leds/<label>/brightness. Works on every Pi kernel, needs no GPIO numbers, and the kernel
 * owns the pin (so nothing else can grab it).
 */
export class LedClassDriver implements GpioDriver {
  readonly name = 'leds';

  constructor(
    private readonly labels: Partial<Record<Line, string>>,
    private readonly sysRoot = '/sys',
  ) {}

  private file(line: Line): string | undefined {
    const label = this.labels[line];
    return label ? join(this.sysRoot, 'class', 'leds', label, 'brightness') : undefined;
  }

  async open(): Promise<void> {
    const missing = (Object.keys(this.labels) as Line[]).filter((l) => !existsSync(this.file(l) ?? ''));
    if (missing.length > 0)
      throw new Error(
        `LED class: no ${missing.map((l) => `${this.sysRoot}/class/leds/${this.labels[l]}`).join(', ')}`,
      );
    for (const line of Object.keys(this.labels) as Line[]) this.write(line, 0);
  }

  write(line: Line, value: 0 | 1): void {
    const file = this.file(line);
    if (file) writeFileSync(file, value ? '1' : '0');
  }

  async close(): Promise<void> {
    for (const line of Object.keys(this.labels) as Line[]) this.write(line, 0);
  }
}
