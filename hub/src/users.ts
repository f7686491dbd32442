import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { HubRepository, SiteInfo } from './storage/index.js';

/**
 * Hub users: officers log in with their phone number and a password (argon2id). A role decides what
 * they may do; a scope, the sites they see:
 *   admin — everything, users included · officer — live view and reports for their area ·
 *   site-owner — their own sites · tracer — contact tracing (every query audited)
 * Scope entries: `*` (everything), a site id (`s-001`), a district (`district:760`) or a ward
 * (`ward:26734`) — an area is the set of its registered sites.
 */
export type Role = 'admin' | 'officer' | 'site-owner' | 'tracer';
export const ROLES: Role[] = ['admin', 'officer', 'site-owner', 'tracer'];

export interface User {
  phone: string;
  role: Role;
  /** Scope entries, see above. */
  sites: string[];
}

export interface Session {
  id: string;
  user: User;
  csrf: string;
  expiresAt: number;
}

const SESSION_MS = 8 * 3600_000;
const SCOPE = /^(\*|[A-Za-z0-9_-]{1,64}|(district|ward):[A-Za-z0-9_-]{1,64})$/;

export const normalisePhone = (phone: string): string | null => {
  const digits = phone.replace(/[\s.-]/g, '').replace(/^\+84/, '0');
  return /^0\d{9,10}$/.test(digits) ? digits : null;
};

export class Users {
  constructor(private readonly repo: HubRepository) {}

  async add(phone: string, password: string, role: Role, sites: string[]): Promise<User> {
    const p = normalisePhone(phone);
    if (!p) throw new Error('not a Vietnamese phone number');
    if (password.length < 10) throw new Error('the password needs at least 10 characters');
    if (!ROLES.includes(role)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
    const bad = sites.find((s) => !SCOPE.test(s));
    if (bad !== undefined || sites.length === 0)
      throw new Error(`scope "${bad ?? ''}": use *, a site id, district:<code> or ward:<code>`);
    const hash = await argon2.hash(password, { type: argon2.argon2id });
    await this.repo.upsertUser({
      phone: p,
      password: hash,
      role,
      sites: JSON.stringify(sites),
      createdAt: new Date().toISOString(),
    });
    return { phone: p, role, sites };
  }

  /** A new session for a correct phone and password; null otherwise (same answer for an unknown phone). */
  async login(phone: string, password: string): Promise<Session | null> {
    const p = normalisePhone(phone);
    const row = p ? await this.repo.user(p) : null;
    // Verify against a dummy hash for unknown users too, so timing does not tell who has an account.
    const ok = await argon2.verify(row?.password ?? DUMMY_HASH, password).catch(() => false);
    if (!row || !ok) return null;
    const session: Session = {
      id: randomBytes(32).toString('hex'),
      user: { phone: row.phone, role: row.role as Role, sites: JSON.parse(row.sites) as string[] },
      csrf: randomBytes(24).toString('hex'),
      expiresAt: Date.now() + SESSION_MS,
    };
    await this.repo.addSession(
      { id: session.id, phone: row.phone, csrf: session.csrf, expiresAt: session.expiresAt },
      new Date(),
    );
    return session;
  }

  async session(id: string | undefined): Promise<Session | null> {
    if (!id || !/^[0-9a-f]{64}$/.test(id)) return null;
    const row = await this.repo.session(id);
    if (!row || row.expiresAt < Date.now()) return null;
    return {
      id: row.id,
      csrf: row.csrf,
      expiresAt: row.expiresAt,
      user: {
        phone: row.user.phone,
        role: row.user.role as Role,
        sites: JSON.parse(row.user.sites) as string[],
      },
    };
  }

  async logout(id: string): Promise<void> {
    await this.repo.deleteSession(id);
  }
}

const DUMMY_HASH =
  '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$0Yt7y3Yy4vKx1sC3aGm1mC+F0o2b6eQ3r8b2kqJb7nM';

/** Whether a user's scope covers a site (through its id, its ward or its district). */
export function canSee(user: User, site: string, directory?: ReadonlyMap<string, SiteInfo>): boolean {
  if (user.sites.includes('*') || user.sites.includes(site)) return true;
  const info = directory?.get(site);
  if (!info) return false;
  return user.sites.includes(`district:${info.district}`) || user.sites.includes(`ward:${info.ward}`);
}
