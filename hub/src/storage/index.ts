import { join } from 'node:path';
import { PostgresRepository } from './postgres.js';
import type { HubRepository } from './repository.js';
import { SqliteRepository } from './sqlite.js';

export { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
export { PostgresRepository } from './postgres.js';
export type * from './repository.js';
export { SqliteRepository } from './sqlite.js';
export { LastAdminError } from './user-changes.js';

/**
 * Opens the hub's storage. `database`: a `postgres://…` (or `postgresql://…`) URL for PostgreSQL;
 * otherwise SQLite — a file path, or nothing for `<dataDir>/hub.db`. `onPoolError`: where an error
 * of an idle PostgreSQL connection is reported (default: standard error).
 */
export async function openRepository(
  database: string | undefined,
  dataDir: string,
  options: { onPoolError?: (err: Error) => void } = {},
): Promise<HubRepository> {
  if (database && /^postgres(ql)?:\/\//.test(database)) return PostgresRepository.open(database, options);
  return new SqliteRepository(database || join(dataDir, 'hub.db'));
}

/** The database as it may be logged: a PostgreSQL password is never printed. */
export function describeDatabase(database: string | undefined, dataDir: string): string {
  if (database && /^postgres(ql)?:\/\//.test(database)) {
    const u = new URL(database);
    if (u.password) u.password = '***';
    return u.toString();
  }
  return database || join(dataDir, 'hub.db');
}
