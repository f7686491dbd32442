import { installedPassListHeader, loadPassList } from '../passes/index.js';
import type { LoadedSettings } from '../settings/index.js';
import { ageSeconds, checked, humanAge, NO_FIX, type Said } from './check.js';
import { STALE_SECONDS } from './updates.js';

const RECEIVE: Said = {
  vi: 'kiểm tra dòng broker (trung tâm giữ danh sách trên fleet/passes); trên trung tâm: qrkiosk-hub pass publish',
  en: 'check the broker line (the hub keeps the list retained on fleet/passes); on the hub: qrkiosk-hub pass publish',
};

/**
 * The hub's pass list (<data.dir>/passes.qrkpl, issue #20), verified as the daemon verifies it at start.
 * None is a warning, not a failure: a site may not use printed passes, and the kiosk then decides
 * everything else as before (a card shown is REVIEW `pass-unlisted`). Refused fails: every card is REVIEW.
 */
export function passListCheck(loaded: LoadedSettings, now: Date) {
  const dir = loaded.settings.data.dir;
  const header = installedPassListHeader(dir);
  if (!header)
    return checked(
      'pass-list',
      'warn',
      {
        vi: 'Chưa có danh sách thẻ QR: thẻ in đưa ra đều phải kiểm tra giấy tờ',
        en: 'No pass list installed: every printed pass shown is REVIEW',
      },
      RECEIVE,
      { version: 0, createdAt: null, ageSeconds: null, count: 0 },
    );
  const age = ageSeconds(header.createdAt, now);
  const values = {
    version: header.version,
    createdAt: header.createdAt,
    ageSeconds: age,
    count: header.count,
  };
  try {
    loadPassList(dir, loaded.secrets.hubKeys);
  } catch (err) {
    const why = (err as Error).message;
    return checked(
      'pass-list',
      'fail',
      {
        vi: `Danh sách thẻ QR bị từ chối (${why}): mọi thẻ in đều phải kiểm tra giấy tờ`,
        en: `Pass list refused (${why}): every printed pass is REVIEW`,
      },
      RECEIVE,
      values,
    );
  }
  const ago = age === null ? '?' : humanAge(age);
  const said = {
    vi: `Danh sách thẻ QR phiên bản ${header.version}, ${header.count} thẻ, lập ${ago} trước`,
    en: `Pass list version ${header.version}, ${header.count} passes, made ${ago} ago`,
  };
  return age !== null && age > STALE_SECONDS
    ? checked('pass-list', 'warn', said, RECEIVE, values)
    : checked('pass-list', 'ok', said, NO_FIX, values);
}
