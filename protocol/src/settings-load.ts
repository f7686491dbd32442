import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';

/**
 * The generic part of a settings file (kiosk.yaml, hub.yaml): parse the YAML keeping line numbers,
 * override leaves from the environment, validate against one TypeBox schema (defaults filled,
 * strings coerced), and explain every problem in Vietnamese and English with the file line or the
 * env variable it came from and a "did you mean". What a file's secrets are stays with its owner.
 */

/** A message for a person: Vietnamese first, its English twin beside it. */
export interface SettingsText {
  vi: string;
  en: string;
}

export interface SettingsProblem {
  /** Dotted path in the file, e.g. `scanner.baudRate`; empty for the file as a whole. */
  path: string;
  /** Where the bad value came from: `kiosk.yaml:12`, `env QRKIOSK_SCANNER_PATH`, `--port`, … */
  source: string;
  /** The offending value as it was written (secrets never shown). */
  value?: string;
  problem: SettingsText;
  fix?: SettingsText;
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

export interface SettingsFormat<T extends TSchema> {
  schema: T;
  /** Environment variables are `<envPrefix>_<SECTION>_<KEY>`, e.g. `QRKIOSK` → QRKIOSK_SCANNER_PATH. */
  envPrefix: string;
  /** Older variable names that still work: name → dotted path. A schema-derived name wins. */
  envAliases?: Readonly<Record<string, string>>;
  /** Sections that may be left out of the file entirely (their defaults apply). */
  optionalSections?: readonly string[];
  /** The example file a person is pointed at (`kiosk.example.yaml`). */
  example: string;
  /**
   * Runs on the parsed file before validation: may remove keys that are retired (a strict schema would
   * refuse them) and returns a warning for each, which the caller shows.
   */
  beforeValidate?: (raw: Record<string, unknown>, sourceOf: (path: string) => string) => SettingsWarning[];
}

/** A key the loader accepted but wants gone (retired): where it is, and why. */
export interface SettingsWarning {
  path: string;
  source: string;
  problem: { vi: string; en: string };
}

/** Validated settings, and where each value came from (for problems found later, e.g. secrets). */
export interface ParsedSettings<T extends TSchema> {
  value: Static<T>;
  /** `file:line` or `env NAME` of a dotted path. */
  sourceOf: (path: string) => string;
  /** From `beforeValidate`: keys accepted but to be removed. */
  warnings: SettingsWarning[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `changes`: values set on top of the file and env (command-line flags), dotted path → value. */
export type SettingsOverrides = ReadonlyMap<string, { value: unknown; source: string }>;

/**
 * One loader per format: the schema is compiled once, when a file is first read — not when the module
 * is imported (hub.yaml's schema takes ~0.2 s to compile; every program and test importing the hub
 * paid for it whether or not it read a settings file).
 */
export function settingsFormat<T extends TSchema>(format: SettingsFormat<T>) {
  let compiled: ValidateFunction | undefined;
  const validator = (): ValidateFunction => {
    if (compiled) return compiled;
    const ajv = new Ajv({
      allErrors: true,
      useDefaults: true,
      coerceTypes: true,
      strict: true,
      verbose: true,
    });
    ajv.addKeyword({ keyword: 'viDescription', schemaType: 'string' });
    compiled = ajv.compile(format.schema);
    return compiled;
  };

  /** Reads a file; a missing or unreadable one is a SettingsError like any other problem. */
  function fromFile(file: string, env: NodeJS.ProcessEnv = process.env, overrides?: SettingsOverrides) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new SettingsError(file, [
        {
          path: '',
          source: file,
          problem: {
            vi: `không đọc được tệp cấu hình (${code ?? 'lỗi'})`,
            en: `cannot read the config file (${code ?? 'error'})`,
          },
          fix: { vi: 'kiểm tra đường dẫn và quyền đọc', en: 'check the path and read permission' },
        },
      ]);
    }
    return fromText(text, file, env, overrides);
  }

