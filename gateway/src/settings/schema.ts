import { ID_PATTERN, VERDICTS } from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { GpioSection, ScannerSection } from './hardware-schema.js';
import { SignalSection } from './signal-schema.js';

export { GpioSection, ScannerSection } from './hardware-schema.js';
export { SignalSection } from './signal-schema.js';

/**
 * kiosk.yaml, defined once. Defaults, env overrides (QRKIOSK_<SECTION>_<KEY>) and the error
 * messages in `qrkiosk config check` are all derived from this schema; `description` is the
 * fix a technician is shown when a value is wrong.
 */
export const KioskSection = Type.Object(
  {
    id: Type.String({
      pattern: ID_PATTERN,
      description:
        'kiosk id: lower-case letters, digits, - and _, e.g. k-001 (it becomes an MQTT topic level)',
      viDescription: 'mã kiosk: chữ thường không dấu, số, - và _, ví dụ k-001 (dùng làm một cấp chủ đề MQTT)',
    }),
    site: Type.String({
      pattern: ID_PATTERN,
      description: 'site id: lower-case letters, digits, - and _, e.g. s-001',
      viDescription: 'mã địa điểm: chữ thường không dấu, số, - và _, ví dụ s-001',
    }),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')], {
      default: 'in',
      description: 'in for an entrance, out for an exit',
      viDescription: 'in cho lối vào, out cho lối ra',
    }),
  },
  { additionalProperties: false },
);

export const MqttSection = Type.Object(
  {
    url: Type.String({
      pattern: '^(mqtt|mqtts|ws|wss)://',
      default: 'mqtt://127.0.0.1:1883',
      description: 'broker URL, e.g. mqtt://127.0.0.1:1883 or mqtts://hub.example:8883',
      viDescription: 'địa chỉ broker, ví dụ mqtt://127.0.0.1:1883 hoặc mqtts://hub.example:8883',
    }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    passwordFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'path to a file holding only the password',
        viDescription: 'đường dẫn tệp chỉ chứa mật khẩu',
      }),
    ),
    caFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: "CA certificate (PEM) that signed the broker's TLS certificate, for mqtts://",
      }),
    ),
    certFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'client certificate (PEM), when the broker authenticates kiosks by certificate',
      }),
    ),
    keyFile: Type.Optional(
      Type.String({ minLength: 1, description: "the client certificate's private key (PEM)" }),
    ),
    telemetrySeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60 }),
    messageExpiryHours: Type.Integer({
      minimum: 1,
      maximum: 8760,
      default: 504,
      description:
        'MQTT 5 message expiry for check-ins held by a broker (default 21 days, the retention of check-ins)',
    }),
    receiptTimeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 30,
      description:
        'a check-in the broker took but the hub has not receipted after this long is sent again (same id; doubles while the hub is silent, up to 15 min)',
      viDescription:
        'check-in đã tới broker nhưng trung tâm chưa xác nhận sau chừng này giây thì gửi lại (cùng mã; tăng gấp đôi khi trung tâm im lặng, tối đa 15 phút)',
    }),
    protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)], {
      default: 5,
      description: '5 (MQTT 5) or 4 (MQTT 3.1.1, for brokers without MQTT 5)',
      viDescription: '5 (MQTT 5) hoặc 4 (MQTT 3.1.1, cho broker không hỗ trợ MQTT 5)',
    }),
  },
  { additionalProperties: false },
);

export const DataSection = Type.Object(
  {
    dir: Type.String({
      minLength: 1,
      default: '/var/lib/qrkiosk',
      description: 'writable folder for the journal and cache',
      viDescription: 'thư mục ghi được cho nhật ký và bộ nhớ đệm',
    }),
    keepDeliveredDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      default: 21,
      description: 'days a delivered check-in stays in the kiosk journal (the hub keeps the copy)',
      viDescription: 'số ngày giữ check-in đã gửi trong nhật ký kiosk (trung tâm giữ bản chính)',
    }),
    maxUndelivered: Type.Integer({
      minimum: 1000,
      maximum: 10000000,
      default: 1000000,
      description: 'undelivered check-ins kept at most; past it the oldest are dropped and logged as errors',
      viDescription: 'số check-in chưa gửi giữ tối đa; vượt quá thì bỏ bản cũ nhất và ghi lỗi',
    }),
  },
  { additionalProperties: false },
);

