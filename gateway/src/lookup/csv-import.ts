import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { encodeFacts, type Facts, FactsError } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import { hashIdentity, type IdType } from './identity-keys.js';

/**
 * `qrkiosk cache import FILE.csv`: the technician's (and the benchmark's) unsigned way to load facts.
 * One identity key per row; a person with several documents has several rows. A bad row is
 * reported with its line number and skipped; the rest imports.
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

const ID_PATTERNS: Record<Exclude<IdType, 'uvci' | 'phone'>, RegExp> = {
  cccd: /^\d{12}$/,
  cmnd: /^(\d{9}|\d{12})$/,
  passport: /^[A-Z0-9]{6,12}$/,
  qid: /^\d{6,32}$/,
  bhyt: /^[A-Z]{2}\d{13}$/,
  bhxh: /^\d{10}$/,
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

class RowError extends Error {}

/** One CSV field: surrounding spaces and an optional pair of double quotes removed. */
const unquote = (v: string) => {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"')
    ? t.slice(1, -1).replace(/""/g, '"').trim()
    : t;
};

function parseRow(
  cells: string[],
  at: Record<string, number>,
  today: string,
): { type: IdType; id: string; facts: Facts } {
  const get = (name: (typeof CSV_COLUMNS)[number]) => unquote(cells[at[name] ?? -1] ?? '');
  const type = get('id_type').toLowerCase() as Exclude<IdType, 'uvci' | 'phone'>;
  if (!(type in ID_PATTERNS))
    throw new RowError(`id_type "${get('id_type')}" is not one of ${Object.keys(ID_PATTERNS).join(', ')}`);
  const id = get('id').toUpperCase().replace(/\s+/g, '');
  if (!ID_PATTERNS[type].test(id)) throw new RowError(`id is not a valid ${type} number`);
  const doses = get('doses_received');
  if (doses !== '' && !/^\d{1,3}$/.test(doses))
    throw new RowError(`doses_received "${doses}" is not a number`);
  const primary = get('primary_series_complete');
  if (primary !== '' && primary !== '0' && primary !== '1')
    throw new RowError(`primary_series_complete must be 0 or 1`);
  const testAt = get('negative_test_at');
  if (testAt !== '' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:\d{2})$/.test(testAt))
    throw new RowError(
      `negative_test_at "${testAt}" must be ISO-8601 with an offset, e.g. 2021-10-30T08:00:00+07:00`,
    );
  const testType = get('negative_test_type').toLowerCase();
  if (testType !== '' && testType !== 'pcr' && testType !== 'rat')
    throw new RowError(`negative_test_type must be pcr or rat`);
  const caseStatus = (get('case_status').toLowerCase() || 'none') as Facts['caseStatus'];
  if (!['none', 'f0', 'f1'].includes(caseStatus)) throw new RowError(`case_status must be none, f0 or f1`);
  const date = (name: 'first_dose_date' | 'last_dose_date' | 'recovered_date' | 'case_until') => {
    const v = get(name);
    if (v === '') return null;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new RowError(`${name} "${v}" must be YYYY-MM-DD`);
    return v;
  };
  return {
    type,
    id,
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

/**
 * Streams the CSV into the cache's `facts` table in transactions of `batch` rows. Rows are written
 * as they come; a problem in one row never stops the import.
 */
export async function importCsv(
  db: Database.Database,
  file: string,
  hashKey: Buffer,
  options: { today: string; batch?: number },
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, skipped: 0, problems: [] };
  const problem = (line: number, message: string) => {
    report.skipped++;
    if (report.problems.length < 1000) report.problems.push({ line, message });
  };
  // Keys are hashes, so rows arrive in random key order. They go to an append-only staging table
  // first, then into the cache in one statement that SQLite's sorter feeds in key order: measured
  // several times faster than inserting into the B-tree row by row.
  db.exec(
    'DROP TABLE IF EXISTS temp.facts_stage; CREATE TEMP TABLE facts_stage (key BLOB NOT NULL, facts BLOB NOT NULL);',
  );
  const stage = db.prepare<[Buffer, Buffer]>('INSERT INTO temp.facts_stage (key, facts) VALUES (?, ?)');
  const batchSize = options.batch ?? 100_000;
  let pending: Array<[Buffer, Buffer]> = [];
  const flush = db.transaction((rows: Array<[Buffer, Buffer]>) => {
    for (const [k, f] of rows) stage.run(k, f);
  });
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNo = 0;
  let at: Record<string, number> | undefined;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (!at) {
      const names = cells.map((c) => unquote(c).toLowerCase());
      const missing = CSV_COLUMNS.filter((c) => !names.includes(c));
      if (missing.length > 0)
        throw new Error(
          `line 1: the header row lacks ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(',')})`,
        );
      at = Object.fromEntries(names.map((n, i) => [n, i]));
      continue;
    }
    try {
      const row = parseRow(cells, at, options.today);
      pending.push([hashIdentity(hashKey, row.type, row.id), encodeFacts(row.facts)]);
      report.imported++;
    } catch (err) {
      if (err instanceof RowError || err instanceof FactsError) problem(lineNo, err.message);
      else throw err;
    }
    if (pending.length >= batchSize) {
      flush(pending);
      pending = [];
    }
  }
  if (!at) throw new Error('the file is empty: a header row is required');
  flush(pending);
  // Ordered by rowid within a key, a later row for the same person overwrites an earlier one,
  // as a row-by-row upsert would.
  db.exec(`INSERT INTO facts (key, facts) SELECT key, facts FROM temp.facts_stage WHERE true ORDER BY key, rowid
           ON CONFLICT(key) DO UPDATE SET facts = excluded.facts;
           DROP TABLE temp.facts_stage;`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  return report;
}
