import type { Text } from './text.js';

/**
 * One coded error for user management (the zwave-js way: one type, an enum of codes), thrown by
 * users.ts and use-cases/users.ts and shown as is by the CLI (`vi / en` on standard error, exit 2)
 * and the HTTP routes (`{ error: { vi, en } }` with `status`).
 */
export type UserErrorCode =
  | 'bad-phone'
  | 'bad-password'
  | 'bad-role'
  | 'bad-scope'
  | 'bad-email'
  | 'no-user'
  | 'user-exists'
  | 'last-admin'
  | 'wrong-password'
  | 'code-wrong'
  | 'code-used'
  | 'code-expired'
  | 'code-withdrawn'
  | 'too-many-attempts';

/** The status each code answers with over HTTP. */
export const USER_ERROR_STATUS: Record<UserErrorCode, number> = {
  'bad-phone': 400,
  'bad-password': 400,
  'bad-role': 400,
  'bad-scope': 400,
  'bad-email': 400,
  'no-user': 404,
  'user-exists': 409,
  'last-admin': 409,
  'wrong-password': 403,
  'code-wrong': 400,
  'code-used': 410,
  'code-expired': 410,
  'code-withdrawn': 410,
  'too-many-attempts': 429,
};

/** The fixed texts; codes that name something (a scope, an address, a wait) are given theirs. */
const TEXT: Partial<Record<UserErrorCode, Text>> = {
  'bad-phone': { vi: 'Không phải số điện thoại Việt Nam', en: 'not a Vietnamese phone number' },
  'no-user': { vi: 'Không có tài khoản này', en: 'no such user' },
  'user-exists': {
    vi: 'Số điện thoại này đã có tài khoản; hãy sửa tài khoản đó',
    en: 'this phone number already has an account; edit it instead',
  },
  'last-admin': {
    vi: 'Không thể khóa, hạ vai trò hay xóa quản trị viên cuối cùng còn hoạt động',
    en: 'the last enabled admin cannot be disabled, demoted or removed',
  },
  'wrong-password': { vi: 'Mật khẩu hiện tại không đúng', en: 'the current password is wrong' },
  'code-wrong': {
    vi: 'Số điện thoại hoặc mã đặt lại không đúng',
    en: 'wrong phone number or reset code',
  },
  'code-used': { vi: 'Mã đặt lại này đã được dùng', en: 'this reset code has been used already' },
  'code-expired': {
    vi: 'Mã đặt lại này đã hết hạn; xin quản trị viên mã mới',
    en: 'this reset code has expired; ask an admin for a new one',
  },
  'code-withdrawn': {
    vi: 'Mã đặt lại này đã được thay bằng mã mới hơn',
    en: 'this reset code was replaced by a newer one',
  },
};

export class UserError extends Error {
  readonly status: number;
  readonly text: Text;

  constructor(
    readonly code: UserErrorCode,
    text?: Text,
    /** The CLI's line, when it differs from `vi / en` (kept as earlier releases printed it). */
    message?: string,
  ) {
    const t = text ?? TEXT[code] ?? { vi: code, en: code };
    super(message ?? `${t.vi} / ${t.en}`);
    this.name = 'UserError';
    this.status = USER_ERROR_STATUS[code];
    this.text = t;
  }

  /** What Fastify's error handler (routes/access.ts) answers with, next to `text`. */
  get statusCode(): number {
    return this.status;
  }
}
