import { createHash, randomBytes } from 'node:crypto';
import type { HubStore } from '../store.js';
import { UserError } from '../user-error.js';
import {
  checkEmail,
  checkPassword,
  checkPhone,
  checkRole,
  checkScope,
  hashPassword,
  keepingAnAdmin,
  lockMs,
  type Role,
  type Session,
  type User,
  verifyPassword,
} from '../users.js';

/**
 * User management, one home for the CLI (`qrkiosk-hub user …`) and the page (/api/users…,
 * /api/me/password, /api/password-reset): each operation validates, changes the store (which ends
 * the user's sessions and keeps an enabled admin, in its transaction) and writes one audit row —
 * actor, action, whose account — never a password or a code. Errors are UserError: `vi / en` for
 * the CLI, `{ error: { vi, en } }` with its status for HTTP.
 */
export type UserView = User & { disabled: boolean };

/** How long a reset code may be used: a day, time enough to reach the officer by phone. */
export const RESET_CODE_HOURS = 24;

/** Crockford's base32: no I, L, O or U, so a code read over the phone is not misheard or mistyped. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 12 characters, 60 bits: beyond guessing at 5 tries a minute per address and the per-account back-off. */
const CODE_LENGTH = 12;

/** A new code, shown as XXXX-XXXX-XXXX. 256 is a multiple of 32, so `byte & 31` is unbiased. */
export function newResetCode(): string {
  const chars = [...randomBytes(CODE_LENGTH)].map((b) => ALPHABET[b & 31]).join('');
  return chars.replace(/(.{4})(?=.)/g, '$1-');
}

/** A code as typed: case, spaces and dashes ignored, O read as 0 and I, L as 1 (Crockford's rule). */
export const normaliseResetCode = (code: string): string =>
  code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');

/** What is stored instead of the code: bound to the phone, so a code is nobody else's. */
export const resetCodeHash = (phone: string, code: string): string =>
  createHash('sha256')
    .update(`qrkiosk-password-reset/1\n${phone}\n${normaliseResetCode(code)}`)
    .digest('hex');

export interface IssuedCode {
  phone: string;
  code: string;
  expiresAt: string;
}

export const listUsers = (store: HubStore): Promise<UserView[]> => store.users.list();

export interface NewUser {
  phone: string;
  role: string;
  sites: string[];
  email?: string | null;
  /** None: the user gets a one-time code instead, to choose their own password with. */
  password?: string;
}

/**
 * Adds a user. `replace` (the CLI's `user add`, as it always did): an existing user is changed —
 * password, role, scope, e-mail if given. The page's add refuses an existing phone (409): changes go
 * through changeUser, which does not need a password. Without a password the account gets one
 * nobody knows and a reset code is issued.
 */
export async function addUser(
  store: HubStore,
  actor: string,
  input: NewUser,
  options: { replace: boolean; now?: Date },
): Promise<{ user: User; code?: IssuedCode }> {
  const phone = checkPhone(input.phone);
  if (input.password !== undefined) checkPassword(input.password);
  checkRole(input.role);
  checkScope(input.sites);
  checkEmail(input.email);
  if (!options.replace && (await store.repo.user(phone))) throw new UserError('user-exists');
  const password = input.password ?? randomBytes(32).toString('base64url');
  const user = await store.users.add(phone, password, input.role as Role, input.sites, actor, input.email);
  if (input.password !== undefined) return { user };
  return { user, code: await issueResetCode(store, actor, phone, options.now) };
}

export interface UserEdit {
  role?: string;
  sites?: string[];
  email?: string | null;
  disabled?: boolean;
}

/**
 * Changes a user's role, scope, e-mail or disabled flag. Their sessions end unless only the e-mail
 * changed; the last enabled admin is not disabled or demoted (409). Enabling also ends a login
 * back-off (how an admin lets a locked-out user in). A change of `disabled` alone is audited as
 * user-disable / user-enable, as the CLI's commands are; anything else as user-change.
 */
