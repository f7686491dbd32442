import { formatProblems, type LoadedSettings, loadSettings, SettingsError } from '../settings/index.js';
import { checked, NO_FIX } from './check.js';

/**
 * The config as `run` would load it (settings/load.ts: YAML, env overrides, secret files). A broken
 * file fails with the loader's own lines (file:line, the problem, the fix); the checks that need the
 * settings then skip.
 */
export function configCheck(file: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    const loaded: LoadedSettings = loadSettings(file, env);
    const warnings = loaded.warnings ?? [];
    const { settings } = loaded;
    const values = {
      file,
      kiosk: settings.kiosk.id,
      site: settings.kiosk.site,
      retiredKeys: warnings.length,
    };
    if (warnings.length > 0)
      return {
        loaded,
        check: checked(
          'config',
          'warn',
          {
            vi: `Cấu hình hợp lệ, còn khóa đã bỏ: ${warnings.map((w) => w.source).join(', ')}`,
            en: `Config valid, with retired keys: ${warnings.map((w) => w.source).join(', ')}`,
          },
          {
            vi: warnings.map((w) => w.problem.vi).join('; '),
            en: warnings.map((w) => w.problem.en).join('; '),
          },
          values,
        ),
      };
    return {
      loaded,
      check: checked(
        'config',
        'ok',
        {
          vi: `Cấu hình hợp lệ: kiosk ${settings.kiosk.id} tại ${settings.kiosk.site}`,
          en: `Config valid: kiosk ${settings.kiosk.id} at ${settings.kiosk.site}`,
        },
        NO_FIX,
        values,
      ),
    };
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return {
      loaded: null,
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
