import { DATA_KINDS, type DataKind, DEFAULT_MAX_AGE_HOURS, MAX_AGE_HOURS_CEILING } from '@qrkiosk/protocol';

/**
 * What the hub reads of a rules file before signing it: its `version` (recorded for the freshness statement,
 * published-versions.ts) and its `limits.maxAgeHours` (issue #19), checked as the kiosk's RuleSetSchema checks
 * them (gateway/src/decide/rules.ts), so the office learns of a bad limit here and not from a fleet that
 * refuses the whole file. The rest of the file is the kiosk's to check (CertLogic and all); the hub signs the
 * text unchanged, `limits` included.
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
  const out: Record<DataKind, number | null> = { ...DEFAULT_MAX_AGE_HOURS };
  if (limits === undefined) return out;
  const fail = (what: string) => new RulesTextError(`${source}: limits${what}`);
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits))
    throw fail(' must be an object');
  for (const k of Object.keys(limits))
    if (k !== 'maxAgeHours') throw fail(`: unknown field "${k}" (only maxAgeHours)`);
  const max = (limits as { maxAgeHours?: unknown }).maxAgeHours;
  if (max === undefined) return out;
  if (typeof max !== 'object' || max === null || Array.isArray(max))
    throw fail('.maxAgeHours must be an object');
  for (const [kind, hours] of Object.entries(max)) {
    if (!(DATA_KINDS as readonly string[]).includes(kind))
      throw fail(`.maxAgeHours: unknown kind "${kind}" (${DATA_KINDS.join(', ')})`);
    if (
      hours !== null &&
      !(typeof hours === 'number' && Number.isInteger(hours) && hours >= 1 && hours <= MAX_AGE_HOURS_CEILING)
    )
      throw fail(`.maxAgeHours.${kind} must be whole hours 1–${MAX_AGE_HOURS_CEILING}, or null (no limit)`);
    out[kind as DataKind] = hours as number | null;
  }
  return out;
}
