import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * The EU DCC JSON Schema (combined, 1.3.x), shipped with the gateway because a kiosk validates
 * offline; gateway/test/dcc.test.ts checks it is identical to ../shared/reference/dcc-schema.
 */
export const DCC_SCHEMA_FILE = new URL('../../../assets/dcc/DCC.combined-schema.json', import.meta.url);

const isFullDate = fullFormats.date as { validate: (s: string) => boolean };
const isIsoDateTime = fullFormats['iso-date-time'] as { validate: (s: string) => boolean };

/**
 * The schema's `format: date`, as the EU reference verifiers apply it: an RFC 3339 full-date, or one
 * followed by a valid time (offset optional). Early issuers (dgc-testdata BG 1–2; a PL sample cited in -android#31) wrote a
 * vaccination `dt` of `2021-03-18T22:54:00+02:00` or `2021-03-09T00:00:00`; dgca-app-core-android
 * validated with a draft-04 validator that never checks `date`, and its maintainers confirmed such
 * codes verify (eu-digital-green-certificates/dgca-app-core-android#31, -ios#58). In schema 1.3.x
 * `format: date` is used by exactly v[].dt, r[].fr, r[].df and r[].du (gateway/test/dcc-dates.test.ts
 * checks that), so this changes nothing else: dob keeps its own pattern, t[].sc stays `date-time`.
 * The day is the prefix as written, offset ignored (lookup/dcc-facts.ts reads it so).
 */
export const dccDate = (s: string): boolean => isFullDate.validate(s) || isIsoDateTime.validate(s);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = addFormats(new Ajv2020({ allErrors: false, strict: false, validateFormats: true }));
    ajv.addFormat('date', { type: 'string', validate: dccDate });
    compiled = ajv.compile(JSON.parse(readFileSync(DCC_SCHEMA_FILE, 'utf8')) as object);
  }
  return compiled;
}

/**
 * The two other marks of the earliest (pre-1.0) HCERTs, both in dgc-testdata BG 1–2 whose files expect
 * schema validation to pass: `dob` written as a date-time (`1978-01-26T00:00:00`) and the unused groups
 * written as `null` (`"t": null`). Validated as what they mean — the date part, an absent group — and
 * nothing else is relaxed: a dob that is not a date-time keeps the schema's pattern, and a group that
 * is present must still be a valid array. The identity's birth date is the date part (dcc/index.ts).
 */
function asMeant(hcert: unknown): unknown {
  if (typeof hcert !== 'object' || hcert === null || Array.isArray(hcert)) return hcert;
  const h = hcert as Record<string, unknown>;
  const legacyDob =
    typeof h.dob === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(h.dob) && isIsoDateTime.validate(h.dob);
  const nullGroups = (['v', 't', 'r'] as const).filter((k) => k in h && h[k] === null);
  if (!legacyDob && nullGroups.length === 0) return hcert;
  const copy: Record<string, unknown> = { ...h };
  if (legacyDob) copy.dob = (h.dob as string).slice(0, 10);
  for (const k of nullGroups) delete copy[k];
  return copy;
}

/** Validates an HCERT payload; returns the errors, empty when valid. Compiled once, on first use. */
export function validateHcert(hcert: unknown): string[] {
  const validate = validator();
  if (validate(asMeant(hcert))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