export const UiSection = Type.Object(
  {
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8080,
      description: 'TCP port of the kiosk screens (/ and /reception); 0 turns them off',
      viDescription: 'cổng TCP của màn hình kiosk (/ và /reception); 0 để tắt',
    }),
    host: Type.String({
      default: '127.0.0.1',
      description:
        'address the screens listen on: 127.0.0.1 for the kiosk display only; 0.0.0.0 for a reception PC too, only with ui.receptionPinFile',
      viDescription:
        'địa chỉ lắng nghe: 127.0.0.1 chỉ cho màn hình kiosk; 0.0.0.0 để máy lễ tân cùng xem, chỉ khi có ui.receptionPinFile',
    }),
    publicReason: Type.Union([Type.Literal('neutral'), Type.Literal('specific')], {
      default: 'neutral',
      description:
        'what the public verdict screen says of a health reason (F0, F1, card colour): neutral ("please go to the health check desk"; the reason is on /reception and in the log) or specific (the reason, without the name)',
      viDescription:
        'màn hình công cộng nói gì về lý do sức khỏe (F0, F1, màu thẻ): neutral ("Mời đến bàn kiểm tra y tế"; lý do ở trang /reception và trong log) hoặc specific (nêu lý do, không kèm tên)',
    }),
    receptionPinFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'file holding the reception PIN (6+ characters): asked once of every other machine opening the screens',
        viDescription: 'tệp chứa mã PIN lễ tân (từ 6 ký tự): máy khác mở màn hình phải nhập một lần',
      }),
    ),
    metricsTokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'file holding the token another machine (Prometheus) sends as "Authorization: Bearer" to read /metrics; none: only this machine reads them',
        viDescription:
          'tệp chứa mã mà máy khác (Prometheus) gửi trong "Authorization: Bearer" để đọc /metrics; không có: chỉ chính máy kiosk đọc được',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RulesSection = Type.Object(
  {
    level: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 4,
        description:
          'epidemic level 1–4 (Resolution 128/NQ-CP) at this site, unless the signed rules file sets it',
        viDescription:
          'cấp độ dịch 1–4 (Nghị quyết 128/NQ-CP) tại địa điểm, nếu tệp quy tắc có chữ ký không quy định',
      }),
    ),
    unknownPerson: Type.Optional(
      Type.Union(
        VERDICTS.map((v) => Type.Literal(v)),
        {
          description: 'verdict for a person the cache knows nothing about: ALLOW, REFUSE or REVIEW',
          viDescription: 'kết quả cho người chưa có dữ liệu: ALLOW, REFUSE hoặc REVIEW',
        },
      ),
    ),
    maxInside: Type.Optional(
      Type.Object(
        Object.fromEntries(
          ['1', '2', '3', '4'].map((l) => [
            l,
            Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          ]),
        ),
        {
          additionalProperties: false,
          description:
            'most people inside the site at once, per epidemic level ("1": 500, "3": 50); at the limit the next entry is REVIEW; unless the signed rules file sets it',
          viDescription:
            'số người tối đa trong địa điểm cùng lúc theo cấp độ dịch ("1": 500, "3": 50); đủ số thì lượt vào tiếp theo là REVIEW; nếu tệp quy tắc có chữ ký không quy định',
        },
      ),
    ),
    duplicateWindowSeconds: Type.Integer({
      minimum: 0,
      maximum: 86400,
      default: 60,
      description: 'seconds in which a second scan of the same person is "already checked in" (0 = off)',
      viDescription: 'số giây mà lần quét lại cùng một người được coi là "đã check-in" (0 = tắt)',
    }),
    file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'signed rules file from the hub (default: <data.dir>/rules.json, with rules.json.sig beside it)',
        viDescription:
          'tệp quy tắc có chữ ký của trung tâm (mặc định <data.dir>/rules.json, kèm rules.json.sig)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UpdatesSection = Type.Object(
  {
    publicKeyFiles: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: "the hub's Ed25519 public keys (PEM files) trusted for cache updates and rules",
      viDescription:
        'khóa công khai Ed25519 (tệp PEM) của trung tâm, dùng để kiểm tra cập nhật dữ liệu và quy tắc',
    }),
  },
  { additionalProperties: false },
);

/**
 * Software updates of the kiosk itself (issue #17): signed release bundles from the hub, installed side by side
 * under `root` (/opt/qrkiosk-<v>/, /opt/qrkiosk → the running one) by `qrkiosk update apply`, a process apart from the daemon
 * (hardware/qrkiosk-update.service), which restarts the service, checks it and switches back when it is not healthy.
 */
