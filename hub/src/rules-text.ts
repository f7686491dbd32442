import {
  DATA_KINDS,
  type DataKind,
  type Limits,
  LimitsSchema,
  MAX_AGE_HOURS_CEILING,
  maxAgeHoursOf,
} from '@qrkiosk/protocol';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

/**
 * What the hub reads of a rules file before signing it: its `version` (recorded for the freshness statement,
 * published-versions.ts) and its `limits.maxAgeHours` (issue #19), checked as the kiosk's RuleSetSchema checks
 * them — protocol's LimitsSchema and maxAgeHoursOf, the kiosk's own vocabulary (gateway/src/decide/rules.ts) —,
 * so the office learns of a bad limit here and not from a fleet that refuses the whole file. The rest of the
 * file is the kiosk's to check (CertLogic and all); the hub signs the text unchanged, `limits` included.
 */
export class RulesTextError extends Error {}

export interface RulesSummary {
  version: string;
  /** Each kind's limit in force on a kiosk: the file's, else the default; null = no limit. */
  maxAgeHours: Record<DataKind, number | null>;
}

export function readRulesText(text: string, source: string): RulesSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RulesTextError(`${source}: not JSON (${(err as Error).message})`);
  }
  const doc = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (doc.schema !== 'qrkiosk.rules/1')
    throw new RulesTextError(`${source}: "schema" is not qrkiosk.rules/1`);
  const version = doc.version;
  if (typeof version !== 'string' || version.length < 1 || version.length > 64)
    throw new RulesTextError(`${source}: "version" must be text of 1–64 characters`);
  return { version, maxAgeHours: limitsOf(doc.limits, source) };
}

function limitsOf(limits: unknown, source: string): Record<DataKind, number | null> {
  if (limits === undefined) return maxAgeHoursOf(undefined);
  // The verdict is the shared schema's; only the wording (for the office, naming the field) is the hub's.
  const first = Value.Errors(LimitsSchema, limits).First();
  if (first) throw new RulesTextError(`${source}: limits${wording(first.path, first.type)}`);
  return maxAgeHoursOf(limits as Limits);
}

function wording(path: string, type: ValueErrorType): string {
  const [top, kind] = path.split('/').slice(1);
  if (type === ValueErrorType.ObjectAdditionalProperties)
    return kind === undefined
      ? `: unknown field "${top}" (only maxAgeHours)`
      : `.maxAgeHours: unknown kind "${kind}" (${DATA_KINDS.join(', ')})`;
  if (kind !== undefined)
    return `.maxAgeHours.${kind} must be whole hours 1–${MAX_AGE_HOURS_CEILING}, or null (no limit)`;
  return `${top ? `.${top}` : ''} must be an object`;
}
