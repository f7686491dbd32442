/**
 * User management fails closed (issue #12, defect 11): any change to a user — password, role, scope,
 * disable, remove — ends their sessions on both engines; `user add` needs an explicit scope; every
 * change is audited. And the per-account login back-off (defect 10) on the store, both engines.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { FREE_LOGIN_FAILURES, HubStore, lockMs } from '../src/index.js';
import { redeemResetCode } from '../src/use-cases/users.js';
import { ENGINES, newDatabase, openStore } from './engines.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), ...args], { encoding: 'utf8' });
const PHONE = '0912345678';
const PW = 'long-enough-password';

describe.each(ENGINES)('user management on %s', (engine) => {
  it('a new password, role or scope, a disable or a removal ends the sessions already open', async () => {
    const { store } = await openStore(engine);
    await store.users.add(PHONE, PW, 'officer', ['district:760']);
    let password = PW;
    const live = async () => (await store.users.login(PHONE, password))?.id;

    const changes: Array<[string, () => Promise<unknown>]> = [
      [
        'password',
        () => {
          password = 'another-long-password';
          return store.users.add(PHONE, password, 'officer', ['district:760']);
        },
      ],
      ['role', () => store.users.add(PHONE, password, 'tracer', ['district:760'])],
      ['scope', () => store.users.add(PHONE, password, 'tracer', ['ward:26734'])],
      ['disable', () => store.users.setDisabled(PHONE, true)],
    ];
    for (const [what, change] of changes) {
      const a = await live();
      const b = await live();
      expect(await store.users.session(a), what).not.toBeNull();
      await change();
      expect(await store.users.session(a), what).toBeNull();
      expect(await store.users.session(b), what).toBeNull();
    }
    // Disabled: the right password no longer logs in, and gets the same answer as a wrong one.
    expect(await store.users.attempt(PHONE, password)).toEqual({ ok: false, reason: 'wrong' });
    expect(await store.users.setDisabled(PHONE, false)).toBe(true);
    const c = await live();
    expect(c).toBeDefined();
    expect(await store.users.remove(PHONE)).toBe(true);
    expect(await store.users.session(c)).toBeNull();
    expect(await store.users.login(PHONE, password)).toBeNull();
    expect(await store.users.remove(PHONE)).toBe(false);
    expect(await store.users.setDisabled('0900000000', true)).toBe(false);

    const actions = (await store.auditLog()).map((a) => a.action).reverse();
    expect(actions).toEqual([
      'user-add',
      'user-change',
      'user-change',
      'user-change',
      'user-disable',
      'user-enable',
      'user-remove',
    ]);
    expect((await store.auditLog())[0]?.detail).toContain('"sessionsEnded":1');
    await store.close();
  });

  it('an e-mail address is optional, validated, kept when a change does not name it, cleared by null', async () => {
    const { store } = await openStore(engine);
    const added = await store.users.add(PHONE, PW, 'officer', ['s-001'], 'hub', ' officer@so-yte.vn ');
    expect(added.email).toBe('officer@so-yte.vn');
    // A change without an address keeps the one stored (the CLI's `user add` without --email).
    expect((await store.users.add(PHONE, PW, 'officer', ['s-002'])).email).toBe('officer@so-yte.vn');
    const listed = await store.users.list();
    expect(listed).toEqual([
      { phone: PHONE, role: 'officer', sites: ['s-002'], email: 'officer@so-yte.vn', disabled: false },
    ]);
    expect((await store.users.login(PHONE, PW))?.user.email).toBe('officer@so-yte.vn');
    for (const bad of ['no-at-sign', 'a@b c', 'a@b\r\nBcc: x@y', 'a@-b', `${'x'.repeat(250)}@b.vn`])
      await expect(store.users.add(PHONE, PW, 'officer', ['s-002'], 'hub', bad)).rejects.toThrow(/e-mail/);
    expect((await store.users.add(PHONE, PW, 'officer', ['s-002'], 'hub', null)).email).toBeNull();
    expect((await store.users.list())[0]?.email).toBeNull();
    await store.close();
  });

  it('an account waits after 5 wrong passwords, whatever the password and address; success resets', async () => {
    const { store } = await openStore(engine);
    await store.users.add(PHONE, PW, 'officer', ['s-001']);
    const t0 = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < FREE_LOGIN_FAILURES; i++)
      expect(await store.users.attempt(PHONE, 'wrong-password', t0)).toEqual({ ok: false, reason: 'wrong' });
    // Locked: even the right password is not checked.
    expect(await store.users.attempt(PHONE, PW, new Date(t0.getTime() + 1000))).toEqual({
      ok: false,
      reason: 'locked',
      retryAfterMs: lockMs(FREE_LOGIN_FAILURES) - 1000,
    });
    // After the wait one more try; a wrong one doubles the wait.
    const t1 = new Date(t0.getTime() + lockMs(FREE_LOGIN_FAILURES));
    expect(await store.users.attempt(PHONE, 'wrong-password', t1)).toEqual({ ok: false, reason: 'wrong' });
    const locked = await store.users.attempt(PHONE, PW, t1);
    expect(locked).toEqual({ ok: false, reason: 'locked', retryAfterMs: lockMs(FREE_LOGIN_FAILURES + 1) });
    expect(lockMs(FREE_LOGIN_FAILURES + 1)).toBe(2 * lockMs(FREE_LOGIN_FAILURES));
    const t2 = new Date(t1.getTime() + lockMs(FREE_LOGIN_FAILURES + 1));
    expect((await store.users.attempt(PHONE, PW, t2)).ok).toBe(true);
    // The success forgot the failures: five wrong ones again before a wait.
    for (let i = 0; i < FREE_LOGIN_FAILURES; i++)
      expect((await store.users.attempt(PHONE, 'wrong-password', t2)).ok).toBe(false);
    expect(await store.users.attempt(PHONE, PW, t2)).toMatchObject({ reason: 'locked' });
    // An admin lets a locked-out user in again with `user enable` (or a new password).
    expect(await store.users.setDisabled(PHONE, false)).toBe(true);
    expect((await store.users.attempt(PHONE, PW, t2)).ok).toBe(true);
    // An unknown phone waits alike (the answer does not tell who has an account).
    for (let i = 0; i < FREE_LOGIN_FAILURES; i++) await store.users.attempt('0987654321', 'x', t0);
    expect(await store.users.attempt('0987654321', 'x', t0)).toMatchObject({ reason: 'locked' });
    // Counts are dropped a day after their last attempt (the daily purge): the table stays small.
    expect(await store.forgetLoginFailures(new Date(t2.getTime() + 2 * 86_400_000))).toBe(1);
    expect(await store.users.attempt('0987654321', 'x', t0)).toEqual({ ok: false, reason: 'wrong' });
    await store.close();
  });
});

describe('qrkiosk-hub user', () => {
  it('add refuses a missing scope (and a bare "*"); disable, enable and remove end sessions; all audited', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    writeFileSync(join(dataDir, 'pw'), `${PW}\n`);
    const base = ['--database', database, '--phone', PHONE];
    const add = (...extra: string[]) =>
      cli('user', 'add', ...base, '--role', 'officer', '--password-file', join(dataDir, 'pw'), ...extra);
    const noScope = add();
    expect(noScope.status).toBe(2);
    expect(noScope.stderr).toContain('Cần phạm vi');
    expect(noScope.stderr).toContain('a scope is required');
    expect(add('--sites', '*').status).toBe(2);
    expect(add('--sites', 's-001', '--all-sites').status).toBe(2);
    expect(add('--all-sites').status).toBe(0);
    expect(add('--sites', 'district:760').status).toBe(0);

    let store = await HubStore.open(database, dataDir);
    const session = await store.users.login(PHONE, PW);
    expect(session?.user.sites).toEqual(['district:760']);
    await store.close();
    expect(cli('user', 'disable', ...base).status).toBe(0);
    store = await HubStore.open(database, dataDir);
    expect(await store.users.session(session?.id)).toBeNull();
    expect(await store.users.login(PHONE, PW)).toBeNull();
    await store.close();
    const listed = cli('user', 'list', '--database', database, '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      { phone: PHONE, role: 'officer', sites: ['district:760'], disabled: true },
    ]);
    expect(cli('user', 'enable', ...base).status).toBe(0);
    expect(cli('user', 'remove', ...base).status).toBe(0);
    const again = cli('user', 'remove', ...base);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('Không có tài khoản');
    store = await HubStore.open(database, dataDir);
    const audit = await store.auditLog();
    expect(audit.map((a) => a.action).reverse()).toEqual([
      'user-add',
      'user-change',
      'user-disable',
      'user-enable',
      'user-remove',
    ]);
    expect(audit.every((a) => a.actor.endsWith('@cli'))).toBe(true);
    await store.close();
  });

  it('add takes --email (validated); reset prints a one-time code that sets a new password', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    writeFileSync(join(dataDir, 'pw'), `${PW}\n`);
    const add = (...extra: string[]) =>
      cli(
        'user',
        'add',
        '--database',
        database,
        '--phone',
        PHONE,
        '--role',
        'officer',
        '--password-file',
        join(dataDir, 'pw'),
        '--sites',
        's-001',
        ...extra,
      );
    const bad = add('--email', 'not-an-address');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Địa chỉ e-mail không hợp lệ');
    expect(add('--email', 'a@b').status).toBe(0);
    expect(JSON.parse(cli('user', 'list', '--database', database, '--json').stdout)).toEqual([
      { phone: PHONE, role: 'officer', sites: ['s-001'], disabled: false, email: 'a@b' },
    ]);
    const reset = cli('user', 'reset', '--database', database, '--phone', PHONE);
    expect(reset.status).toBe(0);
    const code = /: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\n/.exec(reset.stdout)?.[1] ?? '';
    const store = await HubStore.open(database, dataDir);
    await redeemResetCode(store, { phone: PHONE, code, password: 'chosen-by-officer' }, '192.0.2.9');
    expect(await store.users.login(PHONE, 'chosen-by-officer')).not.toBeNull();
    expect((await store.auditLog()).map((a) => a.action)).toContain('password-reset-code');
    await store.close();
  });
});
