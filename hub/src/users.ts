import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { type HubRepository, LastAdminError, type SiteInfo } from './storage/index.js';
import { UserError } from './user-error.js';

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
  /** Where alerts and daily reports reach them; null: none given. */
  email: string | null;
}

export interface Session {
  id: string;
  user: User;
  csrf: string;
  expiresAt: number;
}

const SESSION_MS = 8 * 3600_000;
/** Wrong passwords an account may have before logins to it wait (its own back-off, any address). */
export const FREE_LOGIN_FAILURES = 5;
/** The first wait after FREE_LOGIN_FAILURES, doubled at each further failure, up to the cap. */
const LOCK_BASE_MS = 30_000;
const LOCK_MAX_MS = 15 * 60_000;

/** How long logins to an account with `failures` failed attempts wait after the last one. */
export function lockMs(failures: number): number {
  return failures < FREE_LOGIN_FAILURES
    ? 0
    : Math.min(LOCK_MAX_MS, LOCK_BASE_MS * 2 ** (failures - FREE_LOGIN_FAILURES));
}

export type LoginResult =
  | { ok: true; session: Session }
  | { ok: false; reason: 'wrong' }
  /** Too many wrong passwords for this account: wait, whatever the password. */
  | { ok: false; reason: 'locked'; retryAfterMs: number };
const SCOPE = /^(\*|[A-Za-z0-9_-]{1,64}|(district|ward):[A-Za-z0-9_-]{1,64})$/;

/**
 * An e-mail address as HTML defines a "valid e-mail address" (WHATWG HTML §4.10.5.1.5, the rule a
 * browser's `<input type=email>` applies), so the page and the hub accept the same addresses; no
 * spaces or line breaks, hence no header injection. 254: the longest address SMTP carries (RFC 5321).
 */
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** The address trimmed, or null when it is not a valid one. */
export const normaliseEmail = (email: string): string | null => {
  const e = email.trim();
  return e.length <= 254 && EMAIL.test(e) ? e : null;
};

export const normalisePhone = (phone: string): string | null => {
  const digits = phone.replace(/[\s.-]/g, '').replace(/^\+84/, '0');
  return /^0\d{9,10}$/.test(digits) ? digits : null;
};

/** The checks every way in (CLI, page) applies; each throws a UserError naming what is wrong. */
export function checkPhone(phone: string): string {
  const p = normalisePhone(phone);
  if (!p) throw new UserError('bad-phone');
  return p;
}

export const MIN_PASSWORD = 10;
export function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD)
    throw new UserError('bad-password', {
      vi: `Mật khẩu cần ít nhất ${MIN_PASSWORD} ký tự`,
      en: `the password needs at least ${MIN_PASSWORD} characters`,
    });
  return password;
}

export function checkRole(role: string): Role {
  if (!ROLES.includes(role as Role))
    throw new UserError(
      'bad-role',
      { vi: `Vai trò phải là ${ROLES.join(', ')}`, en: `role must be one of ${ROLES.join(', ')}` },
      `Vai trò phải là / role must be one of ${ROLES.join(', ')}`,
    );
  return role as Role;
}

export function checkScope(sites: string[]): string[] {
  const bad = sites.find((s) => !SCOPE.test(s));
  if (bad !== undefined || sites.length === 0)
    throw new UserError(
      'bad-scope',
      {
        vi: `Phạm vi "${bad ?? ''}": dùng *, mã địa điểm, district:<mã> hoặc ward:<mã>`,
        en: `scope "${bad ?? ''}": use *, a site id, district:<code> or ward:<code>`,
      },
      `Phạm vi / scope "${bad ?? ''}": dùng / use *, a site id, district:<code> or ward:<code>`,
    );
  return sites;
}

/** undefined stays undefined (keep the stored address); null or '' is none. */
export function checkEmail(email: string | null | undefined): string | null | undefined {
  if (email === undefined) return undefined;
  if (email === null || email.trim() === '') return null;
  const e = normaliseEmail(email);
  if (!e)
    throw new UserError('bad-email', {
      vi: `Địa chỉ e-mail không hợp lệ: ${email.slice(0, 100)}`,
      en: `not a valid e-mail address: ${email.slice(0, 100)}`,
    });
  return e;
}

export const hashPassword = (password: string): Promise<string> =>
  argon2.hash(password, { type: argon2.argon2id });

/** Whether `password` matches `hash`; a malformed hash is a mismatch, not a crash. */
export const verifyPassword = (hash: string, password: string): Promise<boolean> =>
  argon2.verify(hash, password).catch(() => false);

/** Runs a storage change, turning its refusal to leave no admin into the user-facing error. */
export async function keepingAnAdmin<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof LastAdminError) throw new UserError('last-admin');
    throw err;
  }
}

export class Users {
  constructor(private readonly repo: HubRepository) {}

