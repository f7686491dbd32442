import { type Static, Type } from '@sinclair/typebox';
import { DEFAULT_RETENTION_DAYS } from '../use-cases/retention.js';
import { AlertsSection, NotifySection } from './alerts-schema.js';

export { AlertsSection, NotifySection } from './alerts-schema.js';

/**
 * hub.yaml, defined once. Defaults, env overrides (QRKIOSK_HUB_<SECTION>_<KEY>) and the problems
 * `qrkiosk-hub config check` explains all come from this schema; `description` is the fix shown
 * when a value is wrong. Command-line flags override the file and env (cli.ts, settings/load.ts).
 */
export const HttpSection = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description: 'address the page listens on; 127.0.0.1 behind a TLS reverse proxy on the same machine',
      viDescription: 'địa chỉ trang web lắng nghe; 127.0.0.1 khi có proxy TLS trên cùng máy',
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8090,
      description: 'TCP port of the page, 0–65535 (0: any free port)',
      viDescription: 'cổng TCP của trang, 0–65535 (0: cổng trống bất kỳ)',
    }),
    trustProxy: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "the TLS reverse proxy's address(es), e.g. 127.0.0.1: client addresses and https come from it",
        viDescription: 'địa chỉ proxy TLS, ví dụ 127.0.0.1: địa chỉ người dùng và https lấy từ proxy',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MqttSection = Type.Object(
  {
    url: Type.String({
      pattern: '^(mqtts?|wss?)://',
      default: 'mqtt://127.0.0.1:1883',
      description: 'broker URL: mqtt://, mqtts://, ws:// or wss://',
      viDescription: 'địa chỉ broker: mqtt://, mqtts://, ws:// hoặc wss://',
    }),
    protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)], {
      default: 5,
      description: '5 (MQTT 5), or 4 (MQTT 3.1.1) for an old broker',
      viDescription: '5 (MQTT 5), hoặc 4 (MQTT 3.1.1) cho broker cũ',
    }),
    username: Type.String({
      default: '',
      description: 'broker login (hardware/mosquitto: user hub); empty: none',
      viDescription: 'tên đăng nhập broker (hardware/mosquitto: người dùng hub); để trống: không có',
    }),
    passwordFile: Type.String({
      default: '',
      description: 'file holding the broker password (chmod 600), never the password itself',
      viDescription: 'tệp chứa mật khẩu broker (chmod 600), không ghi mật khẩu ở đây',
    }),
    share: Type.String({
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      default: 'hub',
      description:
        'shared-subscription group, so hub processes split the check-ins; none: every connection gets everything (one lane)',
      viDescription:
        'nhóm đăng ký chia sẻ để các tiến trình trung tâm chia nhau check-in; none: mỗi kết nối nhận tất cả (một làn)',
    }),
    // 32 connections: measured best on 2 cores (docs/benchmarks.md); more lanes, bigger batches.
    lanes: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 32,
      description: 'MQTT connections check-ins are taken on, 1–64 (needs a share group when more than 1)',
      viDescription: 'số kết nối MQTT nhận check-in, 1–64 (cần nhóm chia sẻ khi nhiều hơn 1)',
    }),
    clientId: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,60}$',
        description: 'stable MQTT client id of this hub process (default qrkiosk-hub); one per process',
        viDescription:
          'mã client MQTT cố định của tiến trình này (mặc định qrkiosk-hub); mỗi tiến trình một mã',
      }),
    ),
    strictKiosks: Type.Boolean({
      default: false,
      description: 'true: refuse kiosks missing from the register instead of binding them on first use',
      viDescription: 'true: từ chối kiosk chưa đăng ký thay vì gắn kiosk vào địa điểm đầu tiên nó báo',
    }),
  },
  { additionalProperties: false },
);

/**
 * Enrolment (`qrkiosk-hub kiosk add`, POST /api/enrol): what goes into codes and grants. Off until
 * publicUrl and signingKeyFile are set; the deployment key comes from privacy.hashKeyFile.
 */
