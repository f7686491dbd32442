/**
 * Printed pass cards (issue #20), checked the way a card is used: Chromium prints the page to PDF,
 * poppler rasterises the PDF at 300 dpi (a printer's resolution), and Debian's zbarimg — a decoder
 * nobody here wrote — reads every QR back to the exact token. The QR's printed size is measured on
 * that raster (Hà Đông 2962/UBND-VHTT: a personal QR at least 5×5 cm); pdfinfo names the paper size.
 * A screenshot of the page in Chromium decodes too (what a phone photo of the screen would give).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeyRing,
  keyId,
  newPassId,
  type PassCard,
  passCardsPage,
  signPass,
  verifyPass,
} from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DPI = 300;
const PX_PER_MM = DPI / 25.4;

const hub = generateKeyPairSync('ed25519');
const keys = new KeyRing();
keys.add(hub.publicKey);

/** A real signed pass (protocol's signPass) with a ward scope of the longest usual length. */
function card(n: number): PassCard {
  const passId = newPassId();
  const pass = {
    passId,
    scope: { kind: 'ward' as const, id: 'w-26734' },
    validFrom: '2026-11-27',
    validUntil: '2027-11-26',
  };
  return { ...CARD_TEXT(n), passId, token: signPass(pass, hub.privateKey, keyId(hub.publicKey)) };
}
const CARD_TEXT = (n: number) => ({
  nameMasked: `NGUYỄN V** ${String.fromCharCode(65 + n)}`,
  issuer: 'Phường Hà Cầu, Hà Đông',
  validUntil: '2027-11-26',
});

/** What zbarimg read is the token, and the token is a pass the hub's key signed. */
function expectPass(decoded: string[], c: PassCard) {
  expect(decoded).toEqual([c.token]);
  expect(verifyPass(decoded[0] ?? '', keys).passId).toBe(c.passId);
}

