import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { out, readPasswordFile } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';
import { addUser, changeUser, issueResetCode, listUsers, removeUser } from './use-cases/users.js';
import { UserError } from './user-error.js';

/**
 * `user add|disable|enable|remove|list|reset`, through the same use cases as the page
 * (use-cases/users.ts). Every change ends the user's sessions (in the store) and is audited; `reset`
 * prints a one-time code with which the user sets a new password on the login page. `add` needs a scope: `--sites …`, or `--all-sites` said out loud — a forgotten `--sites`
 * used to mean every site, and an unquoted `*` is expanded by the shell.
 */
export async function userCommand(argv: string[], settings: HubSettings): Promise<number> {
  const [action, ...rest2] = argv;
  const { values } = parseArgs({
    args: rest2,
    options: {
      ...storeFlags(settings),
      phone: { type: 'string' },
      role: { type: 'string' },
      sites: { type: 'string' },
      'all-sites': { type: 'boolean', default: false },
      'password-file': { type: 'string' },
      email: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const fail = (vi: string, en: string) => {
    process.stderr.write(`${vi} / ${en}\n`);
    return 2;
  };
  if (
    !['add', 'disable', 'enable', 'remove', 'list', 'reset'].includes(action ?? '') ||
    (action !== 'list' && !values.phone)
  )
    return fail('Cách dùng: xem qrkiosk-hub --help', 'usage: see qrkiosk-hub --help');
  let scope: string[] = [];
  if (action === 'add') {
    if (!values.role || !values['password-file'])
      return fail(
        'user add cần --phone, --role và --password-file',
        'user add needs --phone, --role and --password-file',
      );
    const sites = (values.sites ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    if (values['all-sites'] && sites.length > 0)
      return fail('Chọn --sites hoặc --all-sites, không cả hai', 'give --sites or --all-sites, not both');
    if (sites.includes('*')) return fail('Dùng --all-sites thay cho "*"', 'use --all-sites instead of "*"');
    if (!values['all-sites'] && sites.length === 0)
      return fail(
        'Cần phạm vi: --sites s-001,district:760,ward:26734 hoặc --all-sites (mọi địa điểm)',
        'a scope is required: --sites s-001,district:760,ward:26734 or --all-sites (every site)',
      );
    scope = values['all-sites'] ? ['*'] : sites;
  }
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  const actor = `${userInfo().username}@cli`;
  const phone = values.phone ?? '';
  try {
    if (action === 'list') {
      const users = await listUsers(store);
      // An address is shown only when there is one: the output for users without stays as it was.
      if (values.json) out(JSON.stringify(users.map(({ email, ...u }) => (email ? { ...u, email } : u))));
      else
        for (const u of users)
          out(
            `${u.phone}  ${u.role.padEnd(10)} ${u.sites.join(',')}${u.disabled ? '  (đã khóa / disabled)' : ''}${u.email ? `  <${u.email}>` : ''}`,
          );
      return 0;
    }
    if (action === 'add') {
      const password = readPasswordFile(values['password-file'] ?? '');
      const { user } = await addUser(
        store,
        actor,
        { phone, password, role: values.role ?? '', sites: scope, email: values.email },
        { replace: true },
      );
      out(
        `Đã lưu / saved user ${user.phone} (${user.role}; sites ${user.sites.join(',')}); các phiên cũ đã đóng / old sessions ended`,
      );
      return 0;
    }
    if (action === 'reset') {
      const issued = await issueResetCode(store, actor, phone);
      out(
        `Mã đặt lại mật khẩu / password reset code for ${issued.phone}: ${issued.code}\n` +
          `Dùng một lần, hết hạn / single use, expires ${issued.expiresAt}; chỉ hiện lần này / shown only now`,
      );
      return 0;
    }
    try {
      if (action === 'remove') await removeUser(store, actor, phone);
      else await changeUser(store, actor, phone, { disabled: action === 'disable' });
    } catch (err) {
      // As before the use cases: an unknown or malformed phone is "no user".
      if (err instanceof UserError && (err.code === 'no-user' || err.code === 'bad-phone'))
        return fail(`Không có tài khoản ${phone}`, `no user ${phone}`);
      throw err;
    }
    const verb = { disable: 'Đã khóa / disabled', enable: 'Đã mở lại / enabled', remove: 'Đã xóa / removed' }[
      action as 'disable' | 'enable' | 'remove'
    ];
    out(`${verb} ${phone}; các phiên đã đóng / sessions ended`);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  } finally {
    await store.close();
  }
}
