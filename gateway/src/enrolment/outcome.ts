import { type Bilingual, ENROLMENT_REFUSALS, type EnrolmentRefusal } from '@qrkiosk/protocol';

/**
 * Why an enrolment did not finish: the hub's refusals (protocol's ENROLMENT_REFUSALS), and what only the
 * kiosk can find out — the new kiosk.yaml failed its own loader, or the broker refused or missed the login.
 */
export const KIOSK_ENROL_FAILURES = {
  'config-invalid': {
    vi: 'Không ghi được kiosk.yaml hoặc thư mục dữ liệu (chạy bằng sudo? tệp cũ không đọc được? cấu hình mới không hợp lệ?) — chạy qrkiosk config check',
    en: 'Cannot write kiosk.yaml or the data folder (run with sudo? old file unreadable? new config invalid?) — run qrkiosk config check',
  },
  'broker-login-refused': {
    vi: 'Đã nhận cấu hình nhưng broker từ chối đăng nhập — báo trung tâm (tài khoản broker của kiosk); kiosk khởi động lại và tiếp tục thử kết nối broker',
    en: 'Configuration received, but the broker refused the login — tell the hub (the kiosk’s broker account); the kiosk restarts and keeps trying to reach the broker',
  },
  'broker-unreachable': {
    vi: 'Đã nhận cấu hình nhưng không kết nối được broker — kiểm tra mạng; kiosk khởi động lại và tiếp tục thử kết nối broker',
    en: 'Configuration received, but the broker cannot be reached — check the network; the kiosk restarts and keeps trying to reach the broker',
  },
} as const satisfies Record<string, Bilingual>;

export type EnrolFailure = EnrolmentRefusal | keyof typeof KIOSK_ENROL_FAILURES;

export const enrolMessage = (reason: EnrolFailure): Bilingual =>
  reason in KIOSK_ENROL_FAILURES
    ? KIOSK_ENROL_FAILURES[reason as keyof typeof KIOSK_ENROL_FAILURES]
    : ENROLMENT_REFUSALS[reason as EnrolmentRefusal];

/**
 * `qrkiosk enrol` exit codes, one per thing the technician does next (documented in --help and in
 * docs/technician-guide.md): 2 fix the code or the file, 3 ask the hub for a new code, 4 fix the network
 * to the hub, 5 the kiosk is configured but cannot log in to the broker, 6 the answer was not the hub's.
 */
export const ENROL_EXIT = {
  ok: 0,
  usage: 2,
  refused: 3,
  hubUnreachable: 4,
  broker: 5,
  grantInvalid: 6,
} as const;

export function exitCodeOf(reason: EnrolFailure): number {
  switch (reason) {
    case 'code-malformed':
    case 'config-invalid':
      return ENROL_EXIT.usage;
    case 'hub-unreachable':
      return ENROL_EXIT.hubUnreachable;
    case 'grant-invalid':
      return ENROL_EXIT.grantInvalid;
    case 'broker-login-refused':
    case 'broker-unreachable':
      return ENROL_EXIT.broker;
    default:
      return ENROL_EXIT.refused;
  }
}
