import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { isId } from '@qrkiosk/protocol';
import { brokerLogin, fail, out } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import { KioskLogins } from './dynsec-accounts.js';
import { readSigningKey } from './publish.js';
import { sendRequest } from './requests.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';
import {
  type CommandAsk,
  KIOSK_COMMANDS,
  type KioskCommand,
  KioskCommands,
} from './use-cases/kiosk-commands.js';

export const REQUEST_USAGE =
  'qrkiosk-hub request --kiosk K [--site S] [--signing-key KEY] (--get | --set KEY=VALUE | --command selftest|resync|purge|doctor|rotate-credentials|revoke-enrolment|clear-tightening | --command alert-level --level N) [MQTT] [--database D]';

/**
 * `qrkiosk-hub request`: one command to one kiosk through the same use case as the page's buttons
 * (use-cases/kiosk-commands.ts): signed, recorded in the kiosk's command history, audited as
 * `<os user>@cli`. The site comes from the register unless --site says it; the signing key from
 * --signing-key or hub.yaml's enrolment.signingKeyFile (the key the kiosks were given at enrolment).
 */
export async function requestCommand(argv: string[], settings: HubSettings): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...storeFlags(settings),
      site: { type: 'string' },
      kiosk: { type: 'string' },
      'signing-key': {
        type: 'string',
        ...(settings.enrolment.signingKeyFile ? { default: settings.enrolment.signingKeyFile } : {}),
      },
      get: { type: 'boolean', default: false },
      set: { type: 'string' },
      command: { type: 'string' },
      level: { type: 'string' },
      mqtt: { type: 'string', default: settings.mqtt.url },
      username: { type: 'string', ...(settings.mqtt.username ? { default: settings.mqtt.username } : {}) },
      'password-file': {
        type: 'string',
        ...(settings.mqtt.passwordFile ? { default: settings.mqtt.passwordFile } : {}),
      },
    },
  });
  if (!isId(values.kiosk) || (values.site !== undefined && !isId(values.site)) || !values['signing-key'])
    return fail('Cần --kiosk và --signing-key (hoặc enrolment.signingKeyFile)', REQUEST_USAGE);
  let ask: Omit<CommandAsk, 'kiosk' | 'actor'> = { command: 'config-get' };
  if (values.set) {
    const [key, raw] = values.set.split('=', 2) as [string, string | undefined];
    if (raw === undefined) return fail('--set cần KEY=VALUE', '--set needs KEY=VALUE');
    ask = { command: 'config-set', key, value: /^\d+$/.test(raw) ? Number(raw) : raw };
  } else if (values.command) {
    if (!(KIOSK_COMMANDS as readonly string[]).includes(values.command))
      return fail(`Lệnh không có: ${values.command}`, `no such command: ${values.command}\n${REQUEST_USAGE}`);
    ask = {
      command: values.command as KioskCommand,
      ...(values.level !== undefined ? { level: Number(values.level) } : {}),
    };
  }
  const login = brokerLogin(values);
  let signing: ReturnType<typeof readSigningKey>;
  try {
    signing = readSigningKey(values['signing-key']);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return fail(
      `Không đọc được khóa ký ${values['signing-key']} (${why})`,
      `cannot read the signing key ${values['signing-key']} (${why})`,
    );
  }
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    const commands = new KioskCommands(
      store,
      (where, command, fields, timeoutMs) => sendRequest(login, signing, where, command, fields, timeoutMs),
      { logins: new KioskLogins(login) },
    );
    const outcome = await commands.run({
      ...ask,
      kiosk: values.kiosk,
      ...(values.site ? { site: values.site } : {}),
      actor: `${userInfo().username}@cli`,
    });
    if (!outcome.ok) {
      process.stderr.write(`${outcome.error.vi} / ${outcome.error.en}\n`);
      return 1;
    }
    out(JSON.stringify({ ok: true, result: outcome.result }, null, 2));
    return 0;
  } finally {
    await store.close();
  }
}
