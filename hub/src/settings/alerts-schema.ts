import { type Static, Type } from '@sinclair/typebox';

/**
 * hub.yaml `alerts:` (thresholds; 0 or '' turns a rule off) and `notify:` (SMTP, webhooks, who gets
 * what, quiet hours). Kept apart from schema.ts so that file stays one screen per section.
 */
const HHMM = '^([01]\\d|2[0-3]):[0-5]\\d$';
const SCOPE = '^(\\*|[A-Za-z0-9_-]{1,64}|(district|ward):[A-Za-z0-9_-]{1,64})$';
const RULE_OR_ALL =
  '^(\\*|report|silent|scanner|cache|rules|clock|outbox|outbox-age|disk|no-scans|data-stale)$';

const count = (def: number, max: number, en: string, vi: string) =>
  Type.Number({ minimum: 0, maximum: max, default: def, description: en, viDescription: vi });

export const AlertsSection = Type.Object(
  {
    everySeconds: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 30,
      description: 'how often the fleet is checked, in seconds (0: alerts off)',
      viDescription: 'chu kỳ kiểm tra đội kiosk, giây (0: tắt cảnh báo)',
    }),
    silentMinutes: count(
      10,
      10_080,
      'a kiosk heard from longer ago than this is silent (0: off)',
      'kiosk im lặng quá số phút này thì cảnh báo (0: tắt)',
    ),
    offlineMinutes: count(
      0.5,
      10_080,
      'a kiosk whose connection ended (state offline: its goodbye, or the broker dropping it) this long ago is silent too, minutes (0: only silentMinutes)',
      'kiosk đã mất kết nối (trạng thái offline) quá số phút này cũng là im lặng (0: chỉ dùng silentMinutes)',
    ),
    scannerLost: Type.Boolean({
      default: true,
      description: 'alert when a kiosk reports its scanner disconnected',
      viDescription: 'cảnh báo khi kiosk báo mất máy quét',
    }),
    cacheHours: count(
      48,
      8760,
      'alert when the revocation cache is older than this, hours (0: off)',
      'cảnh báo khi bộ đệm cũ hơn số giờ này (0: tắt)',
    ),
    rulesHours: count(
      168,
      8760,
      'alert when the signed rules are older than this, hours (0: off)',
      'cảnh báo khi quy tắc đã ký cũ hơn số giờ này (0: tắt)',
    ),
    dataStale: Type.Boolean({
      default: true,
      description:
        'alert when a kiosk holds data past the age limits in the signed rules (its ALLOWs become REVIEW)',
      viDescription:
        'cảnh báo khi kiosk giữ dữ liệu quá giới hạn tuổi trong quy tắc đã ký (mọi lượt cho phép thành KIỂM TRA)',
    }),
    clockUnsynced: Type.Boolean({
      default: true,
      description: 'alert when a kiosk reports its clock unsynced',
      viDescription: 'cảnh báo khi đồng hồ kiosk chưa đồng bộ',
    }),
    outboxRows: count(
      500,
      10_000_000,
      'alert when more check-ins than this wait in a kiosk outbox (0: off)',
      'cảnh báo khi hàng đợi gửi của kiosk quá số dòng này (0: tắt)',
    ),
    outboxMinutes: count(
      30,
      10_080,
      'alert when the oldest undelivered check-in is older than this, minutes (0: off)',
      'cảnh báo khi check-in chưa gửi cũ nhất quá số phút này (0: tắt)',
    ),
    diskPercent: count(
      90,
      100,
      'alert when the data disk is fuller than this, percent (0: off)',
      'cảnh báo khi đĩa dữ liệu đầy quá phần trăm này (0: tắt)',
    ),
    noScansBy: Type.String({
      pattern: `(${HHMM})|^$`,
      default: '10:00',
      description:
        "a site with kiosks and no scan by this time on a working day, HH:MM Vietnam time ('': off)",
      viDescription:
        "địa điểm có kiosk mà chưa có lượt quét nào trước giờ này trong ngày làm việc, HH:MM giờ Việt Nam ('': tắt)",
    }),
    holidays: Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), {
      default: [],
      description: 'days off besides Saturday and Sunday, YYYY-MM-DD (no-scans does not fire on them)',
      viDescription: 'ngày nghỉ ngoài thứ Bảy, Chủ nhật, YYYY-MM-DD (không cảnh báo chưa có lượt quét)',
    }),
  },
  { additionalProperties: false },
);
export type AlertsSettings = Static<typeof AlertsSection>;

const rules = (def: string[], who: string, vi: string) =>
  Type.Array(Type.String({ pattern: RULE_OR_ALL }), {
    default: def,
    description: `what ${who} are sent: rule ids, * (every alert), report (the daily report)`,
    viDescription: `${vi} nhận gì: mã quy tắc, * (mọi cảnh báo), report (báo cáo ngày)`,
  });

