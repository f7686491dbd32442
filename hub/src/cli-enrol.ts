import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { DIRECTIONS, type Direction, isId } from '@qrkiosk/protocol';
import { pino } from 'pino';
import QRCode from 'qrcode';
import { brokerLogin, fail, out } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import { KioskAccountConflict, KioskLogins } from './dynsec-accounts.js';
import { EnrolmentSetupError, enrolmentKeys, plainHttpWarning } from './enrolment-setup.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';
import { Enrolment, revokeKiosk } from './use-cases/enrolment.js';

/** `qrkiosk-hub kiosk add|revoke|enrolments`: enrolment codes from the command line. */
export const ENROL_USAGE = [
  'qrkiosk-hub kiosk add --site S --kiosk K [--direction in|out] [--hours N] [--json]   (a one-time enrolment code for the kiosk; --json: {"code","expiresAt"})',
  'qrkiosk-hub kiosk revoke --kiosk K              (withdraws its codes, deletes its broker login: it stops at once)',
  'qrkiosk-hub kiosk enrolments [--json]           (codes made, redeemed — when, by which key, from where — and refused attempts)',
  '  kiosk add/revoke take the broker admin login from --mqtt URL --username U --password-file F, or hub.yaml mqtt:',
];

const flags = (s: HubSettings) =>
  ({
    ...storeFlags(s),
    kiosk: { type: 'string' },
    site: { type: 'string' },
    direction: { type: 'string', default: 'in' },
    hours: { type: 'string' },
    json: { type: 'boolean', default: false },
    mqtt: { type: 'string', default: s.mqtt.url },
    username: { type: 'string', ...(s.mqtt.username ? { default: s.mqtt.username } : {}) },
    'password-file': { type: 'string', ...(s.mqtt.passwordFile ? { default: s.mqtt.passwordFile } : {}) },
  }) as const;

export async function enrolCommand(action: string, argv: string[], settings: HubSettings): Promise<number> {
  const { values } = parseArgs({ args: argv, options: flags(settings) });
  const by = `${userInfo().username}@cli`;
  if (action === 'enrolments') return listEnrolments(values, settings);
  if (!isId(values.kiosk) || values.kiosk === 'hub')
    return fail(
      'Cần --kiosk: chữ thường không dấu, số, - và _ (ví dụ k-001)',
      '--kiosk is needed: lower-case letters, digits, - and _ (e.g. k-001)',
    );
  const logins = new KioskLogins(brokerLogin(values));
  if (action === 'revoke') {
    const store = await HubStore.open(values.database || undefined, values['data-dir']);
    try {
      let r: Awaited<ReturnType<typeof revokeKiosk>>;
      try {
        r = await revokeKiosk(store, logins, values.kiosk, by);
      } catch (err) {
        if (err instanceof KioskAccountConflict) return fail(err.text.vi, err.text.en);
        throw err;
      }
      out(
        `Đã thu hồi kiosk ${values.kiosk}: ${r.withdrawn} mã bị hủy, tài khoản broker đã xóa / kiosk ${values.kiosk} revoked: ${r.withdrawn} codes withdrawn, broker login deleted`,
      );
      return 0;
    } finally {
      await store.close();
    }
  }
  if (!isId(values.site)) return fail('Cần --site (ví dụ s-001)', '--site is needed (e.g. s-001)');
  if (!(DIRECTIONS as readonly string[]).includes(values.direction))
    return fail('--direction là in hoặc out', '--direction is in or out');
  const hours = values.hours === undefined ? undefined : Number(values.hours);
  if (hours !== undefined && !(hours > 0 && hours <= 720))
    return fail('--hours: lớn hơn 0, tối đa 720', '--hours: more than 0, at most 720');
  let keys: ReturnType<typeof enrolmentKeys>;
  try {
    keys = enrolmentKeys(settings);
  } catch (err) {
    if (err instanceof EnrolmentSetupError) return fail(err.text.vi, err.text.en);
    throw err;
  }
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    const enrolment = new Enrolment(store, logins, keys, pino({ level: 'warn' }));
    let issued: Awaited<ReturnType<Enrolment['issue']>>;
    try {
      issued = await enrolment.issue({
        kiosk: values.kiosk,
        site: values.site,
        direction: values.direction as Direction,
        ...(hours !== undefined ? { hours } : {}),
        by,
      });
    } catch (err) {
      if (err instanceof KioskAccountConflict) return fail(err.text.vi, err.text.en);
      return fail(
        `Không tạo được tài khoản broker cho kiosk (${(err as Error).message}); kiểm tra --mqtt/--username/--password-file`,
        `could not make the kiosk's broker login (${(err as Error).message}); check --mqtt/--username/--password-file`,
      );
    }
    // On stderr: --json keeps stdout exactly the code and its expiry.
    const plain = plainHttpWarning(keys.publicUrl);
    if (plain) process.stderr.write(`${plain.vi}\n${plain.en}\n`);
    if (values.json) {
      out(JSON.stringify({ code: issued.code, expiresAt: issued.expiresAt }));
      return 0;
    }
    out(
      `Mã đăng ký kiosk ${values.kiosk} tại ${values.site} (${values.direction}), hết hạn ${issued.expiresAt}, dùng một lần / enrolment code for kiosk ${values.kiosk} at ${values.site}, expires ${issued.expiresAt}, works once:`,
    );
    out(issued.code);
    // On a terminal, the code as a QR too: the technician scans it off the screen with the kiosk.
    if (process.stdout.isTTY)
      process.stdout.write(await QRCode.toString(issued.code, { type: 'terminal', small: true }));
    if (issued.withdrawn > 0)
      out(`(${issued.withdrawn} mã cũ chưa dùng đã bị hủy / older unused codes withdrawn)`);
    return 0;
  } finally {
    await store.close();
  }
}

async function listEnrolments(
  values: { database?: string | undefined; 'data-dir': string; json: boolean },
  _settings: HubSettings,
): Promise<number> {
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    // The token's hash is not printed whole: the list is for people, the hash only for the database.
    const codes = (await store.repo.enrolments.list(200)).map(({ tokenHash, ...c }) => ({
      token: tokenHash.slice(0, 12),
      ...c,
    }));
    const attempts = (await store.repo.enrolments.audit(200)).map((a) => ({
      ...a,
      detail: JSON.parse(a.detail) as Record<string, unknown>,
    }));
    if (values.json) {
      out(JSON.stringify({ codes, attempts }, null, 2));
      return 0;
    }
    out('Mã đăng ký / enrolment codes:');
    for (const c of codes) {
      const state = c.redeemedAt
        ? `dùng/redeemed ${c.redeemedAt} key ${c.redeemedKey} from ${c.redeemedFrom}`
        : c.withdrawnAt
          ? `hủy/withdrawn ${c.withdrawnAt} (${c.withdrawnWhy})`
          : `chờ/open until ${c.expiresAt}`;
      out(`  ${c.createdAt}  ${c.site}/${c.kiosk} ${c.direction}  by ${c.createdBy}  ${state}`);
    }
    out('Lần thử / attempts:');
    for (const a of attempts) out(`  ${a.at}  ${a.action}  ${a.actor}  ${JSON.stringify(a.detail)}`);
    return 0;
  } finally {
    await store.close();
  }
}
