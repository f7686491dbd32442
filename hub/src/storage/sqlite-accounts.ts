import type Database from 'better-sqlite3';
import {
  type NewPasswordReset,
  sqliteAddPasswordReset,
  sqlitePeekPasswordReset,
  sqliteRedeemPasswordReset,
} from './password-resets.js';
import {
  LOGIN_FAILURE_MEMORY_MS,
  type NewUserRow,
  type SessionRow,
  type UserChange,
  type UserRow,
} from './repository.js';
import { sqliteKeepingAnAdmin, sqliteUpdateUser } from './user-changes.js';

/**
 * The SQLite side of the hub's accounts: users, sessions and failed-login counts (users.ts decides,
 * this stores). The repository (sqlite.ts) extends it, so both share one connection and its
 * transactions.
 */
export class SqliteAccounts {
  private readonly a;

  constructor(protected readonly db: Database.Database) {
    this.a = {
      user: db.prepare<[string], Omit<UserRow, 'disabled'> & { disabled: number }>(
        'SELECT phone, password, role, sites, created_at AS createdAt, disabled, email FROM users WHERE phone = ?',
      ),
      users: db.prepare<[], Omit<UserRow, 'disabled'> & { disabled: number }>(
        'SELECT phone, password, role, sites, created_at AS createdAt, disabled, email FROM users ORDER BY phone',
      ),
      upsertUser: db.prepare<[string, string, string, string, string]>(
        'INSERT INTO users (phone, password, role, sites, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET password = excluded.password, role = excluded.role, sites = excluded.sites',
      ),
      setEmail: db.prepare<[string | null, string]>('UPDATE users SET email = ? WHERE phone = ?'),
      endSessions: db.prepare<[string]>('DELETE FROM sessions WHERE phone = ?'),
      loginFailures: db.prepare<[string], { failures: number; lastAt: number }>(
        'SELECT failures, last_at AS lastAt FROM login_failures WHERE account = ?',
      ),
      session: db.prepare<[string], SessionRow>(
        'SELECT id, phone, csrf, expires_at AS expiresAt FROM sessions WHERE id = ?',
      ),
      setLoginFailures: db.prepare<[string, number, number]>(
        'INSERT INTO login_failures (account, failures, last_at) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at',
      ),
    };
  }

  async upsertUser(u: NewUserRow) {
    return this.db
      .transaction(() =>
        sqliteKeepingAnAdmin(this.db, () => {
          const existed = this.a.user.get(u.phone) !== undefined;
          this.a.upsertUser.run(u.phone, u.password, u.role, u.sites, u.createdAt);
          if (u.email !== undefined) this.a.setEmail.run(u.email, u.phone);
          return { existed, sessionsEnded: this.a.endSessions.run(u.phone).changes };
        }),
      )
      .immediate();
  }

  async updateUser(phone: string, change: UserChange, keepSession = '') {
    return sqliteUpdateUser(this.db, phone, change, keepSession);
  }

  async addPasswordReset(r: NewPasswordReset) {
    return sqliteAddPasswordReset(this.db, r);
  }

  async peekPasswordReset(codeHash: string, phone: string, at: Date) {
    return sqlitePeekPasswordReset(this.db, codeHash, phone, at.toISOString());
  }

  async redeemPasswordReset(codeHash: string, phone: string, at: Date, passwordHash: string) {
    return sqliteRedeemPasswordReset(this.db, codeHash, phone, at.toISOString(), passwordHash);
  }

  async user(phone: string) {
    const row = this.a.user.get(phone);
    return row ? { ...row, disabled: row.disabled !== 0 } : null;
  }

  async users() {
    return this.a.users.all().map((row) => ({ ...row, disabled: row.disabled !== 0 }));
  }

  async setUserDisabled(phone: string, disabled: boolean) {
    return this.db
      .transaction(() =>
        sqliteKeepingAnAdmin(this.db, () => {
          const changed = this.db
            .prepare('UPDATE users SET disabled = ? WHERE phone = ?')
            .run(disabled ? 1 : 0, phone).changes;
          return changed === 0 ? null : { sessionsEnded: this.a.endSessions.run(phone).changes };
        }),
      )
      .immediate();
  }

  async deleteUser(phone: string) {
    return this.db
      .transaction(() =>
        sqliteKeepingAnAdmin(this.db, () => {
          // SQLite's sessions table has no foreign key (files from before the numbered steps): by hand.
          const sessionsEnded = this.a.endSessions.run(phone).changes;
          this.db.prepare('DELETE FROM password_resets WHERE phone = ?').run(phone);
          const removed = this.db.prepare('DELETE FROM users WHERE phone = ?').run(phone).changes;
          return removed === 0 ? null : { sessionsEnded };
        }),
      )
      .immediate();
  }

  async takeLoginAttempt(account: string, now: Date, lockMs: (failures: number) => number) {
    const t = now.getTime();
    // IMMEDIATE: the write lock is taken before the read, so hub processes sharing the file count in turn.
    return this.db
      .transaction(() => {
        const row = this.a.loginFailures.get(account);
        const failures = row && row.lastAt >= t - LOGIN_FAILURE_MEMORY_MS ? row.failures : 0;
        const until = (row?.lastAt ?? 0) + lockMs(failures);
        if (failures > 0 && until > t) return { allowed: false as const, retryAfterMs: until - t };
        this.a.setLoginFailures.run(account, failures + 1, t);
        return { allowed: true as const };
      })
      .immediate();
  }

  async forgetLoginFailures(before: Date) {
    return this.db.prepare('DELETE FROM login_failures WHERE last_at < ?').run(before.getTime()).changes;
  }

  async clearLoginFailures(account: string) {
    this.db.prepare('DELETE FROM login_failures WHERE account = ?').run(account);
  }

  async addSession(s: SessionRow, now: Date) {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(now.getTime());
      this.db
        .prepare('INSERT INTO sessions (id, phone, csrf, expires_at) VALUES (?, ?, ?, ?)')
        .run(s.id, s.phone, s.csrf, s.expiresAt);
    })();
  }

  async session(id: string) {
    const s = this.a.session.get(id);
    const user = s && (await this.user(s.phone));
    return s && user && !user.disabled ? { ...s, user } : null;
  }

  async deleteSession(id: string) {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }
}
