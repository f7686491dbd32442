/**
 * The QR passes tab in Chromium (issue #20), as a ward officer uses it: issue a pass for a person typed
 * in by hand, open its print link, print it to PDF — Debian's zbarimg reads the card back from poppler's
 * 300 dpi raster and the token verifies under the hub's key — then revoke the card.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, verifyPass } from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHub } from './http-server.js';

const OFFICER = '0911000001';
const PW = 'officer-password';
const WAIT = { timeout: 15_000 };

describe('the QR passes tab in Chromium', () => {
  const signing = generateKeyPairSync('ed25519');
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let browser: Browser;
  beforeAll(async () => {
    hub = await httpHub('sqlite', { loginsPerMinute: 100, passes: { signing } });
    await hub.store.registerSites([
      { site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' },
    ]);
    await hub.store.users.add(OFFICER, PW, 'officer', ['ward:w-09556']);
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('issues a pass typed in by hand, prints a card zbarimg reads back, revokes it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('dialog', (d) => void d.accept('mất thẻ'));
    await page.goto(`${hub.address}/#/passes`);
    await page.fill('#phone', OFFICER);
    await page.fill('#password', PW);
    await page.click('#loginButton');
    await page.waitForSelector('#tabs a', WAIT);
    await page.goto(`${hub.address}/#/passes`);
    await page.waitForSelector('#passForm', WAIT);

    await page.selectOption('#passIdType', 'phone');
    await page.fill('#passId', '0912 345 678');
    await page.fill('#passName', 'Trần Văn Bình');
    await page.selectOption('#passScopeKind', 'ward');
    await page.fill('#passScopeId', 'w-09556');
    // A ward card names its issuer (review finding 10): the hub asks for it in vi/en when it is left out.
    await page.click('#passForm button[type=submit]');
    await page.waitForSelector('#passResult .error', WAIT);
    expect(await page.textContent('#passResult')).toContain('nơi cấp');
    await page.fill('#passIssuer', 'UBND phường Yết Kiêu');
    await page.click('#passForm button[type=submit]');
    await page.waitForSelector('#passResult a', WAIT);
    expect(await page.textContent('#passResult')).toContain('TRẦN V** B***');
    await page.locator('#passTable tbody tr').first().waitFor(WAIT);
    const passId = (await page.locator('#passTable tbody code').first().textContent()) ?? '';
    expect(passId).toMatch(/^[0-9a-f]{20}$/);

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#passResult a')]);
    await popup.waitForSelector('svg.qr');
    expect(await popup.textContent('body')).toContain('UBND phường Yết Kiêu');
    const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-pass-view-'));
    const pdf = join(dir, 'card.pdf');
    await popup.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
    // The page's own @page size survives the hub's CSP: A6 (ISO 297.64 × 419.53 pt, within Chromium's rounding).
    const size = /Page size:\s+([\d.]+) x ([\d.]+)/.exec(
      execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }),
    );
    expect(Math.abs(Number(size?.[1]) - 297.64)).toBeLessThan(1);
    expect(Math.abs(Number(size?.[2]) - 419.53)).toBeLessThan(1);
    execFileSync('pdftoppm', ['-r', '300', '-png', '-singlefile', pdf, join(dir, 'card')]);
    const decoded = execFileSync('/usr/bin/zbarimg', ['--raw', '-q', join(dir, 'card.png')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const keys = new KeyRing();
    keys.add(signing.publicKey);
    expect(verifyPass(decoded, keys)).toMatchObject({ passId, scope: { kind: 'ward', id: 'w-09556' } });
    await popup.close();

    await page.click('#passTable [data-act=revoke]');
    await page.waitForSelector('#passTable .muted', WAIT);
    expect((await hub.store.repo.passes.get(passId))?.reason).toBe('mất thẻ');
    expect(errors).toEqual([]);
  });
});
