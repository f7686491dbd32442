import { isUnenrolled, loadPendingSettings } from '../enrolment/pending.js';
import type { Lang } from '../i18n.js';
import { formatProblems, loadSettings, SettingsError } from '../settings/index.js';

/** `qrkiosk config check FILE`: 0 when valid, 2 with every problem listed when not. */
export function configCheck(file: string, lang: Lang, json: boolean): number {
  try {
    // An unenrolled kiosk (no kiosk: section) is valid: systemd's ExecStartPre runs this before `run`.
    const pending = isUnenrolled(file);
    const { settings, warnings = [] } = pending ? loadPendingSettings(file) : loadSettings(file);
    for (const w of json ? [] : warnings) process.stderr.write(`${w.source}: ${w.problem[lang]}\n`);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: true, ...(pending ? { enrolled: false } : { settings }), ...(warnings.length > 0 ? { warnings } : {}) })}\n`,
      );
    else if (pending)
      process.stdout.write(
        lang === 'vi'
          ? `Cấu hình hợp lệ, kiosk chưa đăng ký: quét mã đăng ký từ trung tâm hoặc chạy qrkiosk enrol MÃ\n`
          : `Config OK, kiosk not enrolled yet: scan the enrolment code from the health office or run qrkiosk enrol CODE\n`,
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
