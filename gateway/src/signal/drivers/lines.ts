import type { Line } from '../driver.js';

/** `GPIO17`, `gpio17` or `17` → 17 (the line offset on the SoC's GPIO chip). */
export function pinOffset(pin: string): number {
  const m = /^(?:gpio)?(\d{1,3})$/i.exec(pin.trim());
  if (!m) throw new Error(`"${pin}" is not a GPIO pin (want e.g. GPIO17)`);
  return Number(m[1]);
}

export type PinMap = Record<Line, string>;