export const EnrolmentSection = Type.Object(
  {
    publicUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^/?#@\\s]+(/[^?#@\\s]*)?$',
        description:
          'the hub address kiosks reach, put in every code, e.g. https://hub.example.vn (no ?, # or @)',
        viDescription:
          'địa chỉ trung tâm mà kiosk truy cập được, ghi vào mỗi mã, ví dụ https://hub.example.vn (không có ?, # hay @)',
      }),
    ),
    brokerUrl: Type.Optional(
      Type.String({
        pattern: '^(mqtts?|wss?)://',
        description:
          "the broker URL kiosks dial (may differ from the hub's own mqtt.url), e.g. mqtts://hub.example.vn:8883",
        viDescription:
          'địa chỉ broker kiosk kết nối (có thể khác mqtt.url của trung tâm), ví dụ mqtts://hub.example.vn:8883',
      }),
    ),
    brokerCaFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "PEM of the CA the broker's TLS certificate chains to, given to kiosks; none: no CA in the grant",
        viDescription: 'tệp PEM của CA cấp chứng chỉ TLS cho broker, gửi cho kiosk; không có: không gửi CA',
      }),
    ),
    signingKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "the hub's update signing key (qrkiosk-hub keygen: hub-signing.key); grants are signed with it",
        viDescription:
          'khóa ký cập nhật của trung tâm (qrkiosk-hub keygen: hub-signing.key); dùng để ký giấy đăng ký',
      }),
    ),
    codeHours: Type.Number({
      exclusiveMinimum: 0,
      maximum: 720,
      default: 72,
      description: 'hours an enrolment code stays valid, up to 720 (30 days)',
      viDescription: 'số giờ một mã đăng ký còn hiệu lực, tối đa 720 (30 ngày)',
    }),
  },
  { additionalProperties: false },
);

/**
 * Who may scrape GET /metrics (hub/src/metrics/route.ts) besides an admin's session on the page:
 * a Prometheus server with the bearer token, or an address listed here.
 */
export const MetricsSection = Type.Object(
  {
    tokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'file holding the token Prometheus sends as "Authorization: Bearer" (its authorization.credentials_file); chmod 600',
        viDescription:
          'tệp chứa mã Prometheus gửi trong "Authorization: Bearer" (authorization.credentials_file của Prometheus); chmod 600',
      }),
    ),
    allow: Type.Array(Type.String({ pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$' }), {
      default: [],
      description:
        'addresses or CIDR ranges that may scrape without a token, e.g. 10.0.5.7 or 10.0.5.0/24; behind a proxy on this machine only with http.trustProxy',
      viDescription:
        'địa chỉ hoặc dải CIDR được đọc số liệu không cần mã, ví dụ 10.0.5.7 hoặc 10.0.5.0/24; sau proxy trên cùng máy chỉ khi có http.trustProxy',
    }),
  },
  { additionalProperties: false },
);

/**
 * Software releases and rollouts (issue #17, hub/src/updates/). `release add` needs publicKeyFiles; the hub runs
 * rollouts when it can also sign (signingKeyFile, else enrolment.signingKeyFile) and name its address to kiosks
 * (baseUrl, else enrolment.publicUrl).
 */
export const ReleasesSection = Type.Object(
  {
    publicKeyFiles: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'EC P-256 public keys (release-public.pem) a release bundle must be signed with',
      viDescription: 'khóa công khai EC P-256 (release-public.pem) phải ký gói phát hành',
    }),
    baseUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^?#@\\s]+$',
        description: 'the hub address kiosks download releases from (default enrolment.publicUrl)',
        viDescription: 'địa chỉ trung tâm mà kiosk tải bản phát hành (mặc định enrolment.publicUrl)',
      }),
    ),
    signingKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: "the hub's Ed25519 signing key for fleet/software (default enrolment.signingKeyFile)",
        viDescription: 'khóa ký Ed25519 của trung tâm cho fleet/software (mặc định enrolment.signingKeyFile)',
      }),
    ),
    tickSeconds: Type.Number({
      exclusiveMinimum: 0,
      maximum: 3600,
      default: 10,
      description: 'how often running rollouts are checked and moved on',
      viDescription: 'chu kỳ kiểm tra và chuyển giai đoạn các đợt triển khai',
    }),
  },
  { additionalProperties: false },
);

/**
 * Issue #19, data age at the door: the hub re-signs and publishes `fleet/fresh` (what the office publishes now)
 * every freshnessMinutes, so a connected kiosk's unchanged data does not age; a kiosk cut off gets no statement
 * and its data ages towards the limits in the signed rules (use-cases/freshness.ts).
 */
export const FleetSection = Type.Object(
  {
    freshnessMinutes: Type.Integer({
      minimum: 5,
      maximum: 720,
      default: 60,
      description:
        'how often the signed freshness statement (fleet/fresh) is published, 5–720 minutes; keep it well under the shortest limit in the rules',
      viDescription:
        'chu kỳ gửi tuyên bố độ mới có chữ ký (fleet/fresh), 5–720 phút; nên ngắn hơn nhiều so với giới hạn ngắn nhất trong quy tắc',
    }),
    signingKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "the hub's Ed25519 signing key for fleet/fresh (default releases.signingKeyFile, then enrolment.signingKeyFile); none: kiosks go stale",
        viDescription:
          'khóa ký Ed25519 cho fleet/fresh (mặc định releases.signingKeyFile, rồi enrolment.signingKeyFile); không có: dữ liệu trên kiosk sẽ bị coi là quá cũ',
      }),
    ),
    stateDir: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'where the publish-* commands record what they published (their --state-dir; default <dataDir>/fleet)',
        viDescription:
          'nơi các lệnh publish-* ghi những gì đã gửi (--state-dir của chúng; mặc định <dataDir>/fleet)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Printed passes (issue #20): the province this hub's key speaks for, and a pass's default validity. */
