import { Type } from '@sinclair/typebox';

/** kiosk.yaml's `signal` section (split from schema.ts to keep it short): patterns and the refusal hold. */
const Intervals = Type.Array(
  Type.Tuple([Type.Integer({ minimum: 0, maximum: 60000 }), Type.Integer({ minimum: 0, maximum: 60000 })]),
  {
    maxItems: 50,
  },
);
const PatternT = Type.Partial(
  Type.Object(
    { green: Intervals, red: Intervals, amber: Intervals, buzzer: Intervals, relay: Intervals },
    { additionalProperties: false },
  ),
);

export const SignalSection = Type.Object(
  {
    refuseHoldMs: Type.Integer({
      minimum: 0,
      maximum: 30000,
      default: 3000,
      description:
        'a refusal stays on the lights and screen at least this long (ms, and at least its whole pattern); a scan meanwhile is decided and recorded, and shown after it',
      viDescription:
        'kết quả từ chối được giữ trên đèn và màn hình ít nhất chừng này (ms, và ít nhất trọn mẫu đèn/còi); lần quét trong lúc đó vẫn được xử lý, ghi lại và hiện sau',
    }),
    reviewButtonSeconds: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 120,
      description:
        'the guard’s admit/deny button resolves the newest REVIEW check-in only if it is at most this old (s); reception resolves any of today’s',
      viDescription:
        'nút cho vào/không cho vào của bảo vệ chỉ xử lý lượt CẦN KIỂM TRA mới nhất nếu chưa quá chừng này (giây); lễ tân xử lý được mọi lượt trong ngày',
    }),
    buttonDebounceMs: Type.Integer({
      minimum: 0,
      maximum: 2000,
      default: 50,
      description: 'presses of a guard button closer together than this (ms) count once (contact bounce)',
      viDescription:
        'các lần bấm nút của bảo vệ cách nhau dưới chừng này (ms) tính là một (chống dội tiếp điểm)',
    }),
    doorEnterSeconds: Type.Integer({
      minimum: 2,
      maximum: 120,
      default: 10,
      description:
        'with gpio.doorSensor: an admitted entry whose door or turnstile did not move within this many seconds is marked "did not enter"',
      viDescription:
        'khi có gpio.doorSensor: lượt được cho vào mà cửa hoặc cổng quay không chuyển động trong chừng này giây thì được ghi "không vào"',
    }),
    patterns: Type.Optional(
      Type.Object(
        {
          ALLOW: Type.Optional(PatternT),
          REFUSE: Type.Optional(PatternT),
          REVIEW: Type.Optional(PatternT),
          ALREADY: Type.Optional(PatternT),
          SCANNER_LOST: Type.Optional(PatternT),
          FAULT: Type.Optional(PatternT),
        },
        {
          additionalProperties: false,
          description:
            'override light/sound patterns: per verdict, per line, a list of [on ms, off ms] intervals',
          viDescription: 'thay mẫu đèn/còi: theo kết quả, theo đường ra, danh sách khoảng [bật ms, tắt ms]',
        },
      ),
    ),
  },
  { default: {}, additionalProperties: false },
);
