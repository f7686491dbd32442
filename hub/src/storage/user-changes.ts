import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { UpdateResult, UserChange, UserRow } from './repository.js';

/**
 * Changes to users that must leave the hub with an enabled admin, in SQL for both engines (one text,
 * `$n` → `?` for SQLite). Every such change counts enabled admins before and after, inside its
 * transaction, and throws LastAdminError (rolling back) when the count would fall to zero: an admin
 * disabling, demoting or removing the last admin locks everybody out of user management.
 *
 * Counting inside one transaction is not enough on PostgreSQL alone: two admins demoting each other
 * at once would each still count the other (READ COMMITTED). So the transaction first takes
 * `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`, which conflicts with itself and with any write to
 * users, but not with reads (logins and sessions read on). SQLite runs writers one at a time; its
 * transactions are IMMEDIATE so the count is read under the write lock.
 */
export class LastAdminError extends Error {
  readonly code = 'last-admin';
  constructor() {
    super('the last enabled admin cannot be disabled, demoted or removed');
  }
}

const ADMINS = `SELECT count(*) AS n FROM users WHERE role = 'admin' AND NOT disabled`;
const USER = `SELECT phone, password, role, sites, created_at AS "createdAt", disabled, email FROM users WHERE phone = $1`;
const UPDATE = `UPDATE users SET role = coalesce($1, role), sites = coalesce($2, sites),
  email = CASE WHEN $3 THEN $4 ELSE email END, disabled = coalesce($5, disabled),
  password = coalesce($6, password) WHERE phone = $7`;
/** Ends a user's sessions but one (a password changed by its owner keeps the session that changed it). */
const END_SESSIONS = 'DELETE FROM sessions WHERE phone = $1 AND id <> $2';
export const LOCK_USERS = 'LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE';

const q = (sql: string) => sql.replace(/\$\d+/g, '?');

/**
 * Whether a change takes rights away or could be used with old ones: a role, scope, password or
 * disabled flag that differs. An e-mail alone changes nothing the sessions may do, so they stay.
 */
const endsSessions = (before: UserRow, c: UserChange) =>
  (c.role !== undefined && c.role !== before.role) ||
  (c.sites !== undefined && c.sites !== before.sites) ||
  (c.disabled !== undefined && c.disabled !== before.disabled) ||
  c.password !== undefined;

const params = (phone: string, c: UserChange, bool: (b: boolean) => unknown) => [
  c.role ?? null,
  c.sites ?? null,
  bool(c.email !== undefined),
  c.email ?? null,
  c.disabled === undefined ? null : bool(c.disabled),
  c.password ?? null,
  phone,
];

/** SQLite: call inside an IMMEDIATE transaction. Counts admins, runs `change`, refuses if none is left. */
export function sqliteKeepingAnAdmin<T>(db: Database.Database, change: () => T): T {
  const count = () => (db.prepare(ADMINS).get() as { n: number }).n;
  const before = count();
  const result = change();
  if (before > 0 && count() === 0) throw new LastAdminError();
  return result;
}

export function sqliteUpdateUser(
  db: Database.Database,
  phone: string,
  c: UserChange,
  keepSession: string,
): UpdateResult {
  return db
    .transaction(() =>
      sqliteKeepingAnAdmin(db, () => {
        const row = db.prepare(q(USER)).get(phone) as
          | (Omit<UserRow, 'disabled'> & { disabled: number })
          | undefined;
        if (!row) return null;
        const before = { ...row, disabled: row.disabled !== 0 };
        db.prepare(q(UPDATE)).run(...params(phone, c, (b) => (b ? 1 : 0)));
        const sessionsEnded = endsSessions(before, c)
          ? db.prepare(q(END_SESSIONS)).run(phone, keepSession).changes
          : 0;
        return { before, sessionsEnded };
      }),
    )
    .immediate();
}

/** PostgreSQL: call inside a transaction. Locks users' writers out, counts, runs `change`, refuses if none is left. */
export async function postgresKeepingAnAdmin<T>(client: pg.PoolClient, change: () => Promise<T>): Promise<T> {
  await client.query(LOCK_USERS);
  const count = async () => Number((await client.query<{ n: string }>(ADMINS)).rows[0]?.n ?? 0);
  const before = await count();
  const result = await change();
  if (before > 0 && (await count()) === 0) throw new LastAdminError();
  return result;
}

export async function postgresUpdateUser(
  client: pg.PoolClient,
  phone: string,
  c: UserChange,
  keepSession: string,
): Promise<UpdateResult> {
  return postgresKeepingAnAdmin(client, async () => {
    const before = (await client.query<UserRow>(USER, [phone])).rows[0];
    if (!before) return null;
    await client.query(
      UPDATE,
      params(phone, c, (b) => b),
    );
    const sessionsEnded = endsSessions(before, c)
      ? ((await client.query(END_SESSIONS, [phone, keepSession])).rowCount ?? 0)
      : 0;
    return { before, sessionsEnded };
  });
}
