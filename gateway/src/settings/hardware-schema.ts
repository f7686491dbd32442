import { Type } from '@sinclair/typebox';

/** kiosk.yaml's hardware sections: the scanner and the GPIO lines (see schema.ts for the whole file). */
const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400];

const HexId = Type.String({
  pattern: '^[0-9a-fA-F]{4}$',
  description: 'a USB id as 4 hex digits, e.g. 0c2e',
  viDescription: 'mã USB gồm 4 chữ số hex, ví dụ 0c2e',
});

export const ScannerSection = Type.Object(
  {
    type: Type.Union(
      [Type.Literal('serial'), Type.Literal('gm65'), Type.Literal('hid-pos'), Type.Literal('keyboard-wedge')],
      {
        default: 'serial',
        description: 'serial (USB-CDC/UART), gm65 (GM65/GM861-class UART module), hid-pos, or keyboard-wedge',
        viDescription:
          'serial (USB-CDC/UART), gm65 (mô-đun UART kiểu GM65/GM861), hid-pos hoặc keyboard-wedge',
      },
    ),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'device path, e.g. /dev/ttyACM0, /dev/serial/by-id/usb-…, or /dev/hidraw0',
        viDescription: 'đường dẫn thiết bị, ví dụ /dev/ttyACM0, /dev/serial/by-id/usb-… hoặc /dev/hidraw0',
      }),
    ),
    vendorId: Type.Optional(HexId),
    productId: Type.Optional(HexId),
    serialNumber: Type.Optional(Type.String({ minLength: 1 })),
    baudRate: Type.Integer({
      enum: BAUD_RATES,
      default: 9600,
      description: `one of ${BAUD_RATES.join(', ')} (must match the scanner's setting)`,
      viDescription: `một trong ${BAUD_RATES.join(', ')} (phải khớp với cài đặt của máy quét)`,
    }),
    dataBits: Type.Union([Type.Literal(7), Type.Literal(8)], { default: 8 }),
    parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], {
      default: 'none',
    }),
    stopBits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }),
    terminator: Type.Union(
      [Type.Literal('CR'), Type.Literal('LF'), Type.Literal('CRLF'), Type.Literal('none')],
      {
        default: 'CR',
        description: 'what the scanner sends after each code: CR, LF, CRLF, or none (a pause ends the code)',
        viDescription: 'ký tự máy quét gửi sau mỗi mã: CR, LF, CRLF, hoặc none (khoảng lặng kết thúc mã)',
      },
    ),
    interByteTimeoutMs: Type.Integer({
      minimum: 5,
      maximum: 2000,
      default: 60,
      description: 'with terminator none: the pause (ms) that ends a code',
      viDescription: 'khi terminator là none: khoảng lặng (ms) kết thúc một mã',
    }),
    layout: Type.Union([Type.Literal('us'), Type.Literal('uk'), Type.Literal('fr'), Type.Literal('de')], {
      default: 'us',
      description: 'keyboard-wedge only: the keyboard layout the scanner types in (us, uk, fr, de)',
      viDescription: 'chỉ cho keyboard-wedge: kiểu bàn phím máy quét dùng (us, uk, fr, de)',
    }),
    reconnectMinMs: Type.Integer({ minimum: 10, maximum: 60000, default: 250 }),
    reconnectMaxMs: Type.Integer({ minimum: 10, maximum: 300000, default: 5000 }),
    gm65: Type.Object(
      {
        mode: Type.Union([Type.Literal('induction'), Type.Literal('continuous'), Type.Literal('command')], {
          default: 'induction',
          description:
            'type gm65: the read mode the kiosk sets at start — induction (the module reads when something is held in front of it; "sensor mode" in the manual), continuous, or command (the kiosk triggers every triggerIntervalMs)',
          viDescription:
            'loại gm65: chế độ đọc kiosk đặt khi khởi động — induction (mô-đun tự đọc khi có vật đưa vào trước; "sensor mode" trong sổ tay), continuous (đọc liên tục) hoặc command (kiosk kích hoạt mỗi triggerIntervalMs)',
        }),
        triggerIntervalMs: Type.Integer({
          minimum: 50,
          maximum: 60000,
          default: 1000,
          description: 'type gm65, mode command: how often the kiosk triggers a read (ms)',
          viDescription: 'loại gm65, chế độ command: bao lâu kiosk kích hoạt đọc một lần (ms)',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const LedLabels = Type.Object(
  {
    green: Type.String({ default: 'qrkiosk-green', minLength: 1 }),
    red: Type.String({ default: 'qrkiosk-red', minLength: 1 }),
    amber: Type.String({ default: 'qrkiosk-amber', minLength: 1 }),
    buzzer: Type.String({ default: 'qrkiosk-buzzer', minLength: 1 }),
    relay: Type.String({ default: 'qrkiosk-relay', minLength: 1 }),
  },
  { default: {}, additionalProperties: false },
);

export const GpioSection = Type.Object(
  {
    driver: Type.Union(
      [
        Type.Literal('auto'),
        Type.Literal('onoff'),
        Type.Literal('leds'),
        Type.Literal('gpiod'),
        Type.Literal('sim'),
        Type.Literal('none'),
      ],
      {
        default: 'auto',
        description: 'auto, onoff, leds, gpiod, sim or none',
        viDescription: 'auto, onoff, leds, gpiod, sim hoặc none',
      },
    ),
    pins: Type.Object(
      {
        green: Type.String({ default: 'GPIO17', minLength: 1 }),
        red: Type.String({ default: 'GPIO27', minLength: 1 }),
        amber: Type.String({ default: 'GPIO22', minLength: 1 }),
        buzzer: Type.String({ default: 'GPIO23', minLength: 1 }),
        relay: Type.String({ default: 'GPIO24', minLength: 1 }),
      },
      { default: {}, additionalProperties: false },
    ),
    leds: LedLabels,
    buttons: Type.Object(
      {
        admit: Type.Optional(Type.String({ minLength: 1 })),
        deny: Type.Optional(Type.String({ minLength: 1 })),
      },
      {
        default: {},
        additionalProperties: false,
        description:
          'the guard’s "let in" / "refuse" buttons after a REVIEW, e.g. { admit: GPIO5, deny: GPIO6 } (a button to ground; GPIO0–8 are pulled up at boot); read by the onoff driver; none: reception only',
        viDescription:
          'nút "cho vào" / "không cho vào" của bảo vệ sau lượt KIỂM TRA, ví dụ { admit: GPIO5, deny: GPIO6 } (nút nối xuống đất; GPIO0–8 có điện trở kéo lên khi khởi động); driver onoff đọc; không khai báo: chỉ xử lý ở lễ tân',
      },
    ),
    // An object with a default and an optional pin (like `buttons`), not an optional object: the env
    // override pass creates every nested object (protocol/src/settings-load.ts), so an optional one
    // would appear empty and fail. No pin: no sensor.
    doorSensor: Type.Object(
      {
        pin: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'e.g. GPIO16 (same syntax as gpio.buttons); none: no sensor',
            viDescription: 'ví dụ GPIO16 (cùng cách viết như gpio.buttons); bỏ trống: không có cảm biến cửa',
          }),
        ),
        activeLow: Type.Boolean({
          default: true,
          description:
            'true: the sensor reports movement by pulling the line to ground (a contact to ground on a pulled-up pin)',
          viDescription:
            'true: cảm biến báo cửa/cổng quay chuyển động bằng cách kéo chân xuống đất (tiếp điểm nối đất, chân có điện trở kéo lên)',
        }),
        debounceMs: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: 50,
          description: 'edges closer together than this (ms) are one movement (contact bounce)',
          viDescription: 'các lần đổi trạng thái cách nhau dưới chừng này (ms) tính là một (chống dội)',
        }),
      },
      {
        default: {},
        additionalProperties: false,
        description:
          'optional door contact or turnstile rotation sensor (issue #19): after an admitted entry, no movement within signal.doorEnterSeconds marks it "did not enter"; read by the onoff driver',
        viDescription:
          'cảm biến cửa hoặc cổng quay (tùy chọn): sau một lượt được cho vào, nếu không có chuyển động trong signal.doorEnterSeconds thì lượt đó được ghi "không vào"; driver onoff đọc',
      },
    ),
    chip: Type.String({
      default: 'gpiochip0',
      minLength: 1,
      description:
        'gpiod only: the GPIO chip (gpiochip0 on a Pi 4; gpiochip4 or gpiochip0 on a Pi 5, see gpiodetect)',
    }),
    sysfsRoot: Type.String({ default: '/sys', minLength: 1 }),
    relayPulseMs: Type.Integer({
      minimum: 100,
      maximum: 10000,
      default: 1000,
      description: 'how long the door relay is held on ALLOW (ms)',
      viDescription: 'thời gian giữ rơ-le cửa khi cho vào (ms)',
    }),
  },
  { additionalProperties: false },
);
