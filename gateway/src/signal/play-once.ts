import type { GpioDriver, Line } from './driver.js';
import { eventsOf, type Pattern } from './patterns.js';

/**
 * Plays a pattern once on an open driver and returns when it has ended (`qrkiosk selftest`,
 * `qrkiosk doctor --blink`). `onOn` hears each line as it turns on.
 */
export async function playOnce(
  driver: GpioDriver,
  pattern: Pattern,
  onOn: (line: Line) => void = () => undefined,
) {
  const start = Date.now();
  for (const e of eventsOf(pattern)) {
    await new Promise((r) => setTimeout(r, Math.max(0, start + e.at - Date.now())));
    driver.write(e.line, e.value);
    if (e.value) onOn(e.line);
  }
}

/** Each output's name, as a technician calls it. */
export const LINE_NAMES = {
  green: { vi: 'Đèn xanh', en: 'Green light' },
  red: { vi: 'Đèn đỏ', en: 'Red light' },
  amber: { vi: 'Đèn vàng', en: 'Amber light' },
  buzzer: { vi: 'Còi', en: 'Buzzer' },
  relay: { vi: 'Rơ-le cửa', en: 'Door relay' },
} as const;
