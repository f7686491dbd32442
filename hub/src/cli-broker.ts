import { parseArgs } from 'node:util';
import { BrokerInitError, initBroker } from './broker-init.js';
import { fail, out } from './cli-files.js';

export const BROKER_USAGE = [
  "qrkiosk-hub broker init --dir DIR --port N [--hub-user USER]     (DIR/mosquitto.conf with dynamic security, and DIR/hub.password: the hub's broker login, given to USER — the hub service's user — when run as root; then mosquitto -c DIR/mosquitto.conf)",
];

/** `qrkiosk-hub broker init --dir DIR --port N` (broker-init.ts). */
export function brokerCommand(argv: string[]): number {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { dir: { type: 'string' }, port: { type: 'string' }, 'hub-user': { type: 'string' } },
  });
  if (action !== 'init' || !values.dir || !values.port)
    return fail(`Cần: ${BROKER_USAGE[0]}`, `usage: ${BROKER_USAGE[0]}`);
  try {
    const hubUser = values['hub-user'];
    const r = initBroker({ dir: values.dir, port: Number(values.port), ...(hubUser ? { hubUser } : {}) });
    out(
      `Đã ghi ${r.conf} và ${r.passwordFile} (tài khoản broker "hub" của trung tâm, chmod 600); chạy: mosquitto -c ${r.conf} / wrote ${r.conf} and ${r.passwordFile} (the hub's broker login "hub", mode 600); run: mosquitto -c ${r.conf}`,
    );
    out(
      `hub.yaml: mqtt: { username: hub, passwordFile: ${r.passwordFile} } — tài khoản này quản trị broker và tạo tài khoản kiosk khi đăng ký / this login administers the broker and makes kiosk logins on enrolment`,
    );
    if (r.chownHint)
      out(
        `${r.passwordFile} thuộc root: cho người dùng của dịch vụ trung tâm đọc được bằng lệnh sau (hoặc chạy lại với --hub-user) / it belongs to root: let the hub service's user read it with (or use --hub-user):\n  ${r.chownHint}`,
      );
    return 0;
  } catch (err) {
    if (err instanceof BrokerInitError) return fail(err.vi, err.message);
    throw err;
  }
}
