/**
 * Users on the web (issue #17): one-time reset codes (single use under concurrent redemption on two
 * connections, expiry, withdrawal), the last enabled admin kept (also under two admins changing each
 * other at once), a password change ending the other sessions, audit rows that never hold a password
 * or a code, and the HTTP routes' refusals in both languages. Both engines, real argon2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubStore } from '../src/index.js';
import {
  addUser,
  changeOwnPassword,
  changeUser,
  issueResetCode,
  normaliseResetCode,
  redeemResetCode,
  removeUser,
} from '../src/use-cases/users.js';
import { UserError } from '../src/user-error.js';
import { ENGINES, newDatabase } from './engines.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const ADMIN = '0900000001';
const OFFICER = '0900000002';
const PW = 'first-password-1';
const NEW_PW = 'second-password-2';

/** The code of a UserError a promise is refused with. */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: unknown) => (err instanceof UserError ? err.code : `not a UserError: ${String(err)}`),
  );

describe.each(ENGINES)('users on %s', (engine) => {
  let stores: [HubStore, HubStore];
  beforeAll(async () => {
    // Two connections to one database, as two hub processes (or the CLI beside the hub) have.
    const { database, dataDir } = await newDatabase(engine);
    stores = [await HubStore.open(database, dataDir), await HubStore.open(database, dataDir)];
    await addUser(
      stores[0],
      'test',
      { phone: ADMIN, role: 'admin', sites: ['*'], password: PW },
      { replace: false },
    );
  });
  afterAll(async () => {
    for (const s of stores ?? []) await s.close();
  });

  it('a reset code works once, however many redeem it at once; the password is the winner’s', async () => {
    const [a, b] = stores;
    const { code } = await addUser(
      a,
      ADMIN,
      { phone: OFFICER, role: 'officer', sites: ['s-001'] },
      { replace: false },
    );
    expect(code?.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const typed = (code?.code ?? '').toLowerCase().replace(/-/g, ' ');
    const passwords = ['racer-password-a', 'racer-password-b', 'racer-password-c'];
    const results = await Promise.all(
      passwords.map((password, i) =>
        refusal(redeemResetCode(i % 2 ? b : a, { phone: OFFICER, code: typed, password }, '192.0.2.1')),
      ),
    );
    expect(results.filter((r) => r === 'accepted')).toHaveLength(1);
    expect(results.filter((r) => r !== 'accepted')).toEqual(['code-used', 'code-used']);
    const winner = passwords[results.indexOf('accepted')] as string;
    // (Only one password can be stored, so the winner's logging in shows the others did not.)
    // The officer now changes it: their other sessions end, the one that asked stays.
    const here = await a.users.login(OFFICER, winner);
    const elsewhere = await b.users.login(OFFICER, winner);
    if (!here || !elsewhere) throw new Error('no session');
    expect(
      await refusal(changeOwnPassword(a, here, { oldPassword: 'not-my-password', newPassword: NEW_PW })),
    ).toBe('wrong-password');
    expect(await changeOwnPassword(a, here, { oldPassword: winner, newPassword: NEW_PW })).toEqual({
      sessionsEnded: 1,
    });
    expect(await b.users.session(here.id)).not.toBeNull();
    expect(await b.users.session(elsewhere.id)).toBeNull();
    // (That the new password logs in and the old does not: the HTTP test below, and the next test.)
  });

  it('a code expires after 24 h, is withdrawn by a newer one, is bound to its phone, and ends sessions', async () => {
    const [a] = stores;
    const t0 = new Date('2026-03-01T08:00:00Z');
    const old = await issueResetCode(a, ADMIN, OFFICER, t0);
    expect(old.expiresAt).toBe('2026-03-02T08:00:00.000Z');
    const late = new Date(t0.getTime() + 24 * 3600_000 + 1000);
    // Attempts count per account (the back-off) at their time: after `late`, nothing goes back to t0.
    const redeem = (code: string, phone = OFFICER, at = late) =>
      refusal(redeemResetCode(a, { phone, code, password: 'reset-password-3' }, '192.0.2.2', at));
    expect(await redeem(old.code, OFFICER, late)).toBe('code-expired');
    const fresh = await issueResetCode(a, ADMIN, OFFICER, late);
    expect(await redeem(old.code)).toBe('code-withdrawn');
    expect(await redeem(fresh.code, ADMIN)).toBe('code-wrong');
    expect(await redeem('0000-0000-0000')).toBe('code-wrong');
    // Crockford: O read as 0, I and L as 1.
    expect(normaliseResetCode('o1il-0000')).toBe('01110000');
    const open = await a.users.login(OFFICER, NEW_PW);
    expect(await redeem(fresh.code)).toBe('accepted');
    expect(await a.users.session(open?.id)).toBeNull();
    expect(await a.users.login(OFFICER, 'reset-password-3')).not.toBeNull();
  });

  it('the last enabled admin is not disabled, demoted or removed, even by two admins at once', async () => {
    const [a, b] = stores;
    const editOf = (store: HubStore, phone: string, edit: Parameters<typeof changeUser>[3]) =>
      refusal(changeUser(store, ADMIN, phone, edit));
    expect(await editOf(a, ADMIN, { disabled: true })).toBe('last-admin');
    expect(await editOf(a, ADMIN, { role: 'officer' })).toBe('last-admin');
    expect(await refusal(removeUser(a, ADMIN, ADMIN))).toBe('last-admin');
    expect(await refusal(a.users.add(ADMIN, PW, 'tracer', ['*']))).toBe('last-admin');
    // A second admin: now either may go, but not both at once.
    expect(await editOf(a, OFFICER, { role: 'admin', sites: ['*'] })).toBe('accepted');
    const both = await Promise.all([
      editOf(a, ADMIN, { disabled: true }),
      editOf(b, OFFICER, { disabled: true }),
    ]);
    expect(both.sort()).toEqual(['accepted', 'last-admin']);
    expect((await a.users.list()).filter((u) => u.role === 'admin' && !u.disabled)).toHaveLength(1);
    // Put things back: both enabled, the second one an officer again.
    for (const phone of [ADMIN, OFFICER])
      expect(await editOf(a, phone, { disabled: false })).toBe('accepted');
    expect(await editOf(a, OFFICER, { role: 'officer', sites: ['s-001'], email: 'officer@example.vn' })).toBe(
      'accepted',
    );
  });

  it('every change is audited by who did it, to whom, never with a password or a code', async () => {
    const [a] = stores;
    const log = await a.auditLog(500);
    const actions = log.map((r) => r.action);
    for (const action of [
      'user-add',
      'user-change',
      'user-disable',
      'user-enable',
      'password-reset-code',
      'password-reset',
      'password-reset-refused',
      'password-change',
      'password-change-refused',
    ])
      expect(actions, action).toContain(action);
    const text = JSON.stringify(log);
    for (const secret of [PW, NEW_PW, 'reset-password-3', 'racer-password-a', 'not-my-password'])
      expect(text).not.toContain(secret);
    // Codes: neither as shown nor as typed.
    expect(text).not.toMatch(/[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/);
    const reset = log.find((r) => r.action === 'password-reset-code');
    expect(reset?.actor).toBe(ADMIN);
    expect(JSON.parse(reset?.detail ?? '{}')).toMatchObject({ phone: OFFICER });
    const disable = log.find((r) => r.action === 'user-disable');
    expect(disable?.actor).toBe(ADMIN);
  });
});

describe.each(ENGINES)('the user routes on %s', (engine) => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  beforeAll(async () => {
    hub = await httpHub(engine, { loginsPerMinute: 1000, resetsPerMinute: 3 });
    await hub.store.users.add(ADMIN, PW, 'admin', ['*']);
  });
  afterAll(async () => hub?.stop());

  const call = async (
    method: string,
    path: string,
    s: { cookie: string; csrf: string } | undefined,
    body?: unknown,
  ) => {
    const res = await fetch(`${hub.address}${path}`, {
      method,
      headers: {
        ...(s ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  it('an admin adds a user with a code, the user sets a password with it, and logs in', async () => {
    const admin = await logIn(hub.address, ADMIN, PW);
    const added = await call('POST', '/api/users', admin, {
      phone: '0912 345 678',
      role: 'officer',
      sites: ['district:760'],
      email: 'officer@example.vn',
    });
    expect(added.status).toBe(201);
    expect(added.headers.get('cache-control')).toBe('no-store');
    const code = (added.body.code as { code: string }).code;
    expect(added.body.user).toEqual({
      phone: '0912345678',
      role: 'officer',
      sites: ['district:760'],
      email: 'officer@example.vn',
    });
    // The same phone again: edit it instead (409), in both languages.
    const again = await call('POST', '/api/users', admin, {
      phone: '0912345678',
      role: 'tracer',
      sites: ['*'],
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({
      vi: expect.stringContaining('đã có tài khoản'),
      en: expect.any(String),
    });
    const bad = await call('POST', '/api/users', admin, {
      phone: '0912345679',
      role: 'officer',
      sites: ['district:760'],
      email: 'not an address',
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { en: string }).en).toContain('e-mail');

    expect(
      (await call('POST', '/api/password-reset', undefined, { phone: '0912345678', code, password: 'short' }))
        .status,
    ).toBe(400);
    const reset = await call('POST', '/api/password-reset', undefined, {
      phone: '0912345678',
      code,
      password: 'officer-password',
    });
    expect(reset).toMatchObject({ status: 200, body: { ok: true } });
    const used = await call('POST', '/api/password-reset', undefined, {
      phone: '0912345678',
      code,
      password: 'officer-password',
    });
    expect(used.status).toBe(410);
    expect(used.body.error).toEqual({
      vi: 'Mã đặt lại này đã được dùng',
      en: 'this reset code has been used already',
    });
    // Per address: the fourth try in a minute waits, in words.
    const limited = await call('POST', '/api/password-reset', undefined, {
      phone: '0912345678',
      code,
      password: PW,
    });
    expect(limited.status).toBe(429);
    expect((limited.body.error as { vi: string }).vi).toContain('thử lại sau');

    const officer = await logIn(hub.address, '0912345678', 'officer-password');
    expect(officer.csrf).not.toBe('');
    expect((await call('GET', '/api/users', officer)).status).toBe(403);
    expect((await call('PATCH', '/api/users/0912345678', officer, { role: 'admin' })).status).toBe(403);
    const listed = await call('GET', '/api/users', admin);
    expect(listed.body).toContainEqual({
      phone: '0912345678',
      role: 'officer',
      sites: ['district:760'],
      email: 'officer@example.vn',
      disabled: false,
    });
  });

  it('PATCH edits, ends the sessions it must, refuses the last admin and unknown fields; CSRF is required', async () => {
    const admin = await logIn(hub.address, ADMIN, PW);
    const officer = await logIn(hub.address, '0912345678', 'officer-password');
    const me = () => call('GET', '/api/me', officer);
    // Without the CSRF token: refused before anything changes.
    const noCsrf = await fetch(`${hub.address}/api/users/0912345678`, {
      method: 'PATCH',
      headers: { cookie: admin.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ disabled: true }),
    });
    expect(noCsrf.status).toBe(403);
    // An e-mail alone: the officer's session stays; a scope: it ends.
    expect((await call('PATCH', '/api/users/0912345678', admin, { email: null })).body.email).toBeNull();
    expect((await me()).status).toBe(200);
    const changed = await call('PATCH', '/api/users/0912345678', admin, { sites: ['s-001', 'ward:26734'] });
    expect(changed.body).toMatchObject({ sites: ['s-001', 'ward:26734'], disabled: false });
    expect((await me()).status).toBe(401);
    expect((await call('PATCH', '/api/users/0912345678', admin, {})).status).toBe(400);
    expect((await call('PATCH', '/api/users/0912345678', admin, { password: 'x' })).status).toBe(400);
    expect((await call('PATCH', '/api/users/0999999999', admin, { disabled: true })).status).toBe(404);
    const last = await call('PATCH', `/api/users/${ADMIN}`, admin, { role: 'officer' });
    expect(last.status).toBe(409);
    expect(last.body.error).toEqual({
      vi: 'Không thể khóa, hạ vai trò hay xóa quản trị viên cuối cùng còn hoạt động',
      en: 'the last enabled admin cannot be disabled, demoted or removed',
    });
    // A code for the officer, from the page; its answer is not cached.
    const issued = await call('POST', '/api/users/0912345678/reset', admin, {});
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body).toMatchObject({ phone: '0912345678', code: expect.any(String) });
  });

  it('POST /api/me/password: the current password is needed; other sessions end, this one stays', async () => {
    const one = await logIn(hub.address, ADMIN, PW);
    const two = await logIn(hub.address, ADMIN, PW);
    const wrong = await call('POST', '/api/me/password', one, {
      oldPassword: 'nope-nope-nope',
      newPassword: NEW_PW,
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toEqual({
      vi: 'Mật khẩu hiện tại không đúng',
      en: 'the current password is wrong',
    });
    const ok = await call('POST', '/api/me/password', one, { oldPassword: PW, newPassword: NEW_PW });
    expect(ok.status).toBe(200);
    // `two` and the admin's sessions of the tests before.
    expect(ok.body.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await call('GET', '/api/me', one)).status).toBe(200);
    expect((await call('GET', '/api/me', two)).status).toBe(401);
    expect((await logIn(hub.address, ADMIN, NEW_PW)).csrf).not.toBe('');
  });
});