  function fromText(
    text: string,
    file: string,
    env: NodeJS.ProcessEnv = process.env,
    overrides: SettingsOverrides = new Map(),
  ): ParsedSettings<T> {
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
          fix: { vi: `xem ${format.example}`, en: `see ${format.example}` },
        },
      ]);
    }
    for (const section of format.optionalSections ?? [])
      if (raw[section] === undefined || raw[section] === null) raw[section] = {};

    const sources = applyEnvOverrides(raw, format.schema, [], env, format.envPrefix);
    for (const [name, path] of Object.entries(format.envAliases ?? {})) {
      const value = env[name];
      if (value === undefined || sources.has(path)) continue;
      setAt(raw, path, value);
      sources.set(path, `env ${name}`);
    }
    for (const [path, o] of overrides) {
      setAt(raw, path, o.value);
      sources.set(path, o.source);
    }
    const lineOf = (path: string): string => {
      const segments = path ? path.split('.') : [];
      for (let n = segments.length; n >= 0; n--) {
        const node = doc.getIn(segments.slice(0, n), true) as
          | { range?: [number, number, number] }
          | undefined;
        if (node?.range) return String(lines.linePos(node.range[0]).line);
      }
      return '1';
    };
    const sourceOf = (path: string): string => sources.get(path) ?? `${file}:${lineOf(path)}`;
    const warnings = format.beforeValidate?.(raw, sourceOf) ?? [];
    const validate = validator();
    if (!validate(raw))
      throw new SettingsError(file, explain(validate.errors ?? [], raw, format.schema, sourceOf));
    return { value: raw as Static<T>, sourceOf, warnings };
  }

  return { fromFile, fromText };
}

function setAt(target: Json, path: string, value: unknown): void {
  const segments = path.split('.');
  let node = target;
  for (const s of segments.slice(0, -1)) {
    if (!isObject(node[s])) node[s] = {};
    node = node[s] as Json;
  }
  node[segments[segments.length - 1] as string] = value;
}

/**
 * <PREFIX>_<SECTION>_<KEY>: every leaf of the schema can be overridden. camelCase keys match both
 * QRKIOSK_SCANNER_BAUDRATE and QRKIOSK_SCANNER_BAUD_RATE. Values stay strings; ajv coerces them.
 * Returns dotted path → `env NAME`.
 */
function applyEnvOverrides(
  target: Json,
  schema: TSchema,
  path: string[],
  env: NodeJS.ProcessEnv,
  prefix: string,
): Map<string, string> {
  const sources = new Map<string, string>();
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  for (const [key, child] of Object.entries(properties)) {
    const childPath = [...path, key];
    if ((child as { type?: string }).type === 'object' && (child as { properties?: unknown }).properties) {
      if (!isObject(target[key])) target[key] = {};
      for (const [p, s] of applyEnvOverrides(target[key] as Json, child, childPath, env, prefix))
        sources.set(p, s);
      continue;
    }
    for (const name of envNames(prefix, childPath)) {
      const value = env[name];
      if (value === undefined) continue;
      target[key] =
        (child as { type?: string }).type === 'array' ? value.split(',').map((s) => s.trim()) : value;
      sources.set(childPath.join('.'), `env ${name}`);
      break;
    }
  }
  return sources;
}

/** The env variable names of a dotted path, snake_case first. */
export function envNames(prefix: string, path: string[]): string[] {
  const joined = path.map((p) => p.toUpperCase()).join('_');
  const snake = path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
  return [...new Set([`${prefix}_${snake}`, `${prefix}_${joined}`])];
}

interface Described {
  description?: string;
  viDescription?: string;
}

function explain(
  errors: ErrorObject[],
  raw: Json,
  schema: TSchema,
  sourceOf: (p: string) => string,
): SettingsProblem[] {
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
      const fix = child ? fixOf(child) : undefined;
      problems.set(path, {
        path,
        source: sourceOf(base),
        problem: { vi: `thiếu khóa bắt buộc "${path}"`, en: `required key "${path}" is missing` },
        ...(fix ? { fix } : {}),
      });
      continue;
    }
    // One problem per bad value: unions of literals produce several ajv errors for the same path.
    const path = base;
    if (problems.has(path)) continue;
    const node = findSchema(schema, path);
    const value = valueAt(raw, path);
    const hint = node ? fixOf(node) : undefined;
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

function fixOf(schema: Described): SettingsText | undefined {
  if (!schema.description) return undefined;
  return { vi: schema.viDescription ?? schema.description, en: schema.description };
}

function findSchema(schema: TSchema, path: string): Described | undefined {
  let node: unknown = schema;
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
export function closest(word: string, candidates: string[]): string | undefined {
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

/** A human-readable report of every problem, for `config check` commands and start-up failures. */
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
