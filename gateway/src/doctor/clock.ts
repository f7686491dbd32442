import type { Clock } from '../clock.js';
import type { Settings } from '../settings/index.js';
import { readLastGood } from '../time/last-good.js';
import { checked, type Exec, NO_FIX } from './check.js';

/** An offset past this is worth a word even while synced (a slewing clock, a far NTP server). */
const OFFSET_WARN_MS = 1000;

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, min: 60_000 };

/** systemd-timesyncd's offset ("Offset: -1.234ms"), or chrony's ("System time : 0.000012 seconds fast"). */
async function measuredOffsetMs(exec: Exec): Promise<{ ms: number; source: string } | null> {
  const timesync = await exec('timedatectl', ['timesync-status']);
  const m = /Offset:\s*([+-]?[\d.]+)\s*(ns|us|µs|ms|s|min)/.exec(timesync.stdout);
  if (timesync.code === 0 && m) return { ms: Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1), source: 'timesyncd' };
  const chrony = await exec('chronyc', ['tracking']);
  const c = /System time\s*:\s*([\d.]+) seconds (fast|slow)/.exec(chrony.stdout);
  if (chrony.code === 0 && c)
    return { ms: Number(c[1]) * 1000 * (c[2] === 'fast' ? 1 : -1), source: 'chrony' };
  return null;
}

/**
 * Whether the daemon will trust its clock, as ClockWatch decides (time/clock-watch.ts): the clock's
 * own synced flag (systemd-timesyncd's) and no wall clock behind the last good time on disk; plus
 * what timedatectl says and the offset where timesyncd or chrony tells it.
 */
export async function clockCheck(settings: Settings, clock: Clock, exec: Exec) {
  const now = clock.now();
  const flag = clock.synced();
  const show = await exec('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  const ntp = show.code === 0 ? show.stdout.trim() === 'yes' : null;
  const lastGood = readLastGood(settings.data.dir);
  const behind = lastGood !== null && now < lastGood;
  const offset = await measuredOffsetMs(exec);
  const values = {
    now: now.toISOString(),
    synced: flag,
    ntpSynchronized: ntp,
    lastGood: lastGood?.toISOString() ?? null,
    offsetMs: offset ? Math.round(offset.ms * 1000) / 1000 : null,
    offsetSource: offset?.source ?? null,
    assumeSynced: settings.clock.assumeSynced,
  };
  const offsetText = offset ? `${values.offsetMs} ms (${offset.source})` : null;
  const withOffset = (vi: string, en: string) => ({
    vi: `${vi}; lệch ${offsetText ?? 'không rõ'}`,
    en: `${en}; offset ${offsetText ?? 'unknown'}`,
  });
  if (behind)
    return checked(
      'clock',
      'fail',
      withOffset(
        `Đồng hồ (${now.toISOString()}) chậm hơn lần đúng cuối (${lastGood?.toISOString()})`,
        `The clock (${now.toISOString()}) is behind the last good time (${lastGood?.toISOString()})`,
      ),
      {
        vi: 'kiểm tra mạng tới máy chủ NTP; timedatectl set-ntp true; chờ đồng bộ',
        en: 'check the network to the NTP server; timedatectl set-ntp true; wait for sync',
      },
      values,
    );
  if (settings.clock.assumeSynced)
    return checked(
      'clock',
      'warn',
      withOffset(
        'clock.assumeSynced: đồng hồ không được kiểm tra',
        'clock.assumeSynced: the clock is not checked',
      ),
      {
        vi: 'chỉ dùng cho demo; ở cửa thật bỏ clock.assumeSynced và bật NTP',
        en: 'for demos only; at a real door remove clock.assumeSynced and enable NTP',
      },
      values,
    );
  if (!flag)
    return checked(
      'clock',
      'fail',
      withOffset(
        ntp
          ? 'NTP báo đã đồng bộ nhưng không có cờ của systemd-timesyncd: kiosk coi đồng hồ là chưa đồng bộ'
          : 'Đồng hồ chưa đồng bộ: quy tắc theo ngày cho kết quả REVIEW',
        ntp
          ? "NTP says synchronised but systemd-timesyncd's flag is missing: the kiosk treats the clock as unsynced"
          : 'Clock not synchronised: date rules give REVIEW',
      ),
      ntp
        ? {
            vi: 'dùng systemd-timesyncd (systemctl enable --now systemd-timesyncd) thay cho dịch vụ NTP khác',
            en: 'use systemd-timesyncd (systemctl enable --now systemd-timesyncd) instead of another NTP daemon',
          }
        : {
            vi: 'kiểm tra mạng và máy chủ NTP (timedatectl timesync-status); timedatectl set-ntp true',
            en: 'check the network and NTP server (timedatectl timesync-status); timedatectl set-ntp true',
          },
      values,
    );
  const far = offset !== null && Math.abs(offset.ms) > OFFSET_WARN_MS;
  return checked(
    'clock',
    far ? 'warn' : 'ok',
    withOffset('Đồng hồ đã đồng bộ', 'Clock synchronised'),
    far
      ? {
          vi: 'kiểm tra máy chủ NTP (timedatectl timesync-status)',
          en: 'check the NTP server (timedatectl timesync-status)',
        }
      : NO_FIX,
    values,
  );
}
