import type { Facts } from './facts.js';
import type { IdType } from './identity-hash.js';

/**
 * The facts CSV (`qrkiosk cache import`, `qrkiosk-hub publish-cache`): one identity key per row; a
 * person with several documents has several rows. Empty cell = unknown. An optional `person` column
 * (PERSON_COLUMN) groups a person's rows: the hub links those documents for tracing; kiosks ignore it.
 */
export const CSV_COLUMNS = [
  'id_type',
  'id',
  'doses_received',
  'primary_series_complete',
  'first_dose_date',
  'last_dose_date',
  'recovered_date',
  'negative_test_at',
  'negative_test_type',
  'case_status',
  'case_until',
] as const;

/** Optional: the health office's key for the person a row is about (1–64 of A–Z a–z 0–9 . _ -). */
export const PERSON_COLUMN = 'person';
const PERSON = /^[A-Za-z0-9._-]{1,64}$/;

const ID_PATTERNS: Record<Exclude<IdType, 'uvci'>, RegExp> = {
  cccd: /^\d{12}$/,
  cmnd: /^(\d{9}|\d{12})$/,
  passport: /^[A-Z0-9]{6,12}$/,
  qid: /^\d{6,32}$/,
  bhyt: /^[A-Z]{2}\d{13}$/,
  bhxh: /^\d{10}$/,
  // As reception's manual entry keys it (gateway manual-entry.ts): 0 and 9–10 digits, +84 read as 0.
  phone: /^0\d{9,10}$/,
};

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportReport {
  imported: number;
  skipped: number;
  /** The first problems (at most 1000 kept; `skipped` counts them all). */
  problems: ImportProblem[];
}

export class FactsCsvError extends Error {}

/** One CSV field: surrounding spaces and an optional pair of double quotes removed. */
export const unquote = (v: string) => {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"')
    ? t.slice(1, -1).replace(/""/g, '"').trim()
    : t;
};

/**
 * Who a row is about (its id_type and id), even when the rest of the row is bad: the hub keeps that
 * person's published facts rather than turning a bad row into a deletion. Throws FactsCsvError.
 */
export function parseFactsCsvIdentity(
  cells: string[],
  at: Record<string, number>,
): { type: IdType; id: string } {
  const get = (name: (typeof CSV_COLUMNS)[number]) => unquote(cells[at[name] ?? -1] ?? '');
  const type = get('id_type').toLowerCase() as Exclude<IdType, 'uvci'>;
  if (!Object.hasOwn(ID_PATTERNS, type))
    throw new FactsCsvError(
      `id_type "${get('id_type')}" is not one of ${Object.keys(ID_PATTERNS).join(', ')}`,
    );
  const raw = get('id').toUpperCase().replace(/\s+/g, '');
  const id = type === 'phone' ? raw.replace(/[.-]/g, '').replace(/^\+84/, '0') : raw;
  if (!ID_PATTERNS[type].test(id)) throw new FactsCsvError(`id is not a valid ${type} number`);
  return { type, id };
}

/**
 * The row's `person` key, when the file has that column and the cell is not empty; throws FactsCsvError
 * on a malformed one (a typo must not silently leave a document unlinked).
 */
export function parseFactsCsvPerson(cells: string[], at: Record<string, number>): string | undefined {
  if (at[PERSON_COLUMN] === undefined) return undefined;
  const person = unquote(cells[at[PERSON_COLUMN]] ?? '');
  if (person === '') return undefined;
  if (!PERSON.test(person))
    throw new FactsCsvError(`person "${person.slice(0, 80)}" must be 1–64 of A–Z a–z 0–9 . _ -`);
  return person;
}

/**
 * One row. `withPerson` false: the `person` column is not read at all (kiosks: a person key is the
 * hub's business, and a malformed one must not cost a kiosk that person's facts).
 */
export function parseFactsCsvRow(
  cells: string[],
  at: Record<string, number>,
  today: string,
  withPerson = true,
): { type: IdType; id: string; person?: string; facts: Facts } {
  const get = (name: (typeof CSV_COLUMNS)[number]) => unquote(cells[at[name] ?? -1] ?? '');
  const { type, id } = parseFactsCsvIdentity(cells, at);
  const person = withPerson ? parseFactsCsvPerson(cells, at) : undefined;
  const doses = get('doses_received');
  if (doses !== '' && !/^\d{1,3}$/.test(doses))
    throw new FactsCsvError(`doses_received "${doses}" is not a number`);
  const primary = get('primary_series_complete');
  if (primary !== '' && primary !== '0' && primary !== '1')
    throw new FactsCsvError(`primary_series_complete must be 0 or 1`);
  const testAt = get('negative_test_at');
  if (testAt !== '' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:\d{2})$/.test(testAt))
    throw new FactsCsvError(
      `negative_test_at "${testAt}" must be ISO-8601 with an offset, e.g. 2021-10-30T08:00:00+07:00`,
    );
  const testType = get('negative_test_type').toLowerCase();
  if (testType !== '' && testType !== 'pcr' && testType !== 'rat')
    throw new FactsCsvError(`negative_test_type must be pcr or rat`);
  const caseStatus = (get('case_status').toLowerCase() || 'none') as Facts['caseStatus'];
  if (!['none', 'f0', 'f1'].includes(caseStatus))
    throw new FactsCsvError(`case_status must be none, f0 or f1`);
  const date = (name: 'first_dose_date' | 'last_dose_date' | 'recovered_date' | 'case_until') => {
    const v = get(name);
    if (v === '') return null;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new FactsCsvError(`${name} "${v}" must be YYYY-MM-DD`);
    return v;
  };
  return {
    type,
    id,
    ...(person === undefined ? {} : { person }),
    facts: {
      dosesReceived: doses === '' ? null : Number(doses),
      primarySeriesComplete: primary === '' ? null : primary === '1',
      firstDoseDate: date('first_dose_date'),
      lastDoseDate: date('last_dose_date'),
      recoveredDate: date('recovered_date'),
      negativeTestAt: testAt === '' ? null : new Date(testAt).toISOString(),
      negativeTestType: testType === '' ? null : (testType as 'pcr' | 'rat'),
      caseStatus,
      caseUntil: date('case_until'),
      source: 'import',
      updatedOn: today,
    },
  };
}

/** Column positions from the header row; throws FactsCsvError naming the missing columns. */
export function parseFactsCsvHeader(cells: string[]): Record<string, number> {
  const names = cells.map((c) => unquote(c).toLowerCase());
  const missing = CSV_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0)
    throw new FactsCsvError(`the header row lacks ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(',')})`);
  return Object.fromEntries(names.map((n, i) => [n, i]));
}
