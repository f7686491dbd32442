import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { hubRoleCommands } from './dynsec.js';

/**
 * `qrkiosk-hub broker init`: a Mosquitto 2.x configuration for the fleet in one folder — the listener,
 * no anonymous logins, the dynamic-security plugin (kiosk logins made and removed live by enrolment),
 * persistence, and queue limits that keep QoS 1 check-ins (no count limit, up to 1 GiB per client) — and the hub's own login, `hub`,
 * which administers the plugin and has the hub's topics. `mosquitto -c DIR/mosquitto.conf` is then
 * the fleet's broker.
 */
export const HUB_USER = 'hub';

/** Debian ships the plugin under the architecture's library folder (amd64, arm64 on a Raspberry Pi). */
export function dynsecPlugin(): string | undefined {
  const roots = ['/usr/lib', '/usr/local/lib'];
  for (const root of roots) {
    if (existsSync(join(root, 'mosquitto_dynamic_security.so')))
      return join(root, 'mosquitto_dynamic_security.so');
    let dirs: string[] = [];
    try {
      dirs = readdirSync(root);
    } catch {
      continue;
    }
    const found = dirs.map((d) => join(root, d, 'mosquitto_dynamic_security.so')).find((f) => existsSync(f));
    if (found) return found;
  }
  return undefined;
}

export class BrokerInitError extends Error {
  constructor(
    readonly vi: string,
    en: string,
  ) {
    super(en);
  }
}

/** The configuration text; every limit with the reason it has that value (mosquitto.conf(5), 2.0). */
export function mosquittoConf(dir: string, port: number, plugin: string, user?: string): string {
  return [
    '# qrkiosk fleet broker — written by "qrkiosk-hub broker init"; start with: mosquitto -c <this file>',
    '# Kiosk logins live in dynamic-security.json and are made by "qrkiosk-hub kiosk add" (enrolment).',
    ...(user
      ? [`# Started as root, Mosquitto runs as ${user} (this folder belongs to it).`, `user ${user}`]
      : []),
    'per_listener_settings false',
    `listener ${port}`,
    'allow_anonymous false',
    `plugin ${plugin}`,
    `plugin_opt_config_file ${join(dir, 'dynamic-security.json')}`,
    '',
    '# Queued messages, retained states and sessions survive a broker restart (saved every 60 s and at stop).',
    'persistence true',
    `persistence_location ${dir}/`,
    'autosave_interval 60',
    '',
    '# Keep QoS 1 (up to 1 GiB per client). mosquitto.conf(5): messages above max_queued_messages (default 1000) or',
    '# max_queued_bytes "will be silently dropped". The hub may be slow or away for minutes while kiosks',
    '# keep sending (hardware/mosquitto/mosquitto.conf: ~4% of 100k lost at the defaults), so no count limit...',
    'max_queued_messages 0',
    '# ...and a byte bound instead, so one absent client cannot take all memory: 1 GiB per client is',
    '# about 500,000 check-ins of < 2 KB, days of a province, and the hub drains it when back.',
    'max_queued_bytes 1073741824',
    '# In-flight is not a drop limit, only how many unacknowledged QoS 1 go out at once; 0 (no maximum)',
    '# as the uplink benchmark ran (docs/benchmarks.md: 100,000 queued check-ins drained, 0 lost).',
    'max_inflight_messages 0',
    '# QoS 0 is not queued for an absent client (the default, written out): nothing of qrkiosk that must',
    '# arrive is QoS 0, and queued QoS 0 would count against the same per-client limits as check-ins.',
    'queue_qos0_messages false',
    "# The hub's persistent sessions (clean session false) keep their queue while it is away; a session",
    '# nobody resumes for 30 days (a retired hub process, a scrapped kiosk) is removed instead of growing.',
    'persistent_client_expiration 30d',
    '# No packet above 16 MiB from anyone (kiosks send < 2 KB; fleet snapshots are capped to this).',
    'max_packet_size 16777216',
    '',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'connection_messages true',
    '',
  ].join('\n');
}

/** A user of /etc/passwd by name. */
function systemUser(name: string): { name: string; uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    return line ? { name, uid: Number(uid), gid: Number(gid) } : undefined;
  } catch {
    return undefined;
  }
}

/** The user Debian's package runs Mosquitto as, when this process is root and it exists. */
function mosquittoUser(): { name: string; uid: number; gid: number } | undefined {
  return process.getuid?.() === 0 ? systemUser('mosquitto') : undefined;
}

