import { readFileSync } from 'node:fs';
import {
  KeyRing,
  loadPublicKey,
  MIN_DEPLOYMENT_KEY_BYTES,
  parseDeploymentKey,
  readTracingPublicKey,
  SettingsError,
  type SettingsProblem,
  secretText,
  settingsFormat,
  TracingKeyError,
  type TracingPublicKey,
} from '@qrkiosk/protocol';
import { dropRetired, type SettingsWarning } from './retired.js';
import { OPTIONAL_SECTIONS, Settings } from './schema.js';

// The generic machinery (YAML with line numbers, env overrides, bilingual problems, "did you mean")
// is protocol's, shared with the hub's hub.yaml; what is the kiosk's own here is its secrets.
export { formatProblems, SettingsError, type SettingsProblem } from '@qrkiosk/protocol';

/** Settings plus the secrets read from the files they name. Secrets never go back into logs. */
export interface LoadedSettings {
  settings: Settings;
  secrets: {
    mqttPassword?: string;
    hashKey?: Buffer;
    hubKeys: KeyRing;
    receptionPin?: string;
    /** ui.metricsTokenFile's token (metrics/access.ts). */
    metricsToken?: string;
    /** privacy.tracingPublicKeyFile's key: each check-in's identity is sealed to it (record/seal.ts). */
    tracingKey?: TracingPublicKey;
  };
  file: string;
  /** Retired keys the file still has (settings/retired.ts): ignored, to be removed. */
  warnings?: SettingsWarning[];
}

const kioskYaml = settingsFormat({
  schema: Settings,
  envPrefix: 'QRKIOSK',
  optionalSections: OPTIONAL_SECTIONS,
  example: 'kiosk.example.yaml',
  // Before validation: a retired key would fail the strict schema (settings/retired.ts).
  beforeValidate: dropRetired,
});

/** Reads, overrides from env, validates and resolves secrets. Throws SettingsError listing every problem. */
export function loadSettings(file: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const { value, sourceOf, warnings } = kioskYaml.fromFile(file, env);
  return {
    settings: value,
    secrets: readSecrets(value, file, sourceOf),
    file,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export function settingsFromText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedSettings {
  const { value, sourceOf, warnings } = kioskYaml.fromText(text, file, env);
  return {
    settings: value,
    secrets: readSecrets(value, file, sourceOf),
    file,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
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
    if (bytes) secrets.mqttPassword = secretText(bytes);
  }
  if (settings.ui.receptionPinFile) {
    const bytes = read('ui.receptionPinFile', settings.ui.receptionPinFile);
    const pin = bytes && secretText(bytes);
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
  if (settings.ui.metricsTokenFile) {
    const bytes = read('ui.metricsTokenFile', settings.ui.metricsTokenFile);
    const token = bytes && secretText(bytes);
    // A bearer token is one header word: a short or spaced one would be guessed or never match.
    if (token !== undefined && !/^\S{16,}$/.test(token))
      problems.push({
        path: 'ui.metricsTokenFile',
        source: sourceOf('ui.metricsTokenFile'),
        value: settings.ui.metricsTokenFile,
        problem: {
          vi: 'mã phải từ 16 ký tự, không có khoảng trắng',
          en: 'the token needs 16+ characters, no spaces',
        },
        fix: { vi: 'openssl rand -hex 24 > TỆP', en: 'openssl rand -hex 24 > FILE' },
      });
    else if (token !== undefined) secrets.metricsToken = token;
  }
  if (settings.privacy.hashKeyFile) {
    const bytes = read('privacy.hashKeyFile', settings.privacy.hashKeyFile);
    if (bytes) {
      const key = parseDeploymentKey(bytes);
      if (key.length < MIN_DEPLOYMENT_KEY_BYTES) {
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
  if (settings.privacy.tracingPublicKeyFile) {
    const tracing = readTracingKey(settings.privacy.tracingPublicKeyFile);
    if ('key' in tracing) secrets.tracingKey = tracing.key;
    else
      problems.push({
        path: 'privacy.tracingPublicKeyFile',
        source: sourceOf('privacy.tracingPublicKeyFile'),
        value: settings.privacy.tracingPublicKeyFile,
        ...tracing,
      });
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

/** The tracing public key, or why not: a public file (no chmod 600 advice), but never the private half. */
function readTracingKey(file: string): { key: TracingPublicKey } | Pick<SettingsProblem, 'problem' | 'fix'> {
  const fix = {
    vi: 'chép tệp tracing.pub (khóa công khai) do trung tâm tạo bằng qrkiosk-hub tracing-key init',
    en: 'copy the tracing.pub (public key) the hub made with qrkiosk-hub tracing-key init',
  };
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem: {
        vi: `không đọc được tệp khóa truy vết ${file} (${code})`,
        en: `cannot read the tracing key file ${file} (${code})`,
      },
      fix,
    };
  }
  try {
    return { key: readTracingPublicKey(bytes) };
  } catch (err) {
    if (!(err instanceof TracingKeyError)) throw err;
    return { problem: { vi: `${file}: ${err.text.vi}`, en: `${file}: ${err.text.en}` }, fix };
  }
}
