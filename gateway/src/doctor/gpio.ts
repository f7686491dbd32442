import type { Settings } from '../settings/index.js';
import {
  chooseGpioDriver,
  describeDoorSensor,
  LINE_NAMES,
  LINES,
  PATTERNS,
  playOnce,
  readDoorSensor,
  SimGpio,
} from '../signal/index.js';
import { checked, NO_FIX, type Said, skipped } from './check.js';

export interface GpioCheckOptions {
  /** The daemon holds the lines: they are listed, not opened. */
  daemonRunning: boolean;
  /** Play the selftest pattern once (each light, the buzzer, the relay: the door opens). */
  blink: boolean;
  say: (said: Said) => void;
}

/**
 * The driver `run` would choose (signal/drivers/auto.ts, as `qrkiosk selftest` shows it) and each
 * output's line; opened and closed again (every output off) unless the daemon holds them.
 */
export async function gpioCheck(gpio: Settings['gpio'], o: GpioCheckOptions) {
  const { driver, why } = chooseGpioDriver(gpio);
  const values: Record<string, string | number | boolean | null> = {
    driver: driver.name,
    why,
    opened: false,
  };
  for (const line of LINES)
    values[line] =
      driver.name === 'leds' ? `${gpio.sysfsRoot}/class/leds/${gpio.leds[line]}` : String(gpio.pins[line]);
  values.doorSensor = gpio.doorSensor.pin ?? false;
  const lines = LINES.map((l) => `${l}=${values[l]}`).join(' ');
  if (driver.name === 'none')
    return skipped(
      'gpio',
      {
        vi: 'Không dùng đèn/còi/rơ-le (gpio.driver: none)',
        en: 'No lights, buzzer or relay (gpio.driver: none)',
      },
      values,
    );
  if (driver instanceof SimGpio)
    return checked(
      'gpio',
      'warn',
      {
        vi: `Không có phần cứng GPIO, đèn chạy mô phỏng (${why})`,
        en: `No GPIO hardware: the lights are simulated (${why})`,
      },
      {
        vi: 'đặt gpio.driver (leds, gpiod hoặc onoff) và các chân trong kiosk.yaml; chạy qrkiosk selftest',
        en: 'set gpio.driver (leds, gpiod or onoff) and the pins in kiosk.yaml; run qrkiosk selftest',
      },
      values,
    );
  if (o.daemonRunning)
    return checked(
      'gpio',
      'ok',
      {
        vi: `GPIO ${driver.name} do dịch vụ giữ, không mở lại (${lines})`,
        en: `GPIO ${driver.name} held by the service, not opened again (${lines})`,
      },
      NO_FIX,
      values,
    );
  try {
    await driver.open();
  } catch (err) {
    return checked(
      'gpio',
      'fail',
      {
        vi: `Không mở được GPIO ${driver.name}: ${(err as Error).message}`,
        en: `Cannot open GPIO ${driver.name}: ${(err as Error).message}`,
      },
      {
        vi: 'kiểm tra dtoverlay trong /boot/config.txt và số chân trong gpio.pins / gpio.leds; chạy qrkiosk selftest',
        en: 'check the dtoverlay in /boot/config.txt and the pins in gpio.pins / gpio.leds; run qrkiosk selftest',
      },
      values,
    );
  }
  values.opened = true;
  // The door sensor (issue #19) is read on the lines just opened: configured, readable, its level now.
  const door = readDoorSensor(gpio, driver);
  values.doorLevel = door.level;
  const doorSaid = describeDoorSensor(door, gpio.doorSensor.activeLow);
  try {
    if (o.blink)
      await playOnce(driver, PATTERNS.SELFTEST, (line) =>
        o.say({ vi: `  → ${LINE_NAMES[line].vi} BẬT`, en: `  → ${LINE_NAMES[line].en} ON` }),
      );
  } finally {
    await driver.close();
  }
  values.blinked = o.blink;
  if (door.pin && (door.error || !door.supported))
    return checked(
      'gpio',
      door.error ? 'fail' : 'warn',
      { vi: `GPIO ${driver.name} mở được; ${doorSaid.vi}`, en: `GPIO ${driver.name} opens; ${doorSaid.en}` },
      {
        vi: 'kiểm tra dây cảm biến và gpio.doorSensor trong kiosk.yaml (driver onoff); khi chưa sửa, lượt vào được tính dù không ai đi qua',
        en: 'check the sensor wiring and gpio.doorSensor in kiosk.yaml (onoff driver); until fixed, entries count whether or not anyone went through',
      },
      values,
    );
  return checked(
    'gpio',
    'ok',
    {
      vi: `GPIO ${driver.name} mở được (${lines})${o.blink ? '; đã nháy từng đầu ra' : ''}${door.pin ? `; ${doorSaid.vi}` : ''}`,
      en: `GPIO ${driver.name} opens (${lines})${o.blink ? '; each output blinked' : ''}${door.pin ? `; ${doorSaid.en}` : ''}`,
    },
    o.blink
      ? {
          vi: 'xác nhận: mỗi đèn đã sáng, còi đã kêu, cửa đã mở một lần',
          en: 'confirm: each light lit, the buzzer sounded, the door opened once',
        }
      : NO_FIX,
    values,
  );
}
