import { readFileSync } from 'node:fs';
import { formatVnDateTime } from '@qrkiosk/protocol';
import { systemClock } from '../clock.js';
import { recordLocalImport } from '../freshness/local-import.js';
import type { Lang } from '../i18n.js';
import { FactsCache, loadOrCreateHashKey, UpdateRefused } from '../lookup/index.js';
import { toolSettings } from './tool-settings.js';

export interface CacheToolOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

function openCache(options: CacheToolOptions, lang: Lang) {
  const loaded = toolSettings(options, lang);
  if (!loaded) return null;
  const cache = new FactsCache(loaded.settings.data.dir);
  cache.open();
  return { loaded, cache };
}

/** `qrkiosk cache import FILE.csv`: exit 0 when every row imported, 1 when some were skipped, 2 on error. */
export async function cacheImport(file: string, options: CacheToolOptions, lang: Lang): Promise<number> {
  const opened = openCache(options, lang);
  if (!opened) return 2;
  const { loaded, cache } = opened;
  try {
    const { key } = loadOrCreateHashKey(loaded.settings.data.dir, loaded.secrets.hashKey);
    const report = await cache.importCsv(file, key);
    // Imported something: the facts are confirmed as of now (issue #19's data age); nothing: nothing changes.
    if (report.imported > 0)
      recordLocalImport(
        loaded.settings.data.dir,
        cache.versionInfo(),
        systemClock,
        loaded.settings.clock.assumeSynced,
      );
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      for (const p of report.problems) process.stderr.write(`${file}:${p.line}: ${p.message}\n`);
      process.stdout.write(
        lang === 'vi'
          ? `Đã nhập ${report.imported} dòng, bỏ qua ${report.skipped} dòng lỗi.\n`
          : `Imported ${report.imported} rows, skipped ${report.skipped} bad rows.\n`,
      );
    }
    return report.skipped > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  } finally {
    cache.close();
  }
}

/** `qrkiosk cache apply FILE`: a signed snapshot or delta from the hub (normally arrives over MQTT). */
export function cacheApply(file: string, options: CacheToolOptions, lang: Lang): number {
  const opened = openCache(options, lang);
  if (!opened) return 2;
  const { loaded, cache } = opened;
  try {
    const header = cache.applyUpdate(readFileSync(file), loaded.secrets.hubKeys);
    process.stdout.write(
      lang === 'vi'
        ? `Đã áp dụng ${header.kind === 'snapshot' ? 'bản đầy đủ' : 'bản thay đổi'} phiên bản ${header.seq} (${header.records} bản ghi).\n`
        : `Applied ${header.kind} version ${header.seq} (${header.records} records).\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UpdateRefused) {
      process.stderr.write(
        `${lang === 'vi' ? 'Từ chối cập nhật' : 'Update refused'} (${err.code}): ${err.message}\n`,
      );
      return 1;
    }
    process.stderr.write(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  } finally {
    cache.close();
  }
}

/** `qrkiosk cache status [--json]`. */
export function cacheStatus(options: CacheToolOptions, lang: Lang): number {
  const opened = openCache(options, lang);
  if (!opened) return 2;
  const { cache } = opened;
  try {
    const s = cache.status();
    if (options.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else {
      const when = s.updatedAt
        ? formatVnDateTime(new Date(s.updatedAt))
        : lang === 'vi'
          ? 'chưa có'
          : 'never';
      const mb = (s.bytes / 1e6).toFixed(1);
      process.stdout.write(
        lang === 'vi'
          ? `Phiên bản dữ liệu: ${s.version}\nSố định danh: ${s.identities}\nDung lượng: ${mb} MB\nCập nhật lần cuối: ${when}\nNgười ký: ${s.signer ?? '-'}\n`
          : `Data version: ${s.version}\nIdentities: ${s.identities}\nSize: ${mb} MB\nLast update: ${when}\nSigner: ${s.signer ?? '-'}\n`,
      );
    }
    return 0;
  } finally {
    cache.close();
  }
}