export const PassesSection = Type.Object(
  {
    province: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
        description:
          "the province's code (lower-case letters, digits, - _; up to 32), e.g. 79: province-wide passes name it, and kiosks admit them only when the pass list says this province; none: no province passes",
        viDescription:
          'mã tỉnh/thành (chữ thường, số, - _; tối đa 32), ví dụ 79: thẻ toàn tỉnh ghi mã này, kiosk chỉ nhận khi danh sách thẻ ghi đúng tỉnh này; không có: không cấp thẻ toàn tỉnh',
      }),
    ),
    validDays: Type.Integer({
      minimum: 1,
      maximum: 1826,
      default: 365,
      description: 'days a pass is valid when the issuer names none, 1–1826 (five years)',
      viDescription: 'số ngày hiệu lực của thẻ khi người cấp không ghi, 1–1826 (năm năm)',
    }),
    kioskDailyPasses: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 100,
      description:
        "cards one kiosk's reception may print per day (Vietnam time), 1–10000: beyond it the hub refuses (kiosk-pass-cap), logs a warning and audits it once a day — a kiosk prints from check-ins it reported itself, so it can bind a card to any identity hash it knows: this bounds a misused kiosk",
      viDescription:
        'số thẻ tối đa quầy lễ tân của một kiosk được in mỗi ngày (giờ Việt Nam), 1–10000: quá số này trung tâm từ chối (kiosk-pass-cap), ghi cảnh báo vào nhật ký và nhật ký kiểm tra mỗi ngày một lần — kiosk in thẻ từ lượt check-in do chính nó gửi, nên có thể gắn thẻ với bất kỳ mã băm nào nó biết: giới hạn này chặn một kiosk bị lạm dụng',
    }),
  },
  { additionalProperties: false },
);

export const HubSettings = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: '/var/lib/qrkiosk-hub',
      description: 'directory of the SQLite database (hub.db) when no database URL is given',
      viDescription: 'thư mục chứa cơ sở dữ liệu SQLite (hub.db) khi không có địa chỉ database',
    }),
    database: Type.String({
      default: '',
      description: 'postgres://user@host/db for PostgreSQL; an SQLite file; empty: <dataDir>/hub.db',
      viDescription: 'postgres://user@host/db cho PostgreSQL; một tệp SQLite; để trống: <dataDir>/hub.db',
    }),
    http: HttpSection,
    mqtt: MqttSection,
    retention: Type.Object(
      {
        days: Type.Number({
          minimum: 0,
          default: DEFAULT_RETENTION_DAYS,
          description: 'days check-ins and dead letters are kept (the audit log is kept)',
          viDescription: 'số ngày giữ check-in và thư lỗi (nhật ký kiểm tra được giữ lại)',
        }),
      },
      { additionalProperties: false },
    ),
    report: Type.Object(
      {
        at: Type.String({
          pattern: '^([01]\\d|2[0-3]):[0-5]\\d$',
          default: '06:00',
          description: "when yesterday's report is stored, HH:MM Vietnam time, e.g. 06:00",
          viDescription: 'giờ lưu báo cáo ngày hôm trước, HH:MM giờ Việt Nam, ví dụ 06:00',
        }),
      },
      { additionalProperties: false },
    ),
    privacy: Type.Object(
      {
        hashKeyFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'the deployment key file (as on the kiosks), for tracing by number; none: tracing off',
            viDescription:
              'tệp khóa triển khai (như trên kiosk), để truy vết theo số giấy tờ; không có: tắt truy vết',
          }),
        ),
        tracingOffice: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 100,
            // One line of plain text: it is printed on the letterhead of every F1 list.
            pattern:
              '^[^\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff]+$',
            description: 'the health office printed on the F1 list, after "SỞ Y TẾ" (e.g. TP. HỒ CHÍ MINH)',
            viDescription: 'tên sở y tế in trên danh sách F1, sau "SỞ Y TẾ" (ví dụ TP. HỒ CHÍ MINH)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    enrolment: EnrolmentSection,
    metrics: MetricsSection,
    alerts: AlertsSection,
    notify: NotifySection,
    releases: ReleasesSection,
    fleet: FleetSection,
    passes: PassesSection,
  },
  { additionalProperties: false },
);
export type HubSettings = Static<typeof HubSettings>;

/** Sections that may be left out of hub.yaml (their defaults apply): all of them. */
export const HUB_SECTIONS = [
  'http',
  'mqtt',
  'retention',
  'report',
  'privacy',
  'enrolment',
  'metrics',
  'alerts',
  'notify',
  'releases',
  'fleet',
  'passes',
] as const;
