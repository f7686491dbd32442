import type { Lang } from '../i18n.js';
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
import { toolSettings } from './tool-settings.js';

/** `qrkiosk selftest`: each light, the buzzer and the relay in turn; says which driver and pins. */
export async function selftestCommand(options: { config?: string }, lang: Lang): Promise<number> {
  const loaded = toolSettings(options, lang);
  if (!loaded) return 2;
  const { gpio } = loaded.settings;
  const { driver, why } = chooseGpioDriver(gpio);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    lang === 'vi' ? `Trình điều khiển GPIO: ${driver.name} (${why})` : `GPIO driver: ${driver.name} (${why})`,
  );
  for (const line of LINES) {
    const where = driver.name === 'leds' ? `/sys/class/leds/${gpio.leds[line]}` : gpio.pins[line];
    say(`  ${LINE_NAMES[line][lang].padEnd(12)} ${where}`);
  }
  if (driver instanceof SimGpio)
    say(lang === 'vi' ? '  (không có phần cứng GPIO: chạy mô phỏng)' : '  (no GPIO hardware: simulated)');
  try {
    await driver.open();
  } catch (err) {
    process.stderr.write(
      `${lang === 'vi' ? 'Không mở được GPIO' : 'Cannot open GPIO'}: ${(err as Error).message}\n`,
    );
    return 1;
  }
  // The door sensor (issue #19): its level now, and the movements it sees while the relay opens the door.
  const door = readDoorSensor(gpio, driver);
  if (door.pin) say(`  ${describeDoorSensor(door, gpio.doorSensor.activeLow)[lang]}`);
  if (door.pin && door.supported && !door.error)
    say(
      lang === 'vi'
        ? '  Khi rơ-le mở cửa: đẩy cửa / quay cổng một lần.'
        : '  When the relay opens the door: push the door / turn the turnstile once.',
    );
  const watching = door.pin !== null && door.supported && !door.error;
  let moves = 0;
  let moved: () => void = () => undefined;
  const off = driver.onDoor?.((move) => {
    // The door shutting again is the same passage as its opening.
    if (move === 'closing') return;
    moves++;
    moved();
  });
  await playOnce(driver, PATTERNS.SELFTEST, (line) =>
    say(`  → ${LINE_NAMES[line][lang]} ${lang === 'vi' ? 'BẬT' : 'ON'}`),
  );
  // As at the door: the person has signal.doorEnterSeconds after the relay to go through.
  if (watching && moves === 0)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, loaded.settings.signal.doorEnterSeconds * 1000);
      moved = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  off?.();
  if (watching)
    say(
      lang === 'vi'
        ? `  Cảm biến cửa thấy ${moves} lần chuyển động${moves === 0 ? ' — kiểm tra dây và activeLow' : ''}`
        : `  The door sensor saw ${moves} movement(s)${moves === 0 ? ' — check the wiring and activeLow' : ''}`,
    );
  await driver.close();
  if (door.pin && (door.error || !door.supported)) return 1;
  say(
    lang === 'vi'
      ? 'Xong. Kiểm tra: mỗi đèn đã sáng, còi đã kêu, cửa đã mở một lần.'
      : 'Done. Check that each light lit, the buzzer sounded and the door opened once.',
  );
  return 0;
}
