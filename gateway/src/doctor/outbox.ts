import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../settings/index.js';
import { ageSeconds, checked, humanAge, NO_FIX } from './check.js';
import { outboxState } from './journal-view.js';

/** A check-in the hub has not receipted after this long: the link is down, or the hub is silent. */
const LATE_SECONDS = 10 * 60;
/** After this the hub's view of the site is days behind; fail, so the technician fixes the link now. */
const STUCK_SECONDS = 3 * 86_400;

/**
 * Check-ins journaled but not receipted by the hub (the uplink's outbox: `delivered_at IS NULL`),
 * and the oldest of them. Read only from journal.db, beside a running daemon.
 */
export function outboxCheck(settings: Settings, now: Date) {
  const file = join(settings.data.dir, 'journal.db');
  if (!existsSync(file))
    return checked(
      'outbox',
      'warn',
      {
        vi: 'Chưa có nhật ký (journal.db): kiosk chưa từng chạy ở đây',
        en: 'No journal (journal.db): the kiosk never ran here',
      },
      { vi: 'khởi động dịch vụ: systemctl start qrkiosk', en: 'start the service: systemctl start qrkiosk' },
      { file, depth: null, oldestAt: null, oldestAgeSeconds: null },
    );
  let state: ReturnType<typeof outboxState>;
  try {
    state = outboxState(settings.data.dir);
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return checked(
      'outbox',
      'fail',
      { vi: `Không đọc được nhật ký (${code})`, en: `Cannot read the journal (${code})` },
      {
        vi: 'chạy doctor bằng quyền root; nếu tệp hỏng, dịch vụ sẽ đổi tên nó khi khởi động lại',
        en: 'run doctor as root; a corrupt file is renamed aside by the service at its next start',
      },
      { file, depth: null, oldestAt: null, oldestAgeSeconds: null },
    );
  }
  const age = ageSeconds(state.oldestAt, now);
  const values = {
    file,
    depth: state.depth,
    ...(state.atLeast ? { depthAtLeast: true } : {}),
    oldestAt: state.oldestAt,
    oldestAgeSeconds: age,
    maxUndelivered: settings.data.maxUndelivered,
  };
  if (state.depth === 0)
    return checked(
      'outbox',
      'ok',
      {
        vi: 'Hộp thư đi trống: trung tâm đã xác nhận mọi check-in',
        en: 'Outbox empty: the hub receipted every check-in',
      },
      NO_FIX,
      values,
    );
  const depth = `${state.atLeast ? '≥ ' : ''}${state.depth}`;
  const said = {
    vi: `${depth} check-in chưa được trung tâm xác nhận, cũ nhất ${state.oldestAt} (${age === null ? '?' : humanAge(age)} trước)`,
    en: `${depth} check-ins not receipted by the hub, oldest ${state.oldestAt} (${age === null ? '?' : humanAge(age)} ago)`,
  };
  const fix = {
    vi: 'xem dòng broker và service; check-in được gửi lại tự động khi kết nối lại, không cần làm gì với nhật ký',
    en: 'see the broker and service lines; check-ins are sent again by themselves once connected, leave the journal alone',
  };
  const nearCap = state.depth >= settings.data.maxUndelivered * 0.9;
  if (nearCap || (age !== null && age > STUCK_SECONDS)) return checked('outbox', 'fail', said, fix, values);
  if (age !== null && age > LATE_SECONDS) return checked('outbox', 'warn', said, fix, values);
  return checked('outbox', 'ok', said, NO_FIX, values);
}
