import type { DoctorCheck } from '@qrkiosk/protocol';
import type { LoadedSettings } from '../settings/index.js';
import { checked, type Said, skipped } from './check.js';

/**
 * How the checks of what the hub sends read on an unenrolled kiosk. Before enrolment there is no broker
 * login, and the unenrolled daemon makes no cache.db and no journal (enrolment/mode.ts): their absence
 * is expected, so it is a skip with that reason, never a failure. What is there (left from an earlier
 * enrolment, or installed by hand) is still reported as the check found it — except a signed file
 * refused for want of hub keys, which only enrolment brings: that is a warning.
 */
const NOT_ENROLLED: Said = { vi: 'chưa đăng ký', en: 'not enrolled' };

export const brokerBeforeEnrolment = (loaded: LoadedSettings) =>
  skipped(
    'broker',
    {
      vi: `Bỏ qua: ${NOT_ENROLLED.vi} (chưa có tài khoản broker; đăng ký sẽ tự thử đăng nhập)`,
      en: `Skipped: ${NOT_ENROLLED.en} (no broker login yet; enrolment tries the login itself)`,
    },
    { url: null, username: null, protocolVersion: loaded.settings.mqtt.protocolVersion },
  );

/**
 * The service holds the scanner, and an unenrolled one journals nothing to watch: the test scan is
 * the technician's own eyes on the kiosk.
 */
export const scannerHeldBeforeEnrolment = (loaded: LoadedSettings) =>
  skipped(
    'scanner',
    {
      vi: 'Bỏ qua: dịch vụ (chưa đăng ký) đang giữ máy quét và không ghi nhật ký; quét một mã bất kỳ: màn hình báo "kiosk chưa đăng ký" là máy quét đọc được',
      en: 'Skipped: the (unenrolled) service holds the scanner and keeps no journal; scan any code: the screen saying "kiosk not enrolled" means the scanner reads',
    },
    { type: loaded.settings.scanner.type, path: loaded.settings.scanner.path ?? null, via: null },
  );

const ABSENT: Partial<Record<DoctorCheck['id'], Said>> = {
  cache: { vi: 'trung tâm gửi dữ liệu sau khi đăng ký', en: 'the hub sends the facts after enrolment' },
  'trust-list': {
    vi: 'trung tâm gửi danh sách tin cậy sau khi đăng ký',
    en: 'the hub sends the trust list after enrolment',
  },
  'revocation-list': {
    vi: 'trung tâm gửi danh sách thu hồi sau khi đăng ký',
    en: 'the hub sends the revocation list after enrolment',
  },
  'pass-list': {
    vi: 'trung tâm gửi danh sách thẻ QR sau khi đăng ký',
    en: 'the hub sends the pass list after enrolment',
  },
  outbox: { vi: 'chưa có check-in nào trước khi đăng ký', en: 'no check-ins before enrolment' },
};

/** One hub-data check's answer, read for a kiosk that is not enrolled yet (see above). */
export function beforeEnrolment(c: DoctorCheck, loaded: LoadedSettings): DoctorCheck {
  const absent = ABSENT[c.id];
  const nothing =
    (c.id === 'cache' && c.status === 'warn' && c.values.version === undefined) ||
    (c.id === 'cache' && c.values.version === 0 && c.values.identities === 0) ||
    (c.id === 'trust-list' && c.values.version === 0 && c.status === 'warn') ||
    (c.id === 'revocation-list' && c.values.version === 0) ||
    (c.id === 'pass-list' && c.values.version === 0) ||
    (c.id === 'outbox' && c.values.depth === null && c.status === 'warn');
  if (absent && nothing)
    return skipped(
      c.id,
      { vi: `Bỏ qua: ${NOT_ENROLLED.vi} (${absent.vi})`, en: `Skipped: ${NOT_ENROLLED.en} (${absent.en})` },
      c.values,
    );
  if (
    c.status === 'fail' &&
    (c.id === 'rules' || c.id === 'revocation-list' || c.id === 'pass-list') &&
    loaded.secrets.hubKeys.size === 0
  )
    return checked(
      c.id,
      'warn',
      {
        vi: `${c.message.vi} — chưa đăng ký nên chưa có khóa trung tâm để kiểm tra chữ ký`,
        en: `${c.message.en} — not enrolled, so no hub key to verify it with yet`,
      },
      {
        vi: 'đăng ký kiosk (quét mã đăng ký hoặc qrkiosk enrol MÃ) rồi chạy lại doctor',
        en: 'enrol the kiosk (scan the enrolment code or qrkiosk enrol CODE), then run doctor again',
      },
      c.values,
    );
  return c;
}
