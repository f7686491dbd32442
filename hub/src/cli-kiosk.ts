import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { isId } from '@qrkiosk/protocol';
import { ENROL_USAGE, enrolCommand } from './cli-enrol.js';
import { brokerLogin, fail, out } from './cli-files.js';
import { REQUEST_USAGE } from './cli-request.js';
import { storeFlags } from './cli-settings.js';
import { applyDynsec } from './dynsec.js';
import { writeFileAtomic } from './fleet-state.js';
import { aclFile } from './kiosk-registry.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';

/**
 * `qrkiosk-hub kiosk register|acl|dynsec` — the kiosk → site register and the broker ACL made from it
 * (`kiosk add|revoke|enrolments`: cli-enrol.ts) —
 * and `qrkiosk-hub request` (cli-request.ts). Output: Vietnamese first, then English.
 */
export const KIOSK_USAGE = [
  'qrkiosk-hub kiosk register --kiosk K --site S   (a kiosk speaks for this site only)',
  'qrkiosk-hub kiosk acl --out FILE                (the Mosquitto ACL from the register; then reload mosquitto)',
  'qrkiosk-hub kiosk dynsec --username ADMIN --password-file F [--mqtt URL] [--hub-user hub]   (the register as dynamic-security roles, live)',
  ...ENROL_USAGE,
  REQUEST_USAGE,
];

const common = (s: HubSettings) =>
  ({
    ...storeFlags(s),
    kiosk: { type: 'string' },
    site: { type: 'string' },
    out: { type: 'string' },
    mqtt: { type: 'string', default: s.mqtt.url },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    'hub-user': { type: 'string' },
  }) as const;

export async function kioskCommand(argv: string[], settings: HubSettings): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || argv.includes('--help') || argv.includes('-h')) {
    out(KIOSK_USAGE.join('\n'));
    return action === undefined ? 2 : 0;
  }
  if (action === 'add' || action === 'revoke' || action === 'enrolments')
    return enrolCommand(action, rest, settings);
  const { values } = parseArgs({ args: rest, options: common(settings) });
  if (action !== 'register' && action !== 'acl' && action !== 'dynsec')
    return fail('Lệnh không đúng', KIOSK_USAGE.join('\n'));
  if (action === 'dynsec' && !(values.username && values['password-file']))
    return fail(
      'Cần --username và --password-file của tài khoản quản trị broker (dynamic security)',
      'needs --username and --password-file of the broker admin (dynamic security)',
    );
  if (action === 'register' && !(isId(values.kiosk) && isId(values.site)))
    return fail(
      'Cần --kiosk và --site: chữ thường không dấu, số, - và _ (ví dụ k-001, s-001)',
      '--kiosk and --site are needed: lower-case letters, digits, - and _ (e.g. k-001, s-001)',
    );
  if (action === 'acl' && !values.out) return fail('Cần --out FILE', '--out FILE is needed');
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    if (action === 'register') {
      const b = { kiosk: values.kiosk as string, site: values.site as string, how: 'registered' as const };
      await store.registerKiosk(b, new Date());
      await store.audit(`${userInfo().username}@cli`, 'kiosk-register', { kiosk: b.kiosk, site: b.site });
      out(
        `Đã đăng ký kiosk ${b.kiosk} tại ${b.site}; chạy lại "qrkiosk-hub kiosk acl" / kiosk ${b.kiosk} registered at ${b.site}; run "qrkiosk-hub kiosk acl" again`,
      );
      return 0;
    }
    const bindings = await store.kioskBindings();
    if (action === 'dynsec') {
      const r = await applyDynsec(brokerLogin(values), bindings, {
        ...(values['hub-user'] ? { hubUser: values['hub-user'] } : {}),
      });
      for (const e of r.errors) process.stderr.write(`${e}\n`);
      out(
        `Đã áp dụng vai trò cho ${r.applied} tài khoản, ${r.errors.length} lỗi; đặt mật khẩu kiosk mới bằng "mosquitto_ctrl dynsec setClientPassword K" / roles applied for ${r.applied} logins, ${r.errors.length} errors; set a new kiosk's password with "mosquitto_ctrl dynsec setClientPassword K"`,
      );
      return r.errors.length > 0 ? 1 : 0;
    }
    writeFileAtomic(values.out as string, [Buffer.from(aclFile(bindings), 'utf8')]);
    const firstUse = bindings.filter((b) => b.how === 'first-use').length;
    out(
      `Đã ghi ACL cho ${bindings.length} kiosk (${firstUse} tự gắn lần đầu — kiểm tra) → ${values.out}; rồi "systemctl reload mosquitto" / ACL for ${bindings.length} kiosks (${firstUse} bound on first use — check them) written to ${values.out}; then "systemctl reload mosquitto"`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

export { requestCommand } from './cli-request.js';
