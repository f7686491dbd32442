import type { DocumentKind, Pass } from '@qrkiosk/protocol';
import type { Text } from '../i18n.js';
import type { DccReport } from './dcc/report.js';

/** The kinds `qrkiosk decode` reports: protocol's DocumentKind but `manual`, which never comes from a scan. */
export type DecodedKind = Exclude<DocumentKind, 'manual'>;

/** What a birth-date field shows: null for a part that is starred out. */
export interface BirthParts {
  year: number | null;
  month: number | null;
  day: number | null;
}

export interface Identity {
  documentNumber: string;
  formerNumber: string | null;
  masked: boolean;
  /** NFC, never truncated. */
  name: string;
  /**
   * `YYYY-MM-DD`, or `YYYY` / `YYYY-MM` when only that much is known; null when the year is hidden
   * (a personal QR may star it out; what it shows is in `personal.birth`).
   */
  dateOfBirth: string | null;
  sex: 'M' | 'F' | null;
}

/**
 * What a decode result carries for a verified pass; `holder` is the person's keyed hash (32 hex) from the
 * pass list, `links` their other keyed hashes there (the keys the document reception scanned also has).
 */
export interface PassReport extends Pass {
  holder: string;
  links: string[];
}

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
  /** The same message in both languages, for screens that toggle. */
  text: Text;
}

export interface DecodeResult {
  kind: DecodedKind;
  ok: boolean;
  error?: DecodeError;
  identity?: Identity;
  cccd?: { issueDate: string; address: string };
  bhyt?: { validFrom: string; validTo: string | null; clinic: string };
  personal?: { qid: string; birth: BirthParts };
  dcc?: DccReport;
  /** A printed qrkiosk pass, verified (decode/pass.ts). */
  pass?: PassReport;
}

