import { DATA_KINDS } from '@qrkiosk/protocol';
import type { Clock } from '../clock.js';
import { readFreshness } from '../freshness/offline.js';
import { checked, humanAge, NO_FIX, type Values } from './check.js';

const NAMES = {
  facts: { vi: 'dữ liệu', en: 'facts' },
  rules: { vi: 'quy tắc', en: 'rules' },
  trust: { vi: 'danh sách tin cậy', en: 'trust list' },
  revocation: { vi: 'danh sách thu hồi', en: 'revocation list' },
  passes: { vi: 'danh sách thẻ QR', en: 'pass list' },
} as const;

/**
 * Issue #19: each kind's age on the kiosk's monotonic clock against the limit in the signed rules (what the
 * daemon's `data-stale` fault follows). Stale fails: admissions resting on that data are REVIEW right now.
 */
export function freshnessCheck(loaded: Parameters<typeof readFreshness>[0], clock: Clock) {
  let read: ReturnType<typeof readFreshness>;
  try {
    read = readFreshness(loaded, clock);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    // Fails, as the daemon fails closed: an age that cannot be read is no proof the data is fresh.
    return checked(
      'freshness',
      'fail',
      { vi: `Không đọc được tuổi dữ liệu (${why})`, en: `Cannot read the data ages (${why})` },
      { vi: 'xem nhật ký dịch vụ: journalctl -u qrkiosk', en: 'see the service log: journalctl -u qrkiosk' },
    );
  }
  const { report, stale, file } = read;
  const values: Values = { file };
  const parts: { vi: string[]; en: string[] } = { vi: [], en: [] };
  for (const kind of DATA_KINDS) {
    const k = report[kind];
    values[`${kind}AgeSeconds`] = k?.ageSeconds ?? null;
    values[`${kind}MaxSeconds`] = k?.maxSeconds ?? null;
    values[`${kind}Stale`] = k?.stale ?? false;
    if (!k || k.ageSeconds === null) continue;
    const limit = k.maxSeconds === null ? '∞' : humanAge(k.maxSeconds);
    const mark = k.stale ? ' ✗' : '';
    parts.vi.push(`${NAMES[kind].vi} ${humanAge(k.ageSeconds)}/${limit}${mark}`);
    parts.en.push(`${NAMES[kind].en} ${humanAge(k.ageSeconds)}/${limit}${mark}`);
  }
  if (parts.vi.length === 0)
    return checked(
      'freshness',
      'ok',
      {
        vi: 'Chưa có dữ liệu nào từ trung tâm để tính tuổi',
        en: 'Nothing from the hub installed yet to age',
      },
      NO_FIX,
      values,
    );
  const said = { vi: `Tuổi dữ liệu: ${parts.vi.join(', ')}`, en: `Data age: ${parts.en.join(', ')}` };
  if (stale.size === 0) return checked('freshness', 'ok', said, NO_FIX, values);
  const kinds = [...stale];
  return checked(
    'freshness',
    'fail',
    {
      vi: `${said.vi} — quá cũ: ${kinds.map((k) => NAMES[k].vi).join(', ')}; người vào phải được kiểm tra giấy tờ`,
      en: `${said.en} — too old: ${kinds.map((k) => NAMES[k].en).join(', ')}; admissions are REVIEW`,
    },
    {
      vi: 'kiểm tra dòng broker (kiosk có nhận được từ trung tâm không); trên trung tâm: qrkiosk-hub publish-fresh, hoặc gửi lại bản cập nhật',
      en: 'check the broker line (does the kiosk hear the hub?); on the hub: qrkiosk-hub publish-fresh, or publish the update again',
    },
    values,
  );
}