/** zbarimg's decodes of an image: one line per symbol (--raw: the data as it is). */
const zbar = (png: string): string[] =>
  execFileSync('/usr/bin/zbarimg', ['--raw', '-q', png], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .split('\n')
    .filter((l) => l !== '');

interface Gray {
  width: number;
  height: number;
  px: Buffer;
}

/** A binary PGM (P5) as pdftoppm -gray writes it. */
function readPgm(file: string): Gray {
  const buf = readFileSync(file);
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error(`${file}: not a binary PGM`);
  const [whole, w, h] = header;
  return { width: Number(w), height: Number(h), px: buf.subarray(whole.length) };
}

/**
 * The QR symbol's width and height in mm inside a region (mm) holding the QR and no other ink: the
 * first dark row is the top edge of both upper finder patterns, so its dark extent is the symbol's
 * width; the leftmost dark column runs through both left finder patterns, so its extent is the height.
 */
function qrSizeMm(g: Gray, region: { x: number; y: number; w: number; h: number }): { w: number; h: number } {
  const [x0, y0] = [Math.round(region.x * PX_PER_MM), Math.round(region.y * PX_PER_MM)];
  const [x1, y1] = [
    Math.round((region.x + region.w) * PX_PER_MM),
    Math.round((region.y + region.h) * PX_PER_MM),
  ];
  const dark = (x: number, y: number) => (g.px[y * g.width + x] ?? 255) < 128;
  let top = -1;
  let left = Number.POSITIVE_INFINITY;
  let right = -1;
  for (let y = y0; y < y1 && top < 0; y++)
    for (let x = x0; x < x1; x++)
      if (dark(x, y)) {
        top = y;
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
  let minX = Number.POSITIVE_INFINITY;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (dark(x, y)) minX = Math.min(minX, x);
  let bottom = -1;
  for (let y = y0; y < y1; y++) if (dark(minX, y)) bottom = y;
  if (top < 0) throw new Error('no ink in the region');
  return { w: (right - left + 1) / PX_PER_MM, h: (bottom - top + 1) / PX_PER_MM };
}

/** ISO 216 in points (1/72 in): A6 105 × 148 mm, A4 210 × 297 mm. */
const A6_PTS = [297.64, 419.53] as const;
const A4_PTS = [595.28, 841.89] as const;
/** Chromium's PDF rounds the page to whole CSS pixels (A6 came out 298.08 × 420): within 1 pt (0.35 mm). */
function expectPageSize(info: string, [w, h]: readonly [number, number]) {
  const m = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info);
  expect(m, info).not.toBeNull();
  expect(Math.abs(Number(m?.[1]) - w)).toBeLessThan(1);
  expect(Math.abs(Number(m?.[2]) - h)).toBeLessThan(1);
}

async function printed(page: Page, html: string, name: string) {
  await page.setContent(html);
  const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-pass-print-'));
  const pdf = join(dir, `${name}.pdf`);
  await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
  const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
  execFileSync('pdftoppm', ['-r', String(DPI), '-gray', pdf, join(dir, 'page')]);
  execFileSync('pdftoppm', ['-r', String(DPI), '-png', pdf, join(dir, 'page')]);
  const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
  // pdftoppm numbers pages with as many digits as the last page number has.
  const file = (n: number, ext: string) =>
    join(dir, `page-${String(n).padStart(String(pages).length, '0')}.${ext}`);
  return { info, pages, png: (n: number) => file(n, 'png'), gray: (n: number) => readPgm(file(n, 'pgm')) };
}

describe('printed pass cards', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('prints one A6 card per page whose QR is over 5 cm and decodes to the token', async () => {
    const cards = [card(0), card(1)];
    const out = await printed(page, await passCardsPage(cards, 'a6'), 'a6');
    expectPageSize(out.info, A6_PTS);
    expect(out.pages).toBe(2);
    for (const [i, c] of cards.entries()) {
      expectPass(zbar(out.png(i + 1)), c);
      // The card's top 66 mm hold the QR with its quiet zone and nothing else.
      const size = qrSizeMm(out.gray(i + 1), { x: 0, y: 0, w: 105, h: 66 });
      expect(size.w).toBeGreaterThanOrEqual(50);
      expect(size.h).toBeGreaterThanOrEqual(50);
      expect(Math.abs(size.w - size.h)).toBeLessThan(1);
    }
    const text = execFileSync('pdftotext', ['-layout', join(out.png(1), '..', 'a6.pdf'), '-'], {
      encoding: 'utf8',
    });
    expect(text).toContain('NGUYỄN V** A');
    expect(text).toContain('Phường Hà Cầu, Hà Đông');
    expect(text).toContain('26/11/2027');
    expect(text).toContain('Đưa mã này vào máy quét');
  });

  it('prints eight cards to an A4 sheet, every QR decodable and over 5 cm', async () => {
    const cards = Array.from({ length: 9 }, (_, i) => card(i));
    const out = await printed(page, await passCardsPage(cards, 'a4'), 'a4');
    expectPageSize(out.info, A4_PTS);
    expect(out.pages).toBe(2);
    expect(zbar(out.png(1)).sort()).toEqual(
      cards
        .slice(0, 8)
        .map((c) => c.token)
        .sort(),
    );
    expectPass(zbar(out.png(2)), cards[8] as PassCard);
    for (const t of zbar(out.png(1))) expect(() => verifyPass(t, keys)).not.toThrow();
    // Each card is 105 × 74.25 mm with the QR at its left: its left 60 mm hold the QR alone.
    const gray = out.gray(1);
    for (let row = 0; row < 4; row++)
      for (const col of [0, 1]) {
        const size = qrSizeMm(gray, { x: col * 105 + 1, y: row * 74.25 + 1, w: 59, h: 72 });
        expect(size.w, `card ${row * 2 + col + 1}`).toBeGreaterThanOrEqual(50);
        expect(size.h, `card ${row * 2 + col + 1}`).toBeGreaterThanOrEqual(50);
      }
  });

  it('decodes from a screenshot of the page in Chromium', async () => {
    const c = card(2);
    await page.setViewportSize({ width: 800, height: 1200 });
    await page.setContent(await passCardsPage([c], 'a6'));
    const shot = join(mkdtempSync(join(tmpdir(), 'qrkiosk-pass-shot-')), 'card.png');
    await page.locator('.card').screenshot({ path: shot });
    expectPass(zbar(shot), c);
  });

  it('escapes what it prints', async () => {
    const html = await passCardsPage([{ ...card(3), nameMasked: '<script>x</script>', issuer: 'a&b' }], 'a6');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a&amp;b');
  });
});
