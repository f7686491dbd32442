import { settingsFormat } from '@qrkiosk/protocol';
import { HUB_SECTIONS, HubSettings } from './schema.js';

export { formatProblems, SettingsError, type SettingsProblem } from '@qrkiosk/protocol';

const hubYaml = settingsFormat({
  schema: HubSettings,
  envPrefix: 'QRKIOSK_HUB',
  // The names the hub took before hub.yaml existed; scripts and units still set them.
  envAliases: { QRKIOSK_HUB_PORT: 'http.port', QRKIOSK_HUB_STRICT_KIOSKS: 'mqtt.strictKiosks' },
  optionalSections: HUB_SECTIONS,
  example: 'hub/hub.example.yaml',
});

/** What labels the settings when no hub.yaml is given: defaults, env and flags only. */
export const NO_FILE = '(hub.yaml: none)';

/**
 * hub.yaml (or none: `file` undefined), then env, then command-line flags (`flags`: dotted path →
 * value and the flag's name), validated together: a bad value is reported with the line, variable or
 * flag it came from. Throws SettingsError listing every problem.
 */
export function loadHubSettings(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  flags: ReadonlyMap<string, { value: unknown; source: string }> = new Map(),
): HubSettings {
  // QRKIOSK_HUB_STRICT_KIOSKS=1 meant on and anything else off: kept, whatever the schema coerces.
  const strict = env.QRKIOSK_HUB_STRICT_KIOSKS;
  const e = strict === undefined ? env : { ...env, QRKIOSK_HUB_STRICT_KIOSKS: String(strict === '1') };
  const parsed =
    file === undefined ? hubYaml.fromText('', NO_FILE, e, flags) : hubYaml.fromFile(file, e, flags);
  const s = parsed.value;
  // No share group: every connection would receive every check-in, so there is one lane (as before).
  if (s.mqtt.share === 'none') s.mqtt.lanes = 1;
  return s;
}
