/**
 * The technician's checklist is printed and carried: Debian's Chromium prints it (the same engine as the
 * browser a technician opens it in) and it must come out as exactly one A4 page, with every step on it.
 * The page count is poppler's (`pdfinfo`, Debian's poppler-utils); the text check reads the page as Chromium
 * laid it out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM_ARGS, makeTempDir, REPO_ROOT, requireChromium } from '@qrkiosk/testkit';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const CHECKLIST = join(REPO_ROOT, 'docs', 'technician-checklist.html');

describe('the printable technician checklist', () => {
  it('prints on one A4 page with its ten steps, in Vietnamese and English', async () => {
    const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(CHECKLIST).href);
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      const file = join(makeTempDir('checklist-'), 'checklist.pdf');
      writeFileSync(file, pdf);
      expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/^Pages:\s+1$/m);
      expect(await page.locator('ol > li').count()).toBe(10);
      const text = await page.locator('body').innerText();
      for (const words of [
        'Quét mã đăng ký',
        'Scan the enrolment code',
        'qrkiosk doctor',
        'qrkiosk selftest',
      ])
        expect(text).toContain(words);
      // The doctor step asks for no FAIL, not all OK: a normal Pi has SKIP lines with their reason (sd-writes…).
      expect(text).toContain('[SKIP]/[WARN] kèm lý do là được');
      expect(text).toContain('[SKIP]/[WARN] with their reason are fine');
      // And the guide points at it, so the two are found together; its step 7 says the same.
      const guide = readFileSync(join(REPO_ROOT, 'docs', 'technician-guide.md'), 'utf8');
      expect(guide).toContain('docs/technician-checklist.html');
      expect(guide).not.toMatch(/every line must be `\[OK\]`|mọi dòng phải là `\[OK\]`/);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
