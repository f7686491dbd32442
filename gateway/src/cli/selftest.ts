import type { Lang } from '../i18n.js';
import { chooseGpioDriver, LINE_NAMES, LINES, PATTERNS, playOnce, SimGpio } from '../signal/index.js';
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
  await playOnce(driver, PATTERNS.SELFTEST, (line) =>
    say(`  → ${LINE_NAMES[line][lang]} ${lang === 'vi' ? 'BẬT' : 'ON'}`),
  );
  await driver.close();
  say(
    lang === 'vi'
      ? 'Xong. Kiểm tra: mỗi đèn đã sáng, còi đã kêu, cửa đã mở một lần.'
      : 'Done. Check that each light lit, the buzzer sounded and the door opened once.',
  );
  return 0;
}
