import { isUnenrolled, loadPendingSettings } from '../enrolment/pending.js';
import { formatProblems, type LoadedSettings, loadSettings, SettingsError } from '../settings/index.js';
import { checked, NO_FIX, type Said } from './check.js';

/**
 * The config as `run` would load it (settings/load.ts: YAML, env overrides, secret files). A kiosk.yaml
 * without `kiosk:` is an unenrolled kiosk (enrolment/pending.ts), loaded as `run` and `config check`
 * load it: valid, and `pending` tells the other checks so. A broken file fails with the loader's own
 * lines (file:line, the problem, the fix); the checks that need the settings then skip.
 */
export function configCheck(file: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    const pending = isUnenrolled(file);
    const loaded: LoadedSettings = pending ? loadPendingSettings(file, env) : loadSettings(file, env);
    const warnings = loaded.warnings ?? [];
    const { settings } = loaded;
    const values = {
      file,
      kiosk: pending ? null : settings.kiosk.id,
      site: pending ? null : settings.kiosk.site,
      enrolled: !pending,
      retiredKeys: warnings.length,
    };
    const valid: Said = pending
      ? {
          vi: 'Cấu hình hợp lệ, kiosk chưa đăng ký (chưa có mục kiosk:)',
          en: 'Config valid, kiosk not enrolled yet (no kiosk: section)',
        }
      : {
          vi: `Cấu hình hợp lệ: kiosk ${settings.kiosk.id} tại ${settings.kiosk.site}`,
          en: `Config valid: kiosk ${settings.kiosk.id} at ${settings.kiosk.site}`,
        };
    if (warnings.length > 0)
      return {
        loaded,
        pending,
        check: checked(
          'config',
          'warn',
          {
            vi: `${valid.vi}; còn khóa đã bỏ: ${warnings.map((w) => w.source).join(', ')}`,
            en: `${valid.en}; with retired keys: ${warnings.map((w) => w.source).join(', ')}`,
          },
          {
            vi: warnings.map((w) => w.problem.vi).join('; '),
            en: warnings.map((w) => w.problem.en).join('; '),
          },
          values,
        ),
      };
    return { loaded, pending, check: checked('config', 'ok', valid, NO_FIX, values) };
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return {
      loaded: null,
      pending: false,
      check: checked(
        'config',
        'fail',
        { vi: formatProblems(err, 'vi'), en: formatProblems(err, 'en') },
        {
          vi: `sửa từng dòng trên rồi chạy lại: qrkiosk config check ${file}`,
          en: `fix each line above, then run: qrkiosk config check ${file}`,
        },
        { file, problems: err.problems.length },
      ),
    };
  }
}