/** Every reason a payload can fail to decode. Codes are stable: tools and tests depend on them. */
export const DECODE_ERRORS = {
  empty: { vi: 'Mã trống', en: 'Empty code' },
  'too-long': { vi: 'Mã quá dài', en: 'Code too long' },
  'not-text': { vi: 'Mã chứa ký tự điều khiển không hợp lệ', en: 'Code contains invalid control characters' },
  'internal-error': {
    vi: 'Lỗi nội bộ khi giải mã — hãy báo kỹ thuật viên',
    en: 'Internal decoding error — tell the technician',
  },
  'unknown-format': { vi: 'Không nhận ra loại mã này', en: 'Unrecognised code' },
  'location-code': {
    vi: 'Đây là mã QR của địa điểm — hãy đưa mã QR cá nhân',
    en: "This is the place's QR code — please show your personal code",
  },
  'web-link': {
    vi: 'Đây là một đường link, không phải mã cá nhân',
    en: 'This is a web link, not a personal code',
  },
  'cccd-fields': { vi: 'Mã CCCD thiếu trường thông tin', en: 'CCCD code has missing fields' },
  'cccd-number': {
    vi: 'Số CCCD không hợp lệ — phải có đúng 12 chữ số',
    en: 'Invalid CCCD number — it must have exactly 12 digits',
  },
  'cccd-former-number': { vi: 'Số CMND cũ không hợp lệ', en: 'Invalid former ID (CMND) number' },
  'cccd-name': { vi: 'Thiếu họ tên trên mã CCCD', en: 'CCCD code has no name' },
  'cccd-date': { vi: 'Ngày trên mã CCCD không hợp lệ', en: 'Invalid date in CCCD code' },
  'cccd-sex': { vi: 'Giới tính trên mã CCCD không hợp lệ', en: 'Invalid sex field in CCCD code' },
  'cccd-mismatch': {
    vi: 'Số CCCD không khớp với ngày sinh/giới tính — mã có thể bị sửa',
    en: 'CCCD number disagrees with birth date/sex — the code may be altered',
  },
  'bhyt-fields': {
    vi: 'Mã thẻ BHYT thiếu trường hoặc bị cắt',
    en: 'BHYT code has missing or truncated fields',
  },
  'bhyt-card-number': { vi: 'Số thẻ BHYT không hợp lệ', en: 'Invalid BHYT card number' },
  'bhyt-hex': { vi: 'Trường mã hóa trên thẻ BHYT bị hỏng', en: 'Corrupt hex field in BHYT code' },
  'bhyt-date': { vi: 'Ngày trên thẻ BHYT không hợp lệ', en: 'Invalid date in BHYT code' },
  'bhyt-sex': { vi: 'Giới tính trên thẻ BHYT không hợp lệ', en: 'Invalid sex field in BHYT code' },
  'personal-fields': { vi: 'Mã QR cá nhân thiếu trường', en: 'Personal QR has missing fields' },
  'personal-number': {
    vi: 'Số giấy tờ trên mã QR cá nhân không hợp lệ',
    en: 'Invalid document number in personal QR',
  },
  'personal-date': {
    vi: 'Ngày sinh trên mã QR cá nhân không hợp lệ',
    en: 'Invalid birth date in personal QR',
  },
  'personal-qid': { vi: 'Mã QID không hợp lệ', en: 'Invalid QID' },
  'dcc-prefix': {
    vi: 'Hộ chiếu vắc-xin: tiền tố không hợp lệ (cần HC1:)',
    en: 'Vaccine passport: bad prefix (want HC1:)',
  },
  'dcc-base45': { vi: 'Hộ chiếu vắc-xin: mã hóa base45 hỏng', en: 'Vaccine passport: corrupt base45' },
  'dcc-compression': {
    vi: 'Hộ chiếu vắc-xin: dữ liệu nén hỏng',
    en: 'Vaccine passport: corrupt compression',
  },
  'dcc-cose': {
    vi: 'Hộ chiếu vắc-xin: cấu trúc chữ ký hỏng',
    en: 'Vaccine passport: corrupt signature structure',
  },
  'dcc-payload': {
    vi: 'Hộ chiếu vắc-xin: nội dung không đúng cấu trúc',
    en: 'Vaccine passport: malformed content',
  },
  'dcc-unknown-signer': {
    vi: 'Hộ chiếu vắc-xin: không rõ cơ quan ký — chưa tin cậy',
    en: 'Vaccine passport: unknown signer — not trusted',
  },
  'dcc-signature': {
    vi: 'Hộ chiếu vắc-xin: chữ ký không hợp lệ — có thể giả mạo',
    en: 'Vaccine passport: invalid signature — possibly forged',
  },
  'dcc-key-usage': {
    vi: 'Hộ chiếu vắc-xin: cơ quan ký không được phép ký loại chứng nhận này',
    en: 'Vaccine passport: signer not allowed to sign this type',
  },
  'dcc-revoked': {
    vi: 'Hộ chiếu vắc-xin đã bị thu hồi — không được vào',
    en: 'Vaccine passport has been revoked — refused',
  },
  'dcc-signer-validity': {
    vi: 'Hộ chiếu vắc-xin: chứng thư của cơ quan ký không còn hiệu lực khi cấp',
    en: "Vaccine passport: the signer's certificate was not valid when it was issued",
  },
  'dcc-expired': { vi: 'Hộ chiếu vắc-xin đã hết hạn', en: 'Vaccine passport has expired' },
  'dcc-not-yet-valid': { vi: 'Hộ chiếu vắc-xin chưa có hiệu lực', en: 'Vaccine passport is not yet valid' },
  'dcc-schema': {
    vi: 'Hộ chiếu vắc-xin: nội dung sai định dạng chuẩn',
    en: 'Vaccine passport: content fails the schema',
  },
  'pass-invalid': {
    vi: 'Thẻ QR qrkiosk không hợp lệ — chữ ký sai hoặc không do trạm y tế cấp',
    en: 'Invalid qrkiosk pass — bad signature or not issued by the health office',
  },
  'pass-revoked': {
    vi: 'Thẻ QR đã bị thu hồi (báo mất) — kiểm tra giấy tờ',
    en: 'Pass has been revoked (reported lost) — check an ID document',
  },
  'pass-expired': { vi: 'Thẻ QR đã hết hạn — cần cấp thẻ mới', en: 'Pass has expired — a new one is needed' },
  'pass-not-yet-valid': { vi: 'Thẻ QR chưa có hiệu lực', en: 'Pass is not yet valid' },
  'pass-out-of-scope': {
    vi: 'Thẻ QR không dùng được tại địa điểm này',
    en: 'Pass is not valid at this place',
  },
  'pass-unlisted': {
    vi: 'Thẻ chưa có trong danh sách của máy — kiểm tra giấy tờ',
    en: "Pass not yet in this kiosk's list — check documents",
  },
} as const satisfies Record<string, Text>;

export type DecodeErrorCode = keyof typeof DECODE_ERRORS;

export function failure(kind: DecodedKind, code: DecodeErrorCode): DecodeResult {
  const text = DECODE_ERRORS[code];
  return { kind, ok: false, error: { code, message: `${text.vi} / ${text.en}`, text } };
}
