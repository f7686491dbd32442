import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Renames a database file and its -wal/-shm aside as `<file>.corrupt-<stamp>` (+ `-wal`, `-shm`,
 * so the set still opens together for a post-mortem). Returns the new name.
 */
export function moveAside(file: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  const aside = `${file}.corrupt-${stamp}`;
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}

/** True for errors that say the file is not a (sound) SQLite database, as opposed to I/O or space. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

/**
 * Closes a connection whose open failed. A corrupt file is renamed aside first: on close SQLite
 * deletes the -wal and -shm it finds beside the file (seen with a garbage journal.db), and the -wal
 * may hold the very rows a technician wants back. The new name is put on the error as `aside`.
 */
export function closeFailedOpen(db: Database.Database, file: string, err: unknown, now: Date): void {
  if (isCorruption(err) && err instanceof Error) {
    try {
      Object.assign(err, { aside: moveAside(file, now) });
    } catch {
      // cannot rename (read-only folder): the error stands as it is
    }
  }
  db.close();
}

/** Where closeFailedOpen moved a corrupt file, if it did. */
export function asideOf(err: unknown): string | undefined {
  const aside = (err as { aside?: unknown }).aside;
  return typeof aside === 'string' ? aside : undefined;
}

/**
 * Opens (or creates) a kiosk database file and runs `setup` on it (pragmas, tables, a first read).
 * When either fails the connection is closed through closeFailedOpen — a corrupt file renamed aside
 * with its -wal/-shm — and the error thrown. The one open path of `journal.db` and `cache.db`.
 */
export function openDatabaseFile(
  file: string,
  now: Date,
  setup: (db: Database.Database) => void,
): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    setup(db);
  } catch (err) {
    closeFailedOpen(db, file, err, now);
    throw err;
  }
  return db;
}
