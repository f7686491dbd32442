import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  encodeFacts,
  FactsCsvError,
  FactsError,
  type ImportReport,
  parseFactsCsvHeader,
  parseFactsCsvRow,
} from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import { hashIdentity } from './identity-keys.js';

export { CSV_COLUMNS, type ImportProblem, type ImportReport } from '@qrkiosk/protocol';

/**
 * `qrkiosk cache import FILE.csv`: the technician's (and the benchmark's) unsigned way to load facts.
 * A bad row is reported with its line number and skipped; the rest imports.
 *
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
      try {
        at = parseFactsCsvHeader(cells);
      } catch (err) {
        throw new Error(`line 1: ${(err as Error).message}`);
      }
      continue;
    }
    try {
      // The `person` column (the hub's, for tracing) is not read here.
      const row = parseFactsCsvRow(cells, at, options.today, false);
      pending.push([hashIdentity(hashKey, row.type, row.id), encodeFacts(row.facts)]);
      report.imported++;
    } catch (err) {
      if (err instanceof FactsCsvError || err instanceof FactsError) problem(lineNo, err.message);
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
