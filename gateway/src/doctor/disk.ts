import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { isDiskLow } from '../record/keeper.js';
import { checked, mb, NO_FIX, skipped } from './check.js';

/** Under this the journal cannot take many more check-ins (one commit adds ~22 KiB to the WAL: record/keeper.ts). */
const FULL_BYTES = 1024 * 1024;

/** Free space where the journal and cache live, by the daemon's own `disk-low` rule. */
export function diskCheck(dataDir: string) {
  let fs: ReturnType<typeof statfsSync>;
  try {
    fs = statfsSync(dataDir);
  } catch (err) {
    return checked(
      'disk',
      'fail',
      {
        vi: `Không đọc được thư mục dữ liệu ${dataDir} (${(err as NodeJS.ErrnoException).code})`,
        en: `Cannot read the data folder ${dataDir} (${(err as NodeJS.ErrnoException).code})`,
      },
      {
        vi: `tạo thư mục và cấp quyền cho người dùng qrkiosk, hoặc sửa data.dir`,
        en: 'create the folder, owned by the qrkiosk user, or fix data.dir',
      },
      { dir: dataDir },
    );
  }
  const free = fs.bavail * fs.bsize;
  const total = fs.blocks * fs.bsize;
  const share = total > 0 ? Math.round((free / total) * 1000) / 10 : 0;
  const values = { dir: dataDir, freeBytes: free, totalBytes: total, freePercent: share };
  const said = {
    vi: `Còn trống ${mb(free)} / ${mb(total)} (${share}%) tại ${dataDir}`,
    en: `${mb(free)} free of ${mb(total)} (${share}%) at ${dataDir}`,
  };
  const fix = {
    vi: 'xóa tệp *.corrupt-* cũ và nhật ký hệ thống (journalctl --vacuum-size=50M); kiểm tra hộp thư đi (dòng outbox)',
    en: 'remove old *.corrupt-* files and system logs (journalctl --vacuum-size=50M); check the outbox line',
  };
  if (free < FULL_BYTES) return checked('disk', 'fail', said, fix, values);
  if (isDiskLow(fs)) return checked('disk', 'warn', said, fix, values);
  return checked('disk', 'ok', said, NO_FIX, values);
}

export interface SdWriteRoots {
  proc?: string;
  sys?: string;
  /** The block device holding the data (mmcblk0: a Pi's SD card). */
  device?: string;
}

/**
 * What has been written: by the running daemon (/proc/<pid>/io write_bytes, since it started) and to
 * the SD card (/sys/block/mmcblk0/stat, sectors written since boot). Wear is a slow death: this line
 * only measures, never fails. Skipped when neither can be read (no daemon, no SD card).
 */
export function sdWritesCheck(mainPid: number | null, roots: SdWriteRoots = {}) {
  const proc = roots.proc ?? '/proc';
  const device = roots.device ?? 'mmcblk0';
  let daemonBytes: number | null = null;
  if (mainPid !== null) {
    try {
      const m = /^write_bytes:\s*(\d+)$/m.exec(readFileSync(join(proc, String(mainPid), 'io'), 'utf8'));
      daemonBytes = m ? Number(m[1]) : null;
    } catch {
      // another user's process without root: not readable
    }
  }
  let cardBytes: number | null = null;
  try {
    // Field 7 of the block layer's stat: sectors written, always in 512-byte units (Documentation/block/stat.rst).
    const fields = readFileSync(join(roots.sys ?? '/sys', 'block', device, 'stat'), 'utf8')
      .trim()
      .split(/\s+/);
    cardBytes = Number(fields[6]) * 512;
  } catch {
    // no SD card (a PC, a container)
  }
  let uptime: number | null = null;
  try {
    uptime = Number(readFileSync(join(proc, 'uptime'), 'utf8').split(' ')[0]);
  } catch {
    // not Linux
  }
  const perDay = cardBytes !== null && uptime ? Math.round((cardBytes / uptime) * 86_400) : null;
  const values = {
    mainPid,
    daemonWriteBytes: daemonBytes,
    device,
    cardWriteBytes: cardBytes,
    cardBytesPerDay: perDay,
  };
  if (daemonBytes === null && cardBytes === null)
    return skipped(
      'sd-writes',
      {
        vi: `Không đo được: ${mainPid === null ? 'dịch vụ không chạy' : `không đọc được ${proc}/${mainPid}/io`}, không có /sys/block/${device}`,
        en: `Nothing to measure: ${mainPid === null ? 'the service is not running' : `cannot read ${proc}/${mainPid}/io`}, no /sys/block/${device}`,
      },
      values,
    );
  const parts = {
    vi: [
      ...(daemonBytes !== null ? [`dịch vụ đã ghi ${mb(daemonBytes)}`] : []),
      ...(cardBytes !== null
        ? [`thẻ ${device} đã ghi ${mb(cardBytes)} từ lúc khởi động (${mb(perDay ?? 0)}/ngày)`]
        : []),
    ],
    en: [
      ...(daemonBytes !== null ? [`the service wrote ${mb(daemonBytes)}`] : []),
      ...(cardBytes !== null
        ? [`${device} written ${mb(cardBytes)} since boot (${mb(perDay ?? 0)}/day)`]
        : []),
    ],
  };
  return checked('sd-writes', 'ok', { vi: parts.vi.join('; '), en: parts.en.join('; ') }, NO_FIX, values);
}
