import type pg from 'pg';
import {
  type NewPasswordReset,
  postgresAddPasswordReset,
  postgresPeekPasswordReset,
  postgresRedeemPasswordReset,
} from './password-resets.js';
import { pgTransaction } from './pg-transaction.js';
import {
  LOGIN_FAILURE_MEMORY_MS,
  type NewUserRow,
  type SessionRow,
  type UserChange,
  type UserRow,
} from './repository.js';
import { postgresKeepingAnAdmin, postgresUpdateUser } from './user-changes.js';

/**
 * The PostgreSQL side of the hub's accounts: users, sessions and failed-login counts (users.ts
 * decides, this stores), with the pool helpers the repository (postgres.ts, which extends it) uses.
 */
export class PostgresAccounts {
  constructor(protected readonly pool: pg.Pool) {}

  protected async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  /** Runs `work` in one transaction on one connection. */
  protected transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return pgTransaction(this.pool, work);
  }

  async upsertUser(u: NewUserRow) {
    return this.transaction((client) =>
      postgresKeepingAnAdmin(client, async () => {
        // xmax = 0 on a freshly inserted row, not on one the conflict updated.
        const { rows } = await client.query<{ inserted: boolean }>(
          `INSERT INTO users (phone, password, role, sites, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (phone) DO UPDATE SET password = excluded.password, role = excluded.role, sites = excluded.sites
         RETURNING (xmax = 0) AS inserted`,
          [u.phone, u.password, u.role, u.sites, u.createdAt],
        );
        if (u.email !== undefined)
          await client.query('UPDATE users SET email = $2 WHERE phone = $1', [u.phone, u.email]);
        const ended = await client.query('DELETE FROM sessions WHERE phone = $1', [u.phone]);
        return { existed: rows[0]?.inserted === false, sessionsEnded: ended.rowCount ?? 0 };
      }),
    );
  }

  async updateUser(phone: string, change: UserChange, keepSession = '') {
    return this.transaction((client) => postgresUpdateUser(client, phone, change, keepSession));
  }

  async addPasswordReset(r: NewPasswordReset) {
    return this.transaction((client) => postgresAddPasswordReset(client, r));
  }

  async peekPasswordReset(codeHash: string, phone: string, at: Date) {
    return postgresPeekPasswordReset(this.pool, codeHash, phone, at.toISOString());
  }

  async redeemPasswordReset(codeHash: string, phone: string, at: Date, passwordHash: string) {
    return this.transaction((client) =>
      postgresRedeemPasswordReset(client, codeHash, phone, at.toISOString(), passwordHash),
    );
  }

  async user(phone: string) {
    const [row] = await this.rows<UserRow>(
      'SELECT phone, password, role, sites, created_at AS "createdAt", disabled, email FROM users WHERE phone = $1',
      [phone],
    );
    return row ?? null;
  }

  async users() {
    return this.rows<UserRow>(
      'SELECT phone, password, role, sites, created_at AS "createdAt", disabled, email FROM users ORDER BY phone',
    );
  }

  async setUserDisabled(phone: string, disabled: boolean) {
    return this.transaction((client) =>
      postgresKeepingAnAdmin(client, async () => {
        const changed = await client.query('UPDATE users SET disabled = $2 WHERE phone = $1', [
          phone,
          disabled,
        ]);
        if (changed.rowCount === 0) return null;
        const ended = await client.query('DELETE FROM sessions WHERE phone = $1', [phone]);
        return { sessionsEnded: ended.rowCount ?? 0 };
      }),
    );
  }

  async deleteUser(phone: string) {
    return this.transaction((client) =>
      postgresKeepingAnAdmin(client, async () => {
        const ended = await client.query('DELETE FROM sessions WHERE phone = $1', [phone]);
        const removed = await client.query('DELETE FROM users WHERE phone = $1', [phone]);
        return removed.rowCount === 0 ? null : { sessionsEnded: ended.rowCount ?? 0 };
      }),
    );
  }

  async takeLoginAttempt(account: string, now: Date, lockMs: (failures: number) => number) {
    const t = now.getTime();
    return this.transaction(async (client) => {
      // The row exists, then is locked: parallel attempts (any hub process) take their turn here.
      await client.query(
        'INSERT INTO login_failures (account, failures, last_at) VALUES ($1, 0, 0) ON CONFLICT (account) DO NOTHING',
        [account],
      );
      const { rows } = await client.query<{ failures: number; lastAt: string }>(
        'SELECT failures, last_at AS "lastAt" FROM login_failures WHERE account = $1 FOR UPDATE',
        [account],
      );
      const lastAt = Number(rows[0]?.lastAt ?? 0);
      const failures = lastAt >= t - LOGIN_FAILURE_MEMORY_MS ? (rows[0]?.failures ?? 0) : 0;
      const until = lastAt + lockMs(failures);
      if (failures > 0 && until > t) return { allowed: false as const, retryAfterMs: until - t };
      await client.query('UPDATE login_failures SET failures = $2, last_at = $3 WHERE account = $1', [
        account,
        failures + 1,
        t,
      ]);
      return { allowed: true as const };
    });
  }

  async forgetLoginFailures(before: Date) {
    return (
      (await this.pool.query('DELETE FROM login_failures WHERE last_at < $1', [before.getTime()])).rowCount ??
      0
    );
  }

  async clearLoginFailures(account: string) {
    await this.pool.query('DELETE FROM login_failures WHERE account = $1', [account]);
  }

  async addSession(s: SessionRow, now: Date) {
    await this.pool.query(
      `WITH expired AS (DELETE FROM sessions WHERE expires_at < $5)
       INSERT INTO sessions (id, phone, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
      [s.id, s.phone, s.csrf, s.expiresAt, now.getTime()],
    );
  }

  async session(id: string) {
    const [row] = await this.rows<SessionRow & UserRow & { createdAt: string }>(
      `SELECT s.id, s.csrf, s.expires_at AS "expiresAt", u.phone, u.password, u.role, u.sites, u.created_at AS "createdAt", u.email
         FROM sessions s JOIN users u ON u.phone = s.phone WHERE s.id = $1 AND NOT u.disabled`,
      [id],
    );
    if (!row) return null;
    return {
      id: row.id,
      phone: row.phone,
      csrf: row.csrf,
      expiresAt: row.expiresAt,
      user: {
        phone: row.phone,
        password: row.password,
        role: row.role,
        sites: row.sites,
        createdAt: row.createdAt,
        disabled: false,
        email: row.email,
      },
    };
  }

  async deleteSession(id: string) {
    await this.pool.query('DELETE FROM sessions WHERE id = $1', [id]);
  }
}
