import { readFileSync } from 'node:fs';
import {
  KeyRing,
  loadPublicKey,
  MIN_DEPLOYMENT_KEY_BYTES,
  parseDeploymentKey,
  secretText,
} from '@qrkiosk/protocol';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import type { Text } from '../i18n.js';
import { dropRetired, type SettingsWarning } from './retired.js';
import { OPTIONAL_SECTIONS, Settings } from './schema.js';

export interface SettingsProblem {
  /** Dotted path in kiosk.yaml, e.g. `scanner.baudRate`; empty for the file as a whole. */
  path: string;
  /** Where the bad value came from: `kiosk.yaml:12`, `env QRKIOSK_SCANNER_PATH`, … */
  source: string;
  /** The offending value as the technician wrote it (secrets never shown). */
  value?: string;
  problem: Text;
  fix?: Text;
}

export class SettingsError extends Error {
  constructor(
    readonly file: string,
    readonly problems: SettingsProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem(s): ${problems.map((p) => `${p.path || '(file)'}: ${p.problem.en}`).join('; ')}`,
    );
    this.name = 'SettingsError';
  }
}

/** Settings plus the secrets read from the files they name. Secrets never go back into logs. */
export interface LoadedSettings {
  settings: Settings;
  secrets: { mqttPassword?: string; hashKey?: Buffer; hubKeys: KeyRing; receptionPin?: string };
  file: string;
  /** Retired keys the file still has (settings/retired.ts): ignored, to be removed. */
  warnings?: SettingsWarning[];
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: true, verbose: true });
ajv.addKeyword({ keyword: 'viDescription', schemaType: 'string' });
const validateSettings = ajv.compile(Settings);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads, overrides from env, validates and resolves secrets. Throws SettingsError listing every problem. */
export function loadSettings(file: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SettingsError(file, [
      {
        path: '',
        source: file,
        problem: {
          vi: `không đọc được tệp cấu hình (${(err as NodeJS.ErrnoException).code ?? 'lỗi'})`,
          en: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        },
        fix: { vi: 'kiểm tra đường dẫn và quyền đọc', en: 'check the path and read permission' },
      },
    ]);
  }
  return settingsFromText(text, file, env);
}

export function settingsFromText(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedSettings {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SettingsError(
      file,
      doc.errors.map((e) => ({
        path: '',
        source: `${file}:${e.linePos?.[0]?.line ?? '?'}`,
        problem: {
          vi: `lỗi cú pháp YAML: ${e.message.split('\n')[0]}`,
          en: `YAML syntax error: ${e.message.split('\n')[0]}`,
        },
        fix: { vi: 'kiểm tra thụt lề và dấu hai chấm', en: 'check indentation and colons' },
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (!isObject(raw)) {
    throw new SettingsError(file, [
      {
        path: '',
        source: file,
        problem: {
          vi: 'tệp cấu hình phải là một bảng khóa: giá trị',
          en: 'the config file must be a mapping of keys',
        },
        fix: { vi: 'xem kiosk.example.yaml', en: 'see kiosk.example.yaml' },
      },
    ]);
  }
  for (const section of OPTIONAL_SECTIONS)
    if (raw[section] === undefined || raw[section] === null) raw[section] = {};

  const envSources = applyEnvOverrides(raw, Settings, [], env);
  const sourceOf = (path: string): string => {
    const fromEnv = envSources.get(path);
    if (fromEnv) return `env ${fromEnv}`;
    return `${file}:${lineOf(path)}`;
  };
  const lineOf = (path: string): string => {
    const segments = path ? path.split('.') : [];
    for (let n = segments.length; n >= 0; n--) {
      const node = doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return String(lines.linePos(node.range[0]).line);
    }
    return '1';
  };

  // Before validation: a retired key would fail the strict schema. Its line is read from the document.
  const warnings = dropRetired(raw, sourceOf);
  if (!validateSettings(raw)) {
    throw new SettingsError(file, explain(validateSettings.errors ?? [], raw, sourceOf));
  }
  const settings = raw as unknown as Settings;
  return {
    settings,
    secrets: readSecrets(settings, file, sourceOf),
    file,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * QRKIOSK_<SECTION>_<KEY>: every leaf of the schema can be overridden. camelCase keys match both
 * QRKIOSK_SCANNER_BAUDRATE and QRKIOSK_SCANNER_BAUD_RATE. Values stay strings; ajv coerces them.
 */
function applyEnvOverrides(
  target: Json,
  schema: TSchema,
  path: string[],
  env: NodeJS.ProcessEnv,
): Map<string, string> {
  const sources = new Map<string, string>();
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  for (const [key, child] of Object.entries(properties)) {
    const childPath = [...path, key];
    if ((child as { type?: string }).type === 'object' && (child as { properties?: unknown }).properties) {
      if (!isObject(target[key])) target[key] = {};
      for (const [p, s] of applyEnvOverrides(target[key] as Json, child, childPath, env)) sources.set(p, s);
      continue;
    }
    for (const name of envNames(childPath)) {
      const value = env[name];
      if (value === undefined) continue;
      target[key] =
        (child as { type?: string }).type === 'array' ? value.split(',').map((s) => s.trim()) : value;
      sources.set(childPath.join('.'), name);
      break;
    }
  }
  return sources;
}

function envNames(path: string[]): string[] {
  const joined = path.map((p) => p.toUpperCase()).join('_');
  const snake = path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
  return [...new Set([`QRKIOSK_${snake}`, `QRKIOSK_${joined}`])];
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

function explain(errors: ErrorObject[], raw: Json, sourceOf: (p: string) => string): SettingsProblem[] {
  const problems = new Map<string, SettingsProblem>();
  for (const e of errors) {
    const base = e.instancePath.split('/').filter(Boolean).join('.');
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const path = base ? `${base}.${key}` : key;
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(key, known);
      problems.set(path, {
        path,
        source: sourceOf(path),
        problem: { vi: `khóa không có trong cấu hình: "${key}"`, en: `unknown key "${key}"` },
        fix: guess
          ? { vi: `có phải ý bạn là "${guess}"?`, en: `did you mean "${guess}"?` }
          : { vi: `các khóa hợp lệ: ${known.join(', ')}`, en: `valid keys: ${known.join(', ')}` },
      });
      continue;
    }
    if (e.keyword === 'required') {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const path = base ? `${base}.${key}` : key;
      const child = (e.parentSchema as { properties?: Record<string, Described> }).properties?.[key];
      problems.set(path, {
        path,
        source: sourceOf(base),
        problem: { vi: `thiếu khóa bắt buộc "${path}"`, en: `required key "${path}" is missing` },
        ...(child ? { fix: fixOf(child) } : {}),
      });
      continue;
    }
    // One problem per bad value: unions of literals produce several ajv errors for the same path.
    const path = base;
    if (problems.has(path)) continue;
    const schema = findSchema(path);
    const value = valueAt(raw, path);
    const hint = schema ? fixOf(schema) : undefined;
    problems.set(path, {
      path,
      source: sourceOf(path),
      value: path.endsWith('File') ? String(value) : JSON.stringify(value),
      problem: {
        vi: `giá trị không hợp lệ (${e.message ?? e.keyword})`,
        en: `invalid value (${e.message ?? e.keyword})`,
      },
      ...(hint ? { fix: hint } : {}),
    });
  }
  return [...problems.values()];
}

interface Described {
  description?: string;
  viDescription?: string;
}

function fixOf(schema: Described): Text | undefined {
  if (!schema.description) return undefined;
  return { vi: schema.viDescription ?? schema.description, en: schema.description };
}

function findSchema(path: string): Described | undefined {
  let node: unknown = Settings;
  for (const segment of path.split('.').filter(Boolean)) {
    const props = (node as { properties?: Record<string, unknown> }).properties;
    if (!props?.[segment]) return undefined;
    node = props[segment];
  }
  return node as Described;
}

function valueAt(raw: Json, path: string): unknown {
  let node: unknown = raw;
  for (const segment of path.split('.').filter(Boolean)) node = isObject(node) ? node[segment] : undefined;
  return node;
}

/** The known key nearest to a typo (edit distance ≤ 3), for "did you mean …". */
function closest(word: string, candidates: string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d <= 3 && (!best || d < best.distance)) best = { key: candidate, distance: d };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Human-readable report for `qrkiosk config check` and for start-up failures. */
export function formatProblems(error: SettingsError, lang: 'vi' | 'en'): string {
  const head =
    lang === 'vi'
      ? `Cấu hình ${error.file} có ${error.problems.length} lỗi:`
      : `${error.file} has ${error.problems.length} problem(s):`;
  const body = error.problems.map((p) => {
    const where = p.path ? `${p.path}` : lang === 'vi' ? '(cả tệp)' : '(whole file)';
    const value = p.value !== undefined ? ` = ${p.value}` : '';
    const fix = p.fix ? `\n      ${lang === 'vi' ? 'Cách sửa' : 'Fix'}: ${p.fix[lang]}` : '';
    return `  ${p.source}  ${where}${value}\n      ${p.problem[lang]}${fix}`;
  });
  return [head, ...body].join('\n');
}
