import { mqttOptions } from '@qrkiosk/protocol';
import { connect } from 'mqtt';
import type { LoadedSettings } from '../settings/index.js';
import { kioskLogin } from '../uplink/login.js';
import { checked, NO_FIX } from './check.js';

/** CONNACK codes that mean "this login is refused": 3.1.1 (4, 5) and MQTT 5 (134, 135). */
const LOGIN_REFUSED = new Set([4, 5, 134, 135]);

/** Where TLS says the broker's certificate is not the one expected. */
const TLS_CODE = /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO|ERR_TLS|ERR_SSL/;

type Outcome =
  | { kind: 'connected' }
  | { kind: 'refused'; code: number; message: string }
  | { kind: 'unreachable'; code: string }
  | { kind: 'tls'; code: string; message: string };

/**
 * Logs in as the kiosk does (uplink/login.ts: its user, password file, TLS files), once, without
 * reconnecting, under a client id of its own: the daemon's id would take its session over.
 */
export async function brokerCheck(loaded: LoadedSettings, timeoutMs = 5000) {
  const { mqtt, kiosk } = loaded.settings;
  const url = mqtt.url.replace(/\/\/[^@/]*@/, '//');
  const values = { url, username: mqtt.username ?? null, protocolVersion: mqtt.protocolVersion };
  let login: ReturnType<typeof kioskLogin>;
  try {
    login = kioskLogin(mqtt, `qrkiosk-doctor-${kiosk.site}-${kiosk.id}`, loaded.secrets.mqttPassword);
  } catch (err) {
    return checked(
      'broker',
      'fail',
      {
        vi: `Không đọc được tệp TLS của MQTT (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        en: `Cannot read an MQTT TLS file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      },
      {
        vi: 'kiểm tra mqtt.caFile, mqtt.certFile, mqtt.keyFile trong kiosk.yaml',
        en: 'check mqtt.caFile, mqtt.certFile, mqtt.keyFile in kiosk.yaml',
      },
      values,
    );
  }
  const started = Date.now();
  const outcome = await tryLogin(
    mqtt.url,
    mqttOptions(login, { clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs }),
    timeoutMs,
  );
  const measured = { ...values, ms: Date.now() - started };
  switch (outcome.kind) {
    case 'connected':
      return checked(
        'broker',
        'ok',
        {
          vi: `Broker ${url} nhận đăng nhập${mqtt.username ? ` của ${mqtt.username}` : ''}`,
          en: `Broker ${url} accepted the login${mqtt.username ? ` of ${mqtt.username}` : ''}`,
        },
        NO_FIX,
        measured,
      );
    case 'refused':
      return LOGIN_REFUSED.has(outcome.code)
        ? checked(
            'broker',
            'fail',
            {
              vi: `Broker ${url} từ chối đăng nhập (mã ${outcome.code}: ${outcome.message})`,
              en: `Broker ${url}: login refused (code ${outcome.code}: ${outcome.message})`,
            },
            {
              vi: 'mật khẩu hoặc tên không khớp broker: ghi danh lại kiosk (qrkiosk enrol) hoặc sửa mqtt.username / mqtt.passwordFile; trên broker: mosquitto_passwd',
              en: 'name or password does not match the broker: enrol the kiosk again (qrkiosk enrol) or fix mqtt.username / mqtt.passwordFile; on the broker: mosquitto_passwd',
            },
            { ...measured, code: outcome.code },
          )
        : checked(
            'broker',
            'fail',
            {
              vi: `Broker ${url} từ chối kết nối (mã ${outcome.code}: ${outcome.message})`,
              en: `Broker ${url} refused the connection (code ${outcome.code}: ${outcome.message})`,
            },
            {
              vi: 'xem nhật ký broker; thử mqtt.protocolVersion: 4 nếu broker không hỗ trợ MQTT 5',
              en: 'read the broker log; try mqtt.protocolVersion: 4 if the broker lacks MQTT 5',
            },
            { ...measured, code: outcome.code },
          );
    case 'tls':
      return checked(
        'broker',
        'fail',
        {
          vi: `Broker ${url}: lỗi TLS (${outcome.code}: ${outcome.message})`,
          en: `Broker ${url}: TLS failed (${outcome.code}: ${outcome.message})`,
        },
        {
          vi: 'kiểm tra mqtt.caFile (CA đã ký chứng chỉ broker), tên máy trong mqtt.url, và đồng hồ (chứng chỉ có hạn)',
          en: "check mqtt.caFile (the CA that signed the broker's certificate), the host name in mqtt.url, and the clock (certificates expire)",
        },
        { ...measured, code: outcome.code },
      );
    default:
      return checked(
        'broker',
        'fail',
        {
          vi: `Không tới được broker ${url} (${outcome.code})`,
          en: `Broker ${url} unreachable (${outcome.code})`,
        },
        {
          vi: 'kiểm tra mạng (ping máy broker), broker có đang chạy (systemctl status mosquitto), tường lửa và cổng trong mqtt.url',
          en: 'check the network (ping the broker host), that the broker runs (systemctl status mosquitto), the firewall and the port in mqtt.url',
        },
        { ...measured, code: outcome.code },
      );
  }
}

function tryLogin(url: string, options: ReturnType<typeof mqttOptions>, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = connect(url, options);
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(o);
    };
    // mqtt.js ends a silent connect after connectTimeout with a bare 'close'; this is the backstop.
    const timer = setTimeout(() => finish({ kind: 'unreachable', code: 'timeout' }), timeoutMs + 1000);
    client.on('connect', () => finish({ kind: 'connected' }));
    client.on('error', (err: Error & { code?: string | number }) => {
      if (typeof err.code === 'number') finish({ kind: 'refused', code: err.code, message: err.message });
      else if (err.code && TLS_CODE.test(err.code))
        finish({ kind: 'tls', code: err.code, message: err.message });
      else finish({ kind: 'unreachable', code: err.code ?? err.message });
    });
    const opened = Date.now();
    // Closed before the timeout with no error: the broker hung up (a protocol it does not speak, a ban).
    client.on('close', () =>
      finish({ kind: 'unreachable', code: Date.now() - opened >= timeoutMs ? 'timeout' : 'closed' }),
    );
  });
}
