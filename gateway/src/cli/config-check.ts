import type { Lang } from '../i18n.js';
import { formatProblems, loadSettings, SettingsError } from '../settings/index.js';

/** `qrkiosk config check FILE`: 0 when valid, 2 with every problem listed when not. */
export function configCheck(file: string, lang: Lang, json: boolean): number {
  try {
    const { settings, warnings = [] } = loadSettings(file);
    for (const w of json ? [] : warnings) process.stderr.write(`${w.source}: ${w.problem[lang]}\n`);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: true, settings, ...(warnings.length > 0 ? { warnings } : {}) })}\n`,
      );
    else
      process.stdout.write(
        lang === 'vi'
          ? `Cấu hình hợp lệ: kiosk ${settings.kiosk.id} tại ${settings.kiosk.site}, máy quét ${settings.scanner.path ?? settings.scanner.type}, MQTT ${settings.mqtt.url}\n`
          : `Config OK: kiosk ${settings.kiosk.id} at ${settings.kiosk.site}, scanner ${settings.scanner.path ?? settings.scanner.type}, MQTT ${settings.mqtt.url}\n`,
      );
    return 0;
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, problems: err.problems })}\n`);
    else process.stderr.write(`${formatProblems(err, lang)}\n`);
    return 2;
  }
}