export const WebhookEntry = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://',
      description: 'where the JSON is POSTed',
      viDescription: 'địa chỉ nhận JSON',
    }),
    areas: Type.Array(Type.String({ pattern: SCOPE }), {
      minItems: 1,
      description: 'the areas this hook is for: *, site ids, district:<code>, ward:<code>',
      viDescription: 'địa bàn của webhook: *, mã địa điểm, district:<mã>, ward:<mã>',
    }),
    events: Type.Array(Type.String({ pattern: RULE_OR_ALL }), {
      default: ['*', 'report'],
      description: 'rule ids, * (every alert), report',
      viDescription: 'mã quy tắc, * (mọi cảnh báo), report',
    }),
    secretFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'file with the HMAC key: the body is signed in X-Qrkiosk-Signature: sha256=<hex>',
        viDescription: 'tệp khóa HMAC: nội dung được ký trong X-Qrkiosk-Signature: sha256=<hex>',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookEntry = Static<typeof WebhookEntry>;

export const NotifySection = Type.Object(
  {
    smtp: Type.Object(
      {
        host: Type.String({
          default: '',
          description: "SMTP server ('': no e-mail)",
          viDescription: "máy chủ SMTP ('': không gửi thư)",
        }),
        port: Type.Integer({
          minimum: 1,
          maximum: 65535,
          default: 587,
          description: 'SMTP port (465 with secure: true)',
          viDescription: 'cổng SMTP (465 khi secure: true)',
        }),
        secure: Type.Boolean({
          default: false,
          description: 'TLS from the start (port 465); false: STARTTLS when offered',
          viDescription: 'TLS ngay từ đầu (cổng 465); false: STARTTLS nếu máy chủ hỗ trợ',
        }),
        user: Type.String({
          default: '',
          description: "SMTP login ('': none)",
          viDescription: "tên đăng nhập SMTP ('': không có)",
        }),
        passwordFile: Type.String({
          default: '',
          description: 'file holding the SMTP password (chmod 600)',
          viDescription: 'tệp chứa mật khẩu SMTP (chmod 600)',
        }),
        from: Type.String({
          default: 'qrkiosk-hub <qrkiosk-hub@localhost>',
          description: 'the From: address',
          viDescription: 'địa chỉ người gửi (From:)',
        }),
      },
      { additionalProperties: false },
    ),
    webhooks: Type.Array(WebhookEntry, {
      default: [],
      description: 'JSON POSTs per area (Zalo/Telegram bridges)',
      viDescription: 'gửi JSON theo địa bàn (cầu nối Zalo/Telegram)',
    }),
    webhookTimeoutSeconds: Type.Number({
      exclusiveMinimum: 0,
      maximum: 120,
      default: 10,
      description: 'a webhook call gives up after this, seconds',
      viDescription: 'thời gian chờ một lần gọi webhook, giây',
    }),
    attempts: Type.Integer({
      minimum: 1,
      maximum: 20,
      default: 6,
      description: 'tries per message (30 s, 1, 2, 4… min apart) before it is given up',
      viDescription: 'số lần thử mỗi tin (cách nhau 30 giây, 1, 2, 4… phút) trước khi bỏ',
    }),
    subscriptions: Type.Object(
      {
        admin: rules(['*'], 'admins', 'quản trị'),
        officer: rules(['*', 'report'], 'officers', 'cán bộ'),
        'site-owner': rules(['silent', 'scanner', 'no-scans'], 'site owners', 'chủ địa điểm'),
        tracer: rules([], 'tracers', 'người truy vết'),
      },
      { additionalProperties: false },
    ),
    recipients: Type.Array(
      Type.Object(
        {
          email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }),
          role: Type.Union([
            Type.Literal('admin'),
            Type.Literal('officer'),
            Type.Literal('site-owner'),
            Type.Literal('tracer'),
          ]),
          sites: Type.Array(Type.String({ pattern: SCOPE }), { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description: 'extra mailboxes (a shared inbox), each with a role and a scope like a user',
        viDescription: 'hộp thư thêm (hộp thư chung), mỗi hộp có vai trò và phạm vi như người dùng',
      },
    ),
    quietHours: Type.Object(
      {
        from: Type.String({
          pattern: `(${HHMM})|^$`,
          default: '',
          description: "quiet hours start, HH:MM Vietnam time ('': none)",
          viDescription: "bắt đầu giờ yên lặng, HH:MM giờ Việt Nam ('': không có)",
        }),
        to: Type.String({
          pattern: `(${HHMM})|^$`,
          default: '',
          description: 'quiet hours end: held messages go out then',
          viDescription: 'hết giờ yên lặng: tin giữ lại được gửi lúc này',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type NotifySettings = Static<typeof NotifySection>;