export async function changeUser(
  store: HubStore,
  actor: string,
  phone: string,
  edit: UserEdit,
): Promise<UserView> {
  const p = checkPhone(phone);
  const role = edit.role === undefined ? undefined : checkRole(edit.role);
  const sites = edit.sites === undefined ? undefined : checkScope(edit.sites);
  const email = checkEmail(edit.email);
  const r = await keepingAnAdmin(() =>
    store.repo.updateUser(p, {
      ...(role !== undefined ? { role } : {}),
      ...(sites !== undefined ? { sites: JSON.stringify(sites) } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(edit.disabled !== undefined ? { disabled: edit.disabled } : {}),
    }),
  );
  if (!r) throw new UserError('no-user');
  if (edit.disabled === false) await store.repo.clearLoginFailures(p);
  const onlyDisabled = role === undefined && sites === undefined && email === undefined;
  const action =
    edit.disabled !== undefined && onlyDisabled
      ? edit.disabled
        ? 'user-disable'
        : 'user-enable'
      : 'user-change';
  await store.audit(actor, action, {
    phone: p,
    ...(role !== undefined ? { role } : {}),
    ...(sites !== undefined ? { sites } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(edit.disabled !== undefined ? { disabled: edit.disabled } : {}),
    sessionsEnded: r.sessionsEnded,
  });
  const after = (await store.users.list()).find((u) => u.phone === p);
  if (!after) throw new UserError('no-user');
  return after;
}

/** Removes a user and their sessions (the CLI's `user remove`); never the last enabled admin. */
export async function removeUser(store: HubStore, actor: string, phone: string): Promise<void> {
  const p = checkPhone(phone);
  if (!(await store.users.remove(p, actor))) throw new UserError('no-user');
}

/**
 * A one-time code with which the user sets a new password (POST /api/password-reset): shown once,
 * only its hash stored, valid RESET_CODE_HOURS, spent by its first use, withdrawn by a newer one.
 * The current password keeps working until the code is used (issuing a code is not a lock-out).
 */
export async function issueResetCode(
  store: HubStore,
  actor: string,
  phone: string,
  now = new Date(),
): Promise<IssuedCode> {
  const p = checkPhone(phone);
  if (!(await store.repo.user(p))) throw new UserError('no-user');
  const code = newResetCode();
  const expiresAt = new Date(now.getTime() + RESET_CODE_HOURS * 3600_000).toISOString();
  const withdrawn = await store.repo.addPasswordReset({
    codeHash: resetCodeHash(p, code),
    phone: p,
    createdAt: now.toISOString(),
    expiresAt,
    createdBy: actor,
  });
  await store.audit(actor, 'password-reset-code', { phone: p, expiresAt, withdrawn }, now);
  return { phone: p, code, expiresAt };
}

/**
 * Spends a reset code: the new password is set and every session of the user ends, in the code's
 * transaction. Guessing is bounded per address by the route and per account here (the login
 * back-off under its own name, so a guesser does not lock the officer's logins). A success also
 * ends the login back-off. Unknown phones count and answer alike.
 */
export async function redeemResetCode(
  store: HubStore,
  input: { phone: string; code: string; password: string },
  from: string,
  now = new Date(),
): Promise<{ phone: string }> {
  checkPassword(input.password);
  const p = checkPhone(input.phone);
  const account = `reset:${p}`;
  const ticket = await store.repo.takeLoginAttempt(account, now, lockMs);
  if (!ticket.allowed) throw tooManyAttempts(ticket.retryAfterMs);
  const codeHash = resetCodeHash(p, input.code);
  // A wrong code costs a query, not an argon2 hash; a right one is still claimed atomically below.
  const early = await store.repo.peekPasswordReset(codeHash, p, now);
  const r = early
    ? { ok: false as const, reason: early }
    : await store.repo.redeemPasswordReset(codeHash, p, now, await hashPassword(input.password));
  if (!r.ok) {
    await store.audit(p, 'password-reset-refused', { phone: p, reason: r.reason, ip: from }, now);
    throw new UserError(r.reason === 'code-unknown' ? 'code-wrong' : r.reason);
  }
  await store.repo.clearLoginFailures(account);
  await store.repo.clearLoginFailures(p);
  await store.audit(p, 'password-reset', { phone: p, ip: from, sessionsEnded: r.sessionsEnded }, now);
  return { phone: p };
}

/**
 * A user changes their own password, giving the current one: their other sessions end, the one
 * that asked stays. Wrong current passwords count as failed logins, so a borrowed session cannot
 * guess the password faster than the login form could.
 */
export async function changeOwnPassword(
  store: HubStore,
  session: Session,
  input: { oldPassword: string; newPassword: string },
  now = new Date(),
): Promise<{ sessionsEnded: number }> {
  checkPassword(input.newPassword);
  const phone = session.user.phone;
  const ticket = await store.repo.takeLoginAttempt(phone, now, lockMs);
  if (!ticket.allowed) throw tooManyAttempts(ticket.retryAfterMs);
  const row = await store.repo.user(phone);
  if (!row || !(await verifyPassword(row.password, input.oldPassword))) {
    await store.audit(phone, 'password-change-refused', { phone }, now);
    throw new UserError('wrong-password');
  }
  await store.repo.clearLoginFailures(phone);
  const hash = await hashPassword(input.newPassword);
  const r = await store.repo.updateUser(phone, { password: hash }, session.id);
  if (!r) throw new UserError('no-user');
  await store.audit(phone, 'password-change', { phone, sessionsEnded: r.sessionsEnded }, now);
  return { sessionsEnded: r.sessionsEnded };
}

function tooManyAttempts(retryAfterMs: number): UserError {
  const s = Math.ceil(retryAfterMs / 1000);
  return Object.assign(
    new UserError('too-many-attempts', {
      vi: `Đã nhập sai nhiều lần; thử lại sau ${s} giây`,
      en: `Too many wrong attempts; try again in ${s} s`,
    }),
    { retryAfterS: s },
  );
}
