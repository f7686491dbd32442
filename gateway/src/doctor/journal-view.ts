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
 * The outbox as the uplink sees it: rows the hub has not receipted (`delivered_at IS NULL`), and the
 * oldest of them in journal order (its `at` as the kiosk's clock wrote it).
 */
export function outboxState(dataDir: string): { depth: number; oldestAt: string | null } {
  return readJournal(dataDir, (db) => {
    const { n } = db.prepare('SELECT count(*) AS n FROM checkins WHERE delivered_at IS NULL').get() as {
      n: number;
    };
    const oldest = db
      .prepare('SELECT at FROM checkins WHERE delivered_at IS NULL ORDER BY seq LIMIT 1')
      .get() as { at: string } | undefined;
    return { depth: n, oldestAt: oldest?.at ?? null };
  });
}