  /**
   * Adds a user, or changes one (password, role, scope, e-mail): the repository ends the user's
   * sessions in the same transaction, so an old password or a wider scope stops working at once.
   * Refuses to demote the last enabled admin. Audited.
   */
  async add(
    phone: string,
    password: string,
    role: Role,
    sites: string[],
    actor = 'hub',
    /** undefined: a changed user keeps their address; null or '': none. */
    email?: string | null,
  ): Promise<User> {
    const p = checkPhone(phone);
    const mail = checkEmail(email);
    checkPassword(password);
    checkRole(role);
    checkScope(sites);
    const hash = await hashPassword(password);
    const r = await keepingAnAdmin(() =>
      this.repo.upsertUser({
        phone: p,
        password: hash,
        role,
        sites: JSON.stringify(sites),
        createdAt: new Date().toISOString(),
        email: mail,
      }),
    );
    // A new password ends a back-off too: the officer locked out by guessers can log in again.
    await this.repo.clearLoginFailures(p);
    await this.repo.audit(
      actor,
      r.existed ? 'user-change' : 'user-add',
      {
        phone: p,
        role,
        sites,
        ...(mail !== undefined ? { email: mail } : {}),
        sessionsEnded: r.sessionsEnded,
      },
      new Date(),
    );
    return { phone: p, role, sites, email: mail ?? (await this.repo.user(p))?.email ?? null };
  }

  /** Disables (or enables again) a user; their sessions end. False when there is no such user. */
  async setDisabled(phone: string, disabled: boolean, actor = 'hub'): Promise<boolean> {
    const p = normalisePhone(phone);
    const r = p ? await keepingAnAdmin(() => this.repo.setUserDisabled(p, disabled)) : null;
    if (!r || !p) return false;
    // Enabling also ends a login back-off (`user enable` is how an admin lets a locked-out user in).
    if (!disabled) await this.repo.clearLoginFailures(p);
    await this.repo.audit(actor, disabled ? 'user-disable' : 'user-enable', { phone: p, ...r }, new Date());
    return true;
  }

  /** Removes a user and their sessions. False when there is no such user. */
  async remove(phone: string, actor = 'hub'): Promise<boolean> {
    const p = normalisePhone(phone);
    const r = p ? await keepingAnAdmin(() => this.repo.deleteUser(p)) : null;
    if (!r || !p) return false;
    await this.repo.audit(actor, 'user-remove', { phone: p, ...r }, new Date());
    return true;
  }

  /** Every user, without password hashes. */
  async list(): Promise<Array<User & { disabled: boolean }>> {
    return (await this.repo.users()).map((u) => ({
      phone: u.phone,
      role: u.role as Role,
      sites: JSON.parse(u.sites) as string[],
      email: u.email ?? null,
      disabled: u.disabled,
    }));
  }

  /** A new session for a correct phone and password; null otherwise (same answer for an unknown phone). */
  async login(phone: string, password: string): Promise<Session | null> {
    const r = await this.attempt(phone, password);
    return r.ok ? r.session : null;
  }

  /**
   * A login attempt with the account's back-off: after FREE_LOGIN_FAILURES wrong passwords the
   * account waits (30 s, doubling, at most 15 min) before a password is checked again, from any
   * address — the per-address limit alone let 4 addresses try 20 passwords a minute on one phone.
   * Unknown phones count and wait alike, so the answer does not tell who has an account.
   */
  async attempt(phone: string, password: string, now = new Date()): Promise<LoginResult> {
    const p = normalisePhone(phone);
    if (!p) {
      await argon2.verify(DUMMY_HASH, password).catch(() => false);
      return { ok: false, reason: 'wrong' };
    }
    const ticket = await this.repo.takeLoginAttempt(p, now, lockMs);
    if (!ticket.allowed) return { ok: false, reason: 'locked', retryAfterMs: ticket.retryAfterMs };
    const row = await this.repo.user(p);
    // Verify against a dummy hash for unknown users too, so timing does not tell who has an account.
    const ok = await verifyPassword(row?.password ?? DUMMY_HASH, password);
    // The attempt was counted as a failure when taken; only a success undoes that.
    if (!row || !ok || row.disabled) return { ok: false, reason: 'wrong' };
    await this.repo.clearLoginFailures(p);
    const session: Session = {
      id: randomBytes(32).toString('hex'),
      user: {
        phone: row.phone,
        role: row.role as Role,
        sites: JSON.parse(row.sites) as string[],
        email: row.email ?? null,
      },
      csrf: randomBytes(24).toString('hex'),
      expiresAt: now.getTime() + SESSION_MS,
    };
    await this.repo.addSession(
      { id: session.id, phone: row.phone, csrf: session.csrf, expiresAt: session.expiresAt },
      now,
    );
    return { ok: true, session };
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
        email: row.user.email ?? null,
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
