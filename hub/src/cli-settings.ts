import { formatProblems, type HubSettings, loadHubSettings, SettingsError } from './settings/index.js';

/**
 * hub.yaml for the command line: `--config FILE` (or env QRKIOSK_HUB_CONFIG) names it; without one
 * the defaults and env apply. Every command takes its defaults from here and its flags override them,
 * so a flag, a variable and a line of hub.yaml are three ways to say one setting.
 */
export function takeConfigFlag(argv: string[]): { file: string | undefined; args: string[] } {
  const args: string[] = [];
  let file = process.env.QRKIOSK_HUB_CONFIG || undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--config' && i + 1 < argv.length) file = argv[++i];
    else if (a.startsWith('--config=')) file = a.slice('--config='.length);
    else args.push(a);
  }
  return { file, args };
}

/** Loads hub.yaml + env + `flags`; on a problem prints every one (Vietnamese, then English) and exits 2. */
export function settingsOrExit(
  file: string | undefined,
  flags?: ReadonlyMap<string, { value: unknown; source: string }>,
): HubSettings {
  try {
    return loadHubSettings(file, process.env, flags);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`${formatProblems(err, 'vi')}\n\n${formatProblems(err, 'en')}\n`);
    process.exit(2);
  }
}

/** The storage flags every command takes, defaulting to hub.yaml / env. */
export const storeFlags = (s: HubSettings) =>
  ({
    'data-dir': { type: 'string', default: s.dataDir },
    database: { type: 'string', default: s.database },
  }) as const;

/** The broker flags of commands that connect as the hub, defaulting to hub.yaml / env. */
export const brokerFlags = (s: HubSettings) =>
  ({
    mqtt: { type: 'string', default: s.mqtt.url },
    'mqtt-v4': { type: 'boolean', default: s.mqtt.protocolVersion === 4 },
    username: { type: 'string', default: s.mqtt.username },
    'password-file': { type: 'string', default: s.mqtt.passwordFile },
    share: { type: 'string', default: s.mqtt.share },
  }) as const;