export const SoftwareSection = Type.Object(
  {
    root: Type.String({
      minLength: 1,
      default: '/opt',
      description: 'the folder holding qrkiosk-<version>/ folders and the qrkiosk link to the running one',
      viDescription: 'thư mục chứa các thư mục qrkiosk-<phiên bản>/ và liên kết qrkiosk tới bản đang chạy',
    }),
    releaseKeyFiles: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'EC P-256 public keys (PEM) release bundles are signed with (release-public.pem); none: no software updates',
      viDescription:
        'khóa công khai EC P-256 (PEM) ký các bản phát hành (release-public.pem); không có: không cập nhật phần mềm',
    }),
    restartCommand: Type.String({
      minLength: 1,
      default: 'systemctl restart qrkiosk',
      description:
        'restarts the daemon and exits 0 only once it said READY (systemctl does so for a Type=notify unit)',
      viDescription:
        'khởi động lại dịch vụ; thoát 0 chỉ khi dịch vụ đã báo READY (systemctl làm vậy với Type=notify)',
    }),
    checkCommands: Type.Array(Type.String({ minLength: 1 }), {
      default: ['"$QRKIOSK_BIN" doctor --no-scan -c "$QRKIOSK_CONFIG"'],
      description:
        'shell commands that must all exit 0 after READY for a new version to be kept ($QRKIOSK_BIN, $QRKIOSK_CONFIG, $QRKIOSK_VERSION, $QRKIOSK_ROOT set)',
      viDescription:
        'các lệnh shell phải thoát 0 sau READY thì phiên bản mới mới được giữ ($QRKIOSK_BIN, $QRKIOSK_CONFIG, $QRKIOSK_VERSION, $QRKIOSK_ROOT)',
    }),
    readySeconds: Type.Integer({
      minimum: 5,
      maximum: 600,
      default: 120,
      description: 'how long the restart (up to READY) and each check may take',
      viDescription: 'thời gian tối đa cho việc khởi động lại (đến READY) và cho mỗi lệnh kiểm tra',
    }),
    applyCommand: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'argv the daemon starts, detached, once a bundle is downloaded; empty: qrkiosk-update.path starts the installer',
      viDescription:
        'lệnh daemon chạy (tách riêng) khi đã tải xong bản cập nhật; để trống: qrkiosk-update.path khởi chạy trình cài đặt',
    }),
  },
  { additionalProperties: false },
);

export const DccSection = Type.Object(
  {
    trustFiles: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'vaccine-passport signer certificates (PEM or DER files); <data.dir>/dcc-trust/ is read too',
      viDescription:
        'chứng thư ký hộ chiếu vắc-xin (tệp PEM hoặc DER); thư mục <data.dir>/dcc-trust/ cũng được đọc',
    }),
  },
  { additionalProperties: false },
);

export const PrivacySection = Type.Object(
  {
    hashKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'file with the deployment key for identity hashes (32+ random bytes, hex or raw)',
        viDescription: 'tệp khóa triển khai để băm định danh (32+ byte ngẫu nhiên, hex hoặc nhị phân)',
      }),
    ),
    tracingPublicKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "the deployment's tracing public key (tracing.pub from qrkiosk-hub tracing-key init): each check-in's full identity is sealed to it; without it, contacts of this kiosk cannot be revealed",
        viDescription:
          'khóa công khai truy vết của triển khai (tracing.pub do qrkiosk-hub tracing-key init tạo): danh tính đầy đủ của mỗi lượt check-in được niêm phong bằng khóa này; không có thì không mở được danh sách tiếp xúc của kiosk này',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ClockSection = Type.Object(
  {
    assumeSynced: Type.Boolean({
      default: false,
      description:
        'true only for demos and test rigs with no NTP: date rules then trust the wall clock unchecked (never at a real door)',
      viDescription:
        'true chỉ cho demo và máy thử không có NTP: quy tắc ngày tin đồng hồ mà không kiểm tra (không bao giờ dùng ở cửa thật)',
    }),
  },
  { additionalProperties: false },
);

export const LogSection = Type.Object(
  {
    level: Type.Union(
      [
        Type.Literal('debug'),
        Type.Literal('info'),
        Type.Literal('warn'),
        Type.Literal('error'),
        Type.Literal('silent'),
      ],
      {
        default: 'info',
        description: 'debug, info, warn, error or silent',
        viDescription: 'debug, info, warn, error hoặc silent',
      },
    ),
  },
  { additionalProperties: false },
);

export const Settings = Type.Object(
  {
    kiosk: KioskSection,
    scanner: ScannerSection,
    gpio: GpioSection,
    mqtt: MqttSection,
    data: DataSection,
    ui: UiSection,
    rules: RulesSection,
    updates: UpdatesSection,
    software: SoftwareSection,
    dcc: DccSection,
    signal: SignalSection,
    privacy: PrivacySection,
    clock: ClockSection,
    log: LogSection,
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;

/** Sections a config file may leave out entirely (all their keys have defaults). */
export const OPTIONAL_SECTIONS = [
  'scanner',
  'gpio',
  'mqtt',
  'data',
  'ui',
  'rules',
  'software',
  'signal',
  'privacy',
  'clock',
  'log',
] as const;
