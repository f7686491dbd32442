import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * One-time password-reset codes (migration 10), in SQL for both engines — the pattern of
 * storage/enrolments.ts. Only the code's hash is stored (a copy of the database resets nothing), a
 * newer code for a phone withdraws its older ones, and single use is one UPDATE whose WHERE says
 * "this phone, not used, not withdrawn, not expired": SQLite runs writers one at a time, PostgreSQL
 * re-checks the WHERE of a row another transaction just changed (READ COMMITTED re-evaluation after
 * the row lock), so of two redemptions at once exactly one gets the row. The new password and the end
 * of the user's sessions are written in the same transaction as the claim: a spent code always means
 * a changed password.
 */
export interface NewPasswordReset {
  codeHash: string;
  phone: string;
  createdAt: string;
  expiresAt: string;
  createdBy: string;
}

export type ResetRefusal = 'code-unknown' | 'code-used' | 'code-expired' | 'code-withdrawn';
export type ResetClaim = { ok: true; sessionsEnded: number } | { ok: false; reason: ResetRefusal };

const WITHDRAW = `UPDATE password_resets SET withdrawn_at = $1
  WHERE phone = $2 AND used_at IS NULL AND withdrawn_at IS NULL`;
const INSERT = `INSERT INTO password_resets (code_hash, phone, created_at, expires_at, created_by)
  VALUES ($1, $2, $3, $4, $5)`;
const CLAIM = `UPDATE password_resets SET used_at = $1
  WHERE code_hash = $2 AND phone = $3 AND used_at IS NULL AND withdrawn_at IS NULL AND expires_at > $4
  RETURNING phone`;
const ONE = `SELECT used_at AS "usedAt", withdrawn_at AS "withdrawnAt", expires_at AS "expiresAt"
  FROM password_resets WHERE code_hash = $1 AND phone = $2`;
const SET_PASSWORD = 'UPDATE users SET password = $1 WHERE phone = $2';
const END_SESSIONS = 'DELETE FROM sessions WHERE phone = $1';

const q = (sql: string) => sql.replace(/\$\d+/g, '?');

interface CodeState {
  usedAt: unknown;
  withdrawnAt: unknown;
  /** ISO text from SQLite, from PostgreSQL too (the pool's type parser): compared as instants. */
  expiresAt: string;
}

/** Why a code does not redeem at `at`, or null when it would (a code of another phone is unknown to this one). */
function refusal(row: CodeState | undefined, at: string): ResetRefusal | null {
  if (!row) return 'code-unknown';
  if (row.usedAt) return 'code-used';
  if (row.withdrawnAt) return 'code-withdrawn';
  return Date.parse(row.expiresAt) <= Date.parse(at) ? 'code-expired' : null;
}

/**
 * Why a code would be refused now, or null: read before the new password is hashed (argon2, the
 * costly part), so a wrong guess costs the hub a query, not a hash. The claim itself still decides.
 */
export function sqlitePeekPasswordReset(db: Database.Database, codeHash: string, phone: string, at: string) {
  return refusal(db.prepare(q(ONE)).get(codeHash, phone) as CodeState | undefined, at);
}

export async function postgresPeekPasswordReset(pool: pg.Pool, codeHash: string, phone: string, at: string) {
  return refusal((await pool.query<CodeState>(ONE, [codeHash, phone])).rows[0], at);
}

export function sqliteAddPasswordReset(db: Database.Database, r: NewPasswordReset): number {
  return db.transaction(() => {
    const withdrawn = db.prepare(q(WITHDRAW)).run(r.createdAt, r.phone).changes;
    db.prepare(q(INSERT)).run(r.codeHash, r.phone, r.createdAt, r.expiresAt, r.createdBy);
    return withdrawn;
  })();
}

export function sqliteRedeemPasswordReset(
  db: Database.Database,
  codeHash: string,
  phone: string,
  at: string,
  passwordHash: string,
): ResetClaim {
  return db
    .transaction((): ResetClaim => {
      if (!db.prepare(q(CLAIM)).get(at, codeHash, phone, at))
        return {
          ok: false,
          reason:
            refusal(db.prepare(q(ONE)).get(codeHash, phone) as CodeState | undefined, at) ?? 'code-used',
        };
      db.prepare(q(SET_PASSWORD)).run(passwordHash, phone);
      return { ok: true, sessionsEnded: db.prepare(q(END_SESSIONS)).run(phone).changes };
    })
    .immediate();
}

export async function postgresAddPasswordReset(client: pg.PoolClient, r: NewPasswordReset): Promise<number> {
  const withdrawn = (await client.query(WITHDRAW, [r.createdAt, r.phone])).rowCount ?? 0;
  await client.query(INSERT, [r.codeHash, r.phone, r.createdAt, r.expiresAt, r.createdBy]);
  return withdrawn;
}

export async function postgresRedeemPasswordReset(
  client: pg.PoolClient,
  codeHash: string,
  phone: string,
  at: string,
  passwordHash: string,
): Promise<ResetClaim> {
  const claimed = await client.query(CLAIM, [at, codeHash, phone, at]);
  if (claimed.rowCount === 0) {
    const seen = (await client.query<CodeState>(ONE, [codeHash, phone])).rows[0];
    return { ok: false, reason: refusal(seen, at) ?? 'code-used' };
  }
  await client.query(SET_PASSWORD, [passwordHash, phone]);
  return { ok: true, sessionsEnded: (await client.query(END_SESSIONS, [phone])).rowCount ?? 0 };
}
