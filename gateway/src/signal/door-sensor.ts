import type { Settings } from '../settings/schema.js';
import type { GpioDriver } from './driver.js';

/** What `qrkiosk selftest` and `doctor` say about gpio.doorSensor (issue #19). */
export interface DoorSensorReading {
  /** gpio.doorSensor.pin, or null when no sensor is wired. */
  pin: string | null;
  /** The driver reads inputs (onoff, sim): without that the sensor is never read. */
  supported: boolean;
  /** 1: active (door open, turnstile turning), 0: at rest; null when not read. */
  level: 0 | 1 | null;
  /** Why it could not be read. */
  error: string | null;
}

/** Reads the sensor's level on an opened driver; never throws (the error is reported instead). */
export function readDoorSensor(gpio: Settings['gpio'], driver: GpioDriver): DoorSensorReading {
  const pin = gpio.doorSensor.pin ?? null;
  const supported = driver.onDoor !== undefined && driver.doorLevel !== undefined;
  if (!pin || !supported) return { pin, supported, level: null, error: null };
  try {
    return { pin, supported, level: driver.doorLevel?.() ?? null, error: null };
  } catch (err) {
    return { pin, supported, level: null, error: (err as Error).message };
  }
}

/** One line for the technician, in both languages. */
export function describeDoorSensor(r: DoorSensorReading, activeLow: boolean): { vi: string; en: string } {
  if (!r.pin) return { vi: 'không có cảm biến cửa', en: 'no door sensor' };
  const polarity = activeLow ? 'activeLow' : 'activeHigh';
  if (!r.supported)
    return {
      vi: `cảm biến cửa ${r.pin}: driver này không đọc đầu vào (dùng gpio.driver: onoff)`,
      en: `door sensor ${r.pin}: this driver reads no inputs (use gpio.driver: onoff)`,
    };
  if (r.error)
    return {
      vi: `cảm biến cửa ${r.pin} không đọc được: ${r.error}`,
      en: `door sensor ${r.pin} cannot be read: ${r.error}`,
    };
  if (r.level === null)
    return { vi: `cảm biến cửa ${r.pin} (${polarity})`, en: `door sensor ${r.pin} (${polarity})` };
  return r.level === 1
    ? {
        vi: `cảm biến cửa ${r.pin} (${polarity}): đang tác động (cửa mở / cổng đang quay)`,
        en: `door sensor ${r.pin} (${polarity}): active (door open / turnstile turning)`,
      }
    : {
        vi: `cảm biến cửa ${r.pin} (${polarity}): nghỉ (cửa đóng / cổng đứng yên)`,
        en: `door sensor ${r.pin} (${polarity}): at rest (door shut / turnstile still)`,
      };
}
