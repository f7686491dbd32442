import { readFileSync } from 'node:fs';
import { RevocationListError } from '@qrkiosk/protocol';
import type { Lang } from '../i18n.js';
import { installRevocationList, loadRevocationList } from '../revocation/index.js';
import { toolSettings } from './tool-settings.js';

/**
 * `qrkiosk revocation apply FILE`: installs a signed DCC revocation list handed over as a file (a list
 * above the MQTT limit never comes over the air). The running daemon reads it at its next start.
 */
export function revocationApply(
  file: string,
  options: { config?: string; dataDir?: string },
  lang: Lang,
): number {
  const loaded = toolSettings(options, lang);
  if (!loaded) return 2;
  const { settings, secrets } = loaded;
  const l = (vi: string, en: string) => (lang === 'vi' ? vi : en);
  try {
    let current = 0;
    try {
      current = loadRevocationList(settings.data.dir, secrets.hubKeys)?.version ?? 0;
    } catch {
      // the installed list is refused: any valid list replaces it
    }
    const result = installRevocationList(settings.data.dir, readFileSync(file), secrets.hubKeys, current);
    process.stdout.write(
      result.installed
        ? `${l(
            `Đã cài danh sách thu hồi phiên bản ${result.list.version} (${result.entries} mã băm); khởi động lại kiosk để dùng`,
            `Installed revocation list ${result.list.version} (${result.entries} hashes); restart the kiosk to use it`,
          )}\n`
        : `${l(`Phiên bản ${result.version} đã được cài`, `Version ${result.version} is already installed`)}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof RevocationListError) {
      process.stderr.write(
        `${l('Từ chối danh sách thu hồi', 'Revocation list refused')} (${err.code}): ${err.message}\n`,
      );
      return 2;
    }
    process.stderr.write(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
}
