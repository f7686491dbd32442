import { existsSync } from 'node:fs';
import type { Lang } from '../i18n.js';
import {
  formatProblems,
  type LoadedSettings,
  loadSettings,
  SettingsError,
  settingsFromText,
} from '../settings/index.js';
import { DEFAULT_CONFIG } from './default-config.js';

/**
 * Settings for offline tools (`cache`, `check`): the given config file, else /etc/qrkiosk/kiosk.yaml
 * when this is a kiosk, else defaults. `--data-dir` wins over both (QRKIOSK_DATA_DIR is honoured by
 * the settings loader itself). Prints the problems and returns null when the settings are invalid.
 */
export function toolSettings(
  options: { config?: string; dataDir?: string },
  lang: Lang,
): LoadedSettings | null {
  const env = options.dataDir ? { ...process.env, QRKIOSK_DATA_DIR: options.dataDir } : process.env;
  try {
    const file = options.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
    if (file) return loadSettings(file, env);
    return settingsFromText('kiosk: { id: local, site: local }\n', '(defaults)', env);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`${formatProblems(err, lang)}\n`);
    return null;
  }
}
