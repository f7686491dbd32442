/**
 * The Người dùng view and the login page's reset form in real Chromium (Playwright): an admin adds a
 * user without a password and gets a one-time code, edits an e-mail, disables a user; the new user
 * sets a password with the code from the login page, logs in, sees no user list, changes the password.
 * The hub's e-mail rule is held against Chromium's own `<input type=email>` check (the oracle: the
 * HTML standard's rule as a browser implements it). SQLite only: the routes' engines are covered by
 * users-web.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_ARGS, REPO_ROOT, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseEmail } from '../src/users.js';
import { httpHub } from './http-server.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const ADMIN = '0900000001';
const ADMIN_PW = 'admin-password';
/** Answers that hash a password (argon2id, 64 MiB) take seconds on a loaded machine: polls wait for them. */
const WAIT = { timeout: 15_000 };

describe('the users view in Chromium', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let browser: Browser;
  beforeAll(async () => {
    hub = await httpHub('sqlite', { loginsPerMinute: 100 });
    await hub.store.users.add(ADMIN, ADMIN_PW, 'admin', ['*']);
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  const logIn = async (page: Page, phone: string, password: string) => {
    await page.fill('#phone', phone);
    await page.fill('#password', password);
    await page.click('#loginButton');
    await page.waitForSelector('#tabs a');
  };
  const row = (page: Page, phone: string) => page.locator(`#usersTable tr[data-phone="${phone}"]`);

  it('admin adds, edits and disables; the new user sets a password with the code and changes it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${hub.address}/#/users`);
    await logIn(page, ADMIN, ADMIN_PW);
    await page.goto(`${hub.address}/#/users`);
    await row(page, ADMIN).waitFor();

    // A user without a password: the answer is a one-time code, shown once.
    await page.fill('#newPhone', '0912 345 678');
    await page.selectOption('#newRole', 'officer');
    await page.fill('#newScope', 'district:760, ward:26734');
    await page.fill('#newEmail', 'officer@example.vn');
    await page.click('#userAddForm button[type=submit]');
    const code = (await page.locator('#userCodeValue').textContent()) ?? '';
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await expect
      .poll(() => row(page, '0912345678').textContent(), WAIT)
      .toContain('district:760, ward:26734');

    // Edit the e-mail; add another user with a password and disable them.
    await row(page, '0912345678').locator('[data-act=edit]').click();
    await page.fill('#editEmail', 'new@example.vn');
    await page.click('#editForm button[type=submit]');
    await expect.poll(() => row(page, '0912345678').textContent(), WAIT).toContain('new@example.vn');
    await page.fill('#newPhone', '0912345679');
    await page.fill('#newScope', 's-001');
    await page.fill('#newPassword', 'tracer-password');
    await page.selectOption('#newRole', 'tracer');
    await page.click('#userAddForm button[type=submit]');
    await row(page, '0912345679').locator('[data-act=disable]').click();
    await expect.poll(() => row(page, '0912345679').textContent(), WAIT).toContain('đã khóa');
    // The hub's refusal, in Vietnamese: the last admin stays.
    await row(page, ADMIN).locator('[data-act=disable]').click();
    await expect
      .poll(() => page.locator('#usersMessage').textContent(), WAIT)
      .toContain('Không thể khóa, hạ vai trò hay xóa quản trị viên cuối cùng');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'users-admin-1366.png'), fullPage: true });
    // Log out; the reset form under the login form sets the new user's password.
    await page.click('#logout');
    await page.click('#resetOpen');
    await page.fill('#resetPhone', '0912345678');
    await page.fill('#resetCode', code.toLowerCase());
    await page.fill('#resetPassword', 'officer-password');
    await page.fill('#resetPassword2', 'officer-password');
    await page.click('#resetForm button[type=submit]');
    await expect
      .poll(() => page.locator('#resetResult').textContent(), WAIT)
      .toContain('Đã đặt mật khẩu mới');
    expect(await page.inputValue('#phone')).toBe('0912345678');
    await page.screenshot({ path: join(ARTIFACTS, 'users-reset-1366.png'), fullPage: true });
    // Once only: the same code again is refused in words.
    await page.click('#resetOpen');
    await page.fill('#resetPhone', '0912345678');
    await page.fill('#resetCode', code);
    await page.fill('#resetPassword', 'another-password');
    await page.fill('#resetPassword2', 'another-password');
    await page.click('#resetForm button[type=submit]');
    await expect
      .poll(() => page.locator('#resetResult').textContent(), WAIT)
      .toBe('Mã đặt lại này đã được dùng');

    // The officer: no user list, but their own password.
    await logIn(page, '0912345678', 'officer-password');
    await page.goto(`${hub.address}/#/users`);
    await page.waitForSelector('#pwForm');
    expect(await page.locator('#usersTable').count()).toBe(0);
    await page.fill('#pwOld', 'officer-password');
    await page.fill('#pwNew', 'officer-password-2');
    await page.fill('#pwNew2', 'officer-password-2');
    await page.click('#pwForm button[type=submit]');
    await expect.poll(() => page.locator('#pwResult').textContent(), WAIT).toContain('Đã đổi mật khẩu');
    // In English too.
    await page.click('#lang');
    await expect.poll(() => page.locator('#pwBox h2').textContent(), WAIT).toBe('Change password');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the hub accepts exactly the e-mail addresses Chromium’s <input type=email> accepts', async () => {
    const page = await browser.newPage();
    await page.goto(`${hub.address}/`);
    const samples = [
      'a@b',
      'officer@so-yte.hcm.gov.vn',
      'first.last+tag@example.vn',
      "o'brien@example.com",
      'x@sub-domain.example',
      'no-at-sign',
      'two@@example.vn',
      'space in@example.vn',
      'a@-example.vn',
      'a@example-.vn',
      'a@example..vn',
      'a@.example.vn',
      '@example.vn',
      'a@',
      'a@exa_mple.vn',
      `a@${'x'.repeat(63)}.vn`,
      `a@${'x'.repeat(64)}.vn`,
      '"quoted"@example.vn',
      'a(comment)@example.vn',
    ];
    const browserSays = await page.evaluate((list) => {
      const input = document.createElement('input');
      input.type = 'email';
      input.required = true;
      return list.map((s) => {
        input.value = s;
        return input.checkValidity();
      });
    }, samples);
    const hubSays = samples.map((s) => normaliseEmail(s) !== null);
    expect(Object.fromEntries(samples.map((s, i) => [s, hubSays[i]]))).toEqual(
      Object.fromEntries(samples.map((s, i) => [s, browserSays[i]])),
    );
    // Not a tautology: both kinds are in the list.
    expect(browserSays).toContain(true);
    expect(browserSays).toContain(false);
    await page.close();
  });
});
