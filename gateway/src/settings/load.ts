import { readFileSync } from 'node:fs';
import {
  KeyRing,
  loadPublicKey,
  SettingsError,
  type SettingsProblem,
  settingsFormat,
} from '@qrkiosk/protocol';
import { OPTIONAL_SECTIONS, Settings } from './schema.js';

// The generic machinery (YAML with line numbers, env overrides, bilingual problems, "did you mean")
// is protocol's, shared with the hub's hub.yaml; what is the kiosk's own here is its secrets.
export { formatProblems, SettingsError, type SettingsProblem } from '@qrkiosk/protocol';

/** Settings plus the secrets read from the files they name. Secrets never go back into logs. */
export interface LoadedSettings {
  settings: Settings;
  secrets: { mqttPassword?: string; hashKey?: Buffer; hubKeys: KeyRing; receptionPin?: string };
  file: string;
}

const kioskYaml = settingsFormat({
  schema: Settings,
  envPrefix: 'QRKIOSK',
  optionalSections: OPTIONAL_SECTIONS,
  example: 'kiosk.example.yaml',
});

/** Reads, overrides from env, validates and resolves secrets. Throws SettingsError listing every problem. */
export function loadSettings(file: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const { value, sourceOf } = kioskYaml.fromFile(file, env);
  return { settings: value, secrets: readSecrets(value, file, sourceOf), file };
}

export function settingsFromText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedSettings {
  const { value, sourceOf } = kioskYaml.fromText(text, file, env);
  return { settings: value, secrets: readSecrets(value, file, sourceOf), file };
}

function readSecrets(
  settings: Settings,
  file: string,
  sourceOf: (p: string) => string,
): LoadedSettings['secrets'] {
  const secrets: LoadedSettings['secrets'] = { hubKeys: new KeyRing() };
  const problems: SettingsProblem[] = [];
  const read = (path: string, secretFile: string): Buffer | undefined => {
    try {
      return readFileSync(secretFile);
    } catch (err) {
      problems.push({
        path,
        source: sourceOf(path),
        value: secretFile,
        problem: {
          vi: `không đọc được tệp bí mật (${(err as NodeJS.ErrnoException).code})`,
          en: `cannot read the secret file (${(err as NodeJS.ErrnoException).code})`,
        },
        fix: {
          vi: 'tạo tệp, chmod 600, chủ sở hữu là người dùng chạy qrkiosk',
          en: 'create the file, chmod 600, owned by the user running qrkiosk',
        },
      });
      return undefined;
    }
  };
  if (settings.mqtt.passwordFile) {
    const bytes = read('mqtt.passwordFile', settings.mqtt.passwordFile);
    // Editors add a final newline; a password never ends in one.
    if (bytes) secrets.mqttPassword = bytes.toString('utf8').replace(/\r?\n$/, '');
  }
  if (settings.ui.receptionPinFile) {
    const pin = read('ui.receptionPinFile', settings.ui.receptionPinFile)
      ?.toString('utf8')
      .replace(/\r?\n$/, '');
    if (pin !== undefined && pin.length < 6)
      problems.push({
        path: 'ui.receptionPinFile',
        source: sourceOf('ui.receptionPinFile'),
        value: settings.ui.receptionPinFile,
        problem: {
          vi: `mã PIN quá ngắn (${pin.length} ký tự)`,
          en: `PIN too short (${pin.length} characters)`,
        },
        fix: { vi: 'ghi mã PIN từ 6 ký tự vào tệp', en: 'write a PIN of 6 or more characters in the file' },
      });
    else if (pin !== undefined) secrets.receptionPin = pin;
  }
  if (settings.privacy.hashKeyFile) {
    const bytes = read('privacy.hashKeyFile', settings.privacy.hashKeyFile);
    if (bytes) {
      const text = bytes.toString('utf8').trim();
      const key = /^[0-9a-fA-F]{64,}$/.test(text) ? Buffer.from(text, 'hex') : bytes;
      if (key.length < 32) {
        problems.push({
          path: 'privacy.hashKeyFile',
          source: sourceOf('privacy.hashKeyFile'),
          value: settings.privacy.hashKeyFile,
          problem: { vi: `khóa quá ngắn (${key.length} byte)`, en: `key too short (${key.length} bytes)` },
          fix: {
            vi: 'tạo khóa mới: openssl rand -hex 32 > TỆP',
            en: 'make a new key: openssl rand -hex 32 > FILE',
          },
        });
      } else secrets.hashKey = key;
    }
  }
  for (const [i, keyFile] of settings.updates.publicKeyFiles.entries()) {
    const path = `updates.publicKeyFiles.${i}`;
    const bytes = read(path, keyFile);
    if (!bytes) continue;
    try {
      secrets.hubKeys.add(loadPublicKey(bytes));
    } catch (err) {
      problems.push({
        path,
        source: sourceOf('updates.publicKeyFiles'),
        value: keyFile,
        problem: {
          vi: `không phải khóa công khai Ed25519 (${(err as Error).message})`,
          en: `not an Ed25519 public key (${(err as Error).message})`,
        },
        fix: { vi: 'dùng tệp PEM khóa công khai do trung tâm cấp', en: "use the hub's public key PEM file" },
      });
    }
  }
  if (problems.length > 0) throw new SettingsError(file, problems);
  return secrets;
}
