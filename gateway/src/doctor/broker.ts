import { mqttOptions } from '@qrkiosk/protocol';
import { connect } from 'mqtt';
import type { LoadedSettings } from '../settings/index.js';
import { kioskClientId, kioskLogin } from '../uplink/login.js';
import { checked, NO_FIX, skipped } from './check.js';

/** CONNACK codes that mean "this login is refused": 3.1.1 (4, 5) and MQTT 5 (134, 135). */
const LOGIN_REFUSED = new Set([4, 5, 134, 135]);

/** Where TLS says the broker's certificate is not the one expected. */
const TLS_CODE = /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO|ERR_TLS|ERR_SSL/;

type Outcome =
  | { kind: 'connected' }
  | { kind: 'refused'; code: number; message: string }
  | { kind: 'unreachable'; code: string }
  | { kind: 'tls'; code: string; message: string };

/** The daemon as the doctor found it: running (systemd or its screens answer) and its `STATUS=` line. */
export interface DaemonView {
  running: boolean;
  statusText: string | null;
}

/** The English half of the daemon's STATUS line (systemd/status.ts statusLine) names its broker link. */
const LINK = /\| .*\bhub: (online|offline)\b/;

/**
 * The broker line. The hub pins each kiosk's login to one client id (kioskClientId) and refuses any
 * other at CONNACK, and a second client with that id takes the first one's connection over. So:
 * - the daemon runs: no login (it would kick the daemon off); the daemon's own word on its link is
 *   reported instead — its systemd STATUS line, which follows the uplink's connect/close as they happen
 *   (the freshest and most direct source; the journal's last delivery would also need the hub's receipt);
 * - it does not: log in once as the daemon does (uplink/login.ts: its user, password file, TLS files,
 *   its client id), without reconnecting. Clean start, as the uplink connects: the daemon keeps no
 *   broker session (its outbox is the journal), so nothing it needs is wiped.
 */
export async function brokerCheck(
  loaded: LoadedSettings,
  timeoutMs = 5000,
  daemon: DaemonView = { running: false, statusText: null },
) {
  const { mqtt, kiosk } = loaded.settings;
  const url = mqtt.url.replace(/\/\/[^@/]*@/, '//');
  const values = { url, username: mqtt.username ?? null, protocolVersion: mqtt.protocolVersion };
  if (daemon.running) return daemonLink(url, daemon.statusText, values);
  let login: ReturnType<typeof kioskLogin>;
  try {
    login = kioskLogin(mqtt, kioskClientId(kiosk), loaded.secrets.mqttPassword);
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

/** What the running daemon says of its broker link; the doctor does not log in beside it. */
function daemonLink(url: string, statusText: string | null, values: Record<string, string | number | null>) {
  const link = statusText ? LINK.exec(statusText)?.[1] : undefined;
  const v = { ...values, source: 'systemd-status', statusText };
  if (link === 'online')
    return checked(
      'broker',
      'ok',
      {
        vi: `Dịch vụ đang chạy và báo đã kết nối broker ${url} (theo STATUS của dịch vụ; doctor không đăng nhập thay)`,
        en: `The service runs and reports its broker link ${url} online (its systemd STATUS; doctor does not log in beside it)`,
      },
      NO_FIX,
      v,
    );
  if (link === 'offline')
    return checked(
      'broker',
      'fail',
      {
        vi: `Dịch vụ đang chạy nhưng báo mất kết nối broker ${url} (theo STATUS của dịch vụ)`,
        en: `The service runs but reports its broker link ${url} offline (its systemd STATUS)`,
      },
      {
        vi: 'xem lý do (từ chối đăng nhập hay không tới được): journalctl -u qrkiosk -n 50 | grep uplink; để doctor tự đăng nhập thử: systemctl stop qrkiosk, chạy lại doctor, rồi systemctl start qrkiosk',
        en: 'see why (login refused or unreachable): journalctl -u qrkiosk -n 50 | grep uplink; for doctor to try the login itself: systemctl stop qrkiosk, run doctor again, then systemctl start qrkiosk',
      },
      v,
    );
  return skipped(
    'broker',
    {
      vi: 'Kiosk đang chạy và giữ phiên broker (mỗi kiosk một phiên): doctor không đăng nhập thay, và không có STATUS của systemd để đọc — xem dòng outbox, hoặc dừng dịch vụ rồi chạy lại doctor',
      en: 'The kiosk runs and holds the broker session (one per kiosk): doctor does not log in beside it, and there is no systemd STATUS to read — see the outbox line, or stop the service and run doctor again',
    },
    { ...values, source: null, statusText },
  );
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
