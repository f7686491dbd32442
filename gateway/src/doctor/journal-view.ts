import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The daemon's journal (record/index.ts), read only: never created, never migrated, never renamed
 * aside — the doctor may run beside the daemon, and what to do with a bad file is the daemon's call.
 * WAL lets this read while the daemon writes.
 */
export function readJournal<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The newest row's sequence number (0 for an empty journal): a new scan the daemon journaled moves it. */
export const lastSeq = (dataDir: string): number =>
  readJournal(
    dataDir,
    (db) => (db.prepare('SELECT max(seq) AS seq FROM checkins').get() as { seq: number | null }).seq ?? 0,
  );

/**
 * How many undelivered rows the doctor counts at most. The remote doctor runs on the daemon's loop (the
 * scan path's loop, review #15): a count over a million-row outbox took the loop for tens of milliseconds;
 * counted through the partial index and stopped here, it stays a few milliseconds. Past this, the
 * depth is "at least this many" — the oldest row's age says the rest.
 */
export const OUTBOX_COUNT_BOUND = 100_000;

/**
 * The outbox as the uplink sees it: rows the hub has not receipted (`delivered_at IS NULL`), counted up to
 * `bound` (`atLeast` when there are more), and the oldest of them in journal order (its `at` as the kiosk's
 * clock wrote it).
 */
export function outboxState(
  dataDir: string,
  bound = OUTBOX_COUNT_BOUND,
): { depth: number; atLeast: boolean; oldestAt: string | null } {
  return readJournal(dataDir, (db) => {
    const { n } = db
      .prepare(
        'SELECT count(*) AS n FROM (SELECT 1 FROM checkins WHERE delivered_at IS NULL ORDER BY seq LIMIT ?)',
      )
      .get(bound + 1) as { n: number };
    const oldest = db
      .prepare('SELECT at FROM checkins WHERE delivered_at IS NULL ORDER BY seq LIMIT 1')
      .get() as { at: string } | undefined;
    return { depth: Math.min(n, bound), atLeast: n > bound, oldestAt: oldest?.at ?? null };
  });
}