/**
 * Writes DIR/mosquitto.conf, DIR/dynamic-security.json (with Mosquitto's own `mosquitto_ctrl dynsec
 * init`, the hub's password given on its standard input, never on a command line) and DIR/hub.password
 * (mode 600). The hub's client gets the `qrkiosk-hub` role (dynsec.ts hubRoleCommands) besides the
 * plugin's admin role, written into the file before the broker first reads it. Refuses an existing
 * hub.password: a second run would lock the running hub out.
 */
export function initBroker(options: { dir: string; port: number; plugin?: string; hubUser?: string }): {
  conf: string;
  passwordFile: string;
  dynsecFile: string;
  /** Run as root without hubUser: hub.password is root's, the line that gives it to the hub's user. */
  chownHint?: string;
} {
  const dir = resolve(options.dir);
  const passwordFile = join(dir, 'hub.password');
  const dynsecFile = join(dir, 'dynamic-security.json');
  const conf = join(dir, 'mosquitto.conf');
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
    throw new BrokerInitError('--port phải là số 1–65535', '--port must be 1–65535');
  if (existsSync(passwordFile))
    throw new BrokerInitError(
      `${passwordFile} đã có — không ghi đè (trung tâm đang dùng mật khẩu này)`,
      `${passwordFile} exists — not overwritten (the hub logs in with it)`,
    );
  const hubUser = options.hubUser === undefined ? undefined : systemUser(options.hubUser);
  if (options.hubUser !== undefined && !hubUser)
    throw new BrokerInitError(
      `--hub-user ${options.hubUser}: không có người dùng này trên máy`,
      `--hub-user ${options.hubUser}: no such user on this machine`,
    );
  const plugin = options.plugin ?? dynsecPlugin();
  if (!plugin)
    throw new BrokerInitError(
      'Không tìm thấy mosquitto_dynamic_security.so — cài gói mosquitto (2.0 trở lên)',
      'mosquitto_dynamic_security.so not found — install the mosquitto package (2.0 or later)',
    );
  mkdirSync(dir, { recursive: true });
  if (existsSync(dynsecFile))
    throw new BrokerInitError(`${dynsecFile} đã có — không ghi đè`, `${dynsecFile} exists — not overwritten`);
  const password = randomBytes(24).toString('base64url');
  // umask 077 for mosquitto_ctrl: it creates the file 644 otherwise, and the hashes in it must never
  // be readable by others, not even until the chmod below.
  const made = spawnSync(
    '/bin/sh',
    ['-c', 'umask 077 && exec mosquitto_ctrl "$@"', 'sh', 'dynsec', 'init', dynsecFile, HUB_USER],
    { input: `${password}\n${password}\n`, encoding: 'utf8' },
  );
  if (made.status !== 0 || !existsSync(dynsecFile))
    throw new BrokerInitError(
      `mosquitto_ctrl dynsec init không chạy được: ${made.error?.message ?? made.stderr}`,
      `mosquitto_ctrl dynsec init failed: ${made.error?.message ?? made.stderr}`,
    );
  addHubRole(dynsecFile);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  // The hub's service runs as its own user (hardware/qrkiosk-hub.service: User=qrkiosk-hub) and must read it.
  if (hubUser && process.getuid?.() === 0) chownSync(passwordFile, hubUser.uid, hubUser.gid);
  const user = mosquittoUser();
  writeFileSync(conf, mosquittoConf(dir, options.port, plugin, user?.name), { mode: 0o644 });
  // The broker writes its logins and its persistence here: the folder and the plugin's file are its own.
  if (user) for (const f of [dir, dynsecFile, conf]) chownSync(f, user.uid, user.gid);
  const chownHint = process.getuid?.() === 0 && !hubUser ? `chown qrkiosk-hub: ${passwordFile}` : undefined;
  return { conf, passwordFile, dynsecFile, ...(chownHint ? { chownHint } : {}) };
}

type DynsecJson = {
  clients?: Array<{ username: string; roles?: Array<{ rolename: string; priority?: number }> }>;
  roles?: Array<{ rolename: string; acls?: unknown[] }>;
};

/** Gives the hub's client the qrkiosk-hub role in the plugin's file (before the broker reads it). */
function addHubRole(file: string): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as DynsecJson;
  const role = hubRoleCommands(HUB_USER).find((c) => c.command === 'createRole');
  const hub = json.clients?.find((c) => c.username === HUB_USER);
  if (!role || !hub) throw new BrokerInitError('tệp dynamic security lạ', 'unexpected dynamic-security file');
  json.roles = [...(json.roles ?? []), { rolename: role.rolename as string, acls: role.acls as unknown[] }];
  hub.roles = [...(hub.roles ?? []), { rolename: role.rolename as string, priority: 0 }];
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  // It holds the logins' password hashes: for the broker's eyes only.
  chmodSync(file, 0o600);
}
