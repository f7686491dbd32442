import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type Database from 'better-sqlite3';

/**
 * Hub users: officers log in with their phone number and a password (argon2id). A role decides what
 * they may do; a scope, the sites they see (an area is the set of its sites): `*` for all.
 *   admin — everything, users included · officer — live view and reports for their sites ·
 *   site-owner — their own sites · tracer — contact tracing (every query audited)
 */
export type Role = 'admin' | 'officer' | 'site-owner' | 'tracer';
export const ROLES: Role[] = ['admin', 'officer', 'site-owner', 'tracer'];

export interface User {
  phone: string;
  role: Role;
  /** Site ids, or ['*']. */
  sites: string[];
}

export interface Session {
  id: string;
  user: User;
  csrf: string;
  expiresAt: number;
}

const SESSION_MS = 8 * 3600_000;

export const normalisePhone = (phone: string): string | null => {
  const digits = phone.replace(/[\s.-]/g, '').replace(/^\+84/, '0');
  return /^0\d{9,10}$/.test(digits) ? digits : null;
};

export class Users {
  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS users (phone TEXT PRIMARY KEY, password TEXT NOT NULL, role TEXT NOT NULL, sites TEXT NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, phone TEXT NOT NULL, csrf TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    `);
  }

  async add(phone: string, password: string, role: Role, sites: string[]): Promise<User> {
    const p = normalisePhone(phone);
    if (!p) throw new Error('not a Vietnamese phone number');
    if (password.length < 10) throw new Error('the password needs at least 10 characters');
    if (!ROLES.includes(role)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
    const hash = await argon2.hash(password, { type: argon2.argon2id });
    this.db
      .prepare(
        'INSERT INTO users (phone, password, role, sites, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(phone) DO UPDATE SET password = excluded.password, role = excluded.role, sites = excluded.sites',
      )
      .run(p, hash, role, JSON.stringify(sites), new Date().toISOString());
    return { phone: p, role, sites };
  }

  /** A new session for a correct phone and password; null otherwise (same answer for an unknown phone). */
  async login(phone: string, password: string): Promise<Session | null> {
    const p = normalisePhone(phone);
    const row = p
      ? (this.db.prepare('SELECT phone, password, role, sites FROM users WHERE phone = ?').get(p) as
          | { phone: string; password: string; role: Role; sites: string }
          | undefined)
      : undefined;
    // Verify against a dummy hash for unknown users too, so timing does not tell who has an account.
    const ok = await argon2.verify(row?.password ?? DUMMY_HASH, password).catch(() => false);
    if (!row || !ok) return null;
    const session: Session = {
      id: randomBytes(32).toString('hex'),
      user: { phone: row.phone, role: row.role, sites: JSON.parse(row.sites) as string[] },
      csrf: randomBytes(24).toString('hex'),
      expiresAt: Date.now() + SESSION_MS,
    };
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(Date.now());
    this.db
      .prepare('INSERT INTO sessions (id, phone, csrf, expires_at) VALUES (?, ?, ?, ?)')
      .run(session.id, row.phone, session.csrf, session.expiresAt);
    return session;
  }

  session(id: string | undefined): Session | null {
    if (!id || !/^[0-9a-f]{64}$/.test(id)) return null;
    const row = this.db
      .prepare(
        'SELECT s.id, s.csrf, s.expires_at AS expiresAt, u.phone, u.role, u.sites FROM sessions s JOIN users u ON u.phone = s.phone WHERE s.id = ?',
      )
      .get(id) as
      | { id: string; csrf: string; expiresAt: number; phone: string; role: Role; sites: string }
      | undefined;
    if (!row || row.expiresAt < Date.now()) return null;
    return {
      id: row.id,
      csrf: row.csrf,
      expiresAt: row.expiresAt,
      user: { phone: row.phone, role: row.role, sites: JSON.parse(row.sites) as string[] },
    };
  }

  logout(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }
}

const DUMMY_HASH =
  '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$0Yt7y3Yy4vKx1sC3aGm1mC+F0o2b6eQ3r8b2kqJb7nM';

export const canSee = (user: User, site: string) => user.sites.includes('*') || user.sites.includes(site);
