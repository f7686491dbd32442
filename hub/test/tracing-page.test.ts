/**
 * The tracing tab in real Chromium (en-US browser in New York time, so Vietnam's dd/MM/yyyy HH:mm
 * cannot come from the browser) against a real hub whose check-ins carry identities sealed to a real
 * tracing key: every control has a <label for>, the button says it is searching while the hub works,
 * the hub's refusals read in the UI language, the answer fills a table of visits and a table of
 * people (masked, then revealed with the key file read by the browser), the CSV downloads and the
 * F1 list opens in a window that Chromium prints on A4 with its "Trang N/M" page numbers (pdftotext,
 * poppler, reads the PDF). Screenshots: tracing-screenshots.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, requireChromium } from '@qrkiosk/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F0, seedTracing, TRACER, TRACER_PASSWORD, type TracingSeed, UNSEALED } from './tracing-fixtures.js';

/** Vietnam's wall clock as ICU writes it (the oracle for the page's own formatting). */
const vnTime = (iso: string) => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Ho_Chi_Minh',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((x) => [x.type, x.value]),
  );
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
};

describe('the tracing page in Chromium', () => {
  let seed: TracingSeed;
  let browser: Browser;
  let page: Page;
  const rows = (table: string) =>
    page.$$eval(`#${table} tbody tr`, (trs) =>
      trs.map((tr) => [...tr.children].map((td) => (td as HTMLElement).innerText)),
    );
  const heads = (table: string) => page.$$eval(`#${table} th`, (th) => th.map((x) => x.textContent ?? ''));
  /** Fills the form for the F0 and runs it; resolves with the hub's JSON answer. */
  const trace = async (options: { f2?: boolean; case?: string } = {}) => {
    await page.selectOption('#traceType', 'cccd');
    await page.fill('#traceId', F0.number);
    await page.fill('#traceWindow', '30');
    await page.setChecked('#traceF2', options.f2 ?? false);
    await page.fill('#traceCase', options.case ?? '');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/trace')),
      page.click('#traceRun'),
    ]);
    await page.waitForSelector('#traceSummary');
    return answer.json();
  };

  beforeAll(async () => {
    seed = await seedTracing();
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    const context = await browser.newContext({
      locale: 'en-US',
      timezoneId: 'America/New_York',
      viewport: { width: 1366, height: 768 },
      acceptDownloads: true,
    });
    // Headless Chromium's print dialog would hold the window (no PDF can be made while it is up): the
    // window's print() is counted instead; page.pdf() prints it as the dialog would.
    await context.addInitScript(() => {
      const w = window as unknown as { print: () => void; printed?: number };
      w.print = () => {
        w.printed = (w.printed ?? 0) + 1;
      };
    });
    page = await context.newPage();
    await page.goto(seed.hub.address);
    await page.fill('#phone', TRACER);
    await page.fill('#password', TRACER_PASSWORD);
    await page.click('#loginForm button');
    await page.waitForSelector('#app:not([hidden])');
    await page.goto(`${seed.hub.address}/#/tracing`);
    await page.waitForSelector('#traceForm');
  });
  afterAll(async () => {
    await browser?.close();
    await seed?.hub.stop();
  });

  it('labels every control with <label for>, in Vietnamese then English', async () => {
    const labelled = () =>
      page.$$eval('#traceForm input, #traceForm select, #traceForm textarea', (els) =>
        els.map((el) => document.querySelector(`label[for="${el.id}"]`)?.textContent ?? `NO LABEL: ${el.id}`),
      );
    expect(await labelled()).toEqual([
      'Loại giấy tờ',
      'Số giấy tờ',
      'Từ ngày',
      'Đến ngày',
      '± phút',
      'Mở rộng F2',
      'Mã ca bệnh',
      'Tệp khóa truy vết (tracing.key)',
      'Lý do',
    ]);
    expect(await page.textContent('#traceReveal summary')).toBe('Mở danh tính');
    await page.click('#lang');
    await page.waitForSelector('#traceForm');
    expect(await labelled()).toEqual([
      'Document type',
      'Document number',
      'From',
      'To',
      '± minutes',
      'Include F2',
      'Case',
      'Tracing key file (tracing.key)',
      'Reason',
    ]);
    expect(await page.textContent('#traceReveal summary')).toBe('Reveal identities');
    await page.click('#lang');
    await page.waitForSelector('#traceForm');
  });

  it("shows the hub's refusal in the UI language", async () => {
    await page.fill('#traceId', 'abc');
    await page.click('#traceRun');
    await page.waitForSelector('#traceResult p.error');
    expect(await page.textContent('#traceResult')).toBe('Số giấy tờ: 6–20 chữ số hoặc chữ cái');
    await page.click('#lang');
    await page.fill('#traceId', 'abc');
    await page.click('#traceRun');
    await page.waitForSelector('#traceResult p.error');
    expect(await page.textContent('#traceResult')).toBe('id: 6–20 digits or letters');
    // A file that is not a tracing key: refused by the hub before anything is read, in English here.
    await page.fill('#traceId', F0.number);
    await page.click('#traceReveal summary');
    await page.setInputFiles('#traceKey', {
      name: 'tracing.key',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a key'),
    });
    await page.fill('#traceReason', 'Letter 12/TTYT');
    await page.click('#traceRun');
    await page.waitForSelector('#traceResult p.error');
    expect(await page.textContent('#traceResult')).toMatch(/^Tracing key unreadable/);
    await page.click('#lang');
    await page.waitForSelector('#traceForm');
  });

  it('says it is searching while the hub works, then fills both tables (masked)', async () => {
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route('**/api/trace', async (route) => {
      await held;
      await route.continue();
    });
    await page.fill('#traceId', F0.number);
    await page.setChecked('#traceF2', true);
    await page.fill('#traceCase', 'BN-0123');
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/trace'));
    await page.click('#traceRun');
    await page.waitForFunction(() => document.querySelector('#traceRun')?.textContent === 'Đang tìm…');
    expect(await page.isDisabled('#traceRun')).toBe(true);
    release();
    const r = await (await answered).json();
    await page.unroute('**/api/trace');
    await page.waitForSelector('#traceSummary');
    expect(await page.textContent('#traceRun')).toBe('Truy vết');
    expect(await page.isDisabled('#traceRun')).toBe(false);

    expect(r.revealed).toBe(false);
    const c = r.counts;
    expect(c).toMatchObject({ visits: 2, f1People: 4, f1Checkins: 4, f2People: 1 });
    const summary = await page.innerText('#traceSummary');
    expect(summary).toContain('Lượt đến: 2');
    expect(summary).toContain('F1: 4 người (4 lượt check-in)');
    expect(summary).toContain(`F2: 1 người (${c.f2Checkins} lượt check-in)`);
    expect(summary).toContain('Danh tính ẩn (che)');

    expect(await heads('traceVisits')).toEqual([
      'Thời gian',
      'Địa điểm',
      'Kiosk',
      'Giấy tờ',
      'Người cùng lúc',
    ]);
    expect(await rows('traceVisits')).toEqual(
      r.visits.map(
        (v: { at: string; siteName: string; siteAddress: string; kiosk: string; coVisitors: number }) => [
          vnTime(v.at),
          `${v.siteName} — ${v.siteAddress}`,
          v.kiosk,
          'CCCD ********2345',
          String(v.coVisitors),
        ],
      ),
    );
    expect((await rows('traceVisits'))[0]?.[1]).toBe(`${seed.sites[0]?.name} — ${seed.sites[0]?.address}`);

    expect(await heads('tracePeople')).toEqual([
      'Mã',
      'Giấy tờ (che)',
      'Số lần tiếp xúc',
      'Lượt check-in',
      'Phút trùng',
      'Nơi tiếp xúc',
    ]);
    const people = await rows('tracePeople');
    expect(people.map((p) => p[0])).toEqual(['F1-001', 'F1-002', 'F1-003', 'F1-004', 'F2-001']);
    for (const p of r.people) {
      const row = people.find((x) => x[0] === p.ref);
      expect(row?.[2]).toBe(String(p.contacts.length));
      expect(row?.[3]).toBe(String(p.checkins));
      expect(row?.[4]).toBe(String(p.overlapMinutes));
    }
    // Masked means masked: no full number of anyone is on the page.
    const text = await page.innerText('#app');
    for (const n of [F0.number, UNSEALED.number, ...seed.others.map((o) => o.number)])
      expect(text).not.toContain(n);
    expect(people.find((p) => p[0] === 'F2-001')?.[5]).toMatch(/\(qua F1-00\d\)$/);
    // The tables sort and search on their own.
    await page.click('#tracePeople th[data-key="overlap"] button');
    await page.click('#tracePeople th[data-key="overlap"] button');
    const byOverlap = (await rows('tracePeople')).map((p) => Number(p[4]));
    expect(byOverlap).toEqual([...byOverlap].sort((a, b) => b - a));
    await page
      .locator('.trace-half', { has: page.locator('#tracePeople') })
      .locator('input.search')
      .fill('F2');
    expect((await rows('tracePeople')).map((p) => p[0])).toEqual(['F2-001']);
  });

  it('reveals with the key file (sent in the body, never stored), downloads the CSV, prints the F1 list on A4', async () => {
    await page.click('#traceReveal summary');
    await page.setInputFiles('#traceKey', seed.keyFile);
    // With a key, a reason of 5 or more characters is asked for before anything is sent.
    const reasonMessage = () =>
      page.$eval('#traceReason', (t) => (t as HTMLTextAreaElement).validationMessage);
    await page.click('#traceRun');
    expect(await reasonMessage()).toBe('Hãy điền ô này.');
    await page.fill('#traceReason', 'abc');
    await page.click('#traceRun');
    expect(await reasonMessage()).toBe('Hãy nhập ít nhất 5 ký tự.');
    await page.fill('#traceReason', 'Công văn 12/TTYT: liên hệ F1 của ca BN-0123');
    const sent = page.waitForRequest((q) => q.url().endsWith('/api/trace'));
    const r = await trace({ f2: true, case: 'BN-0123' });
    const body = (await sent).postDataJSON();
    expect(body.reveal.key).toBe(readFileSync(seed.keyFile, 'utf8'));
    expect(body.reveal.reason).toBe('Công văn 12/TTYT: liên hệ F1 của ca BN-0123');
    expect((await sent).url()).not.toContain('PRIVATE');
    expect(
      await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })),
    ).not.toContain('PRIVATE KEY');
    expect(r.revealed).toBe(true);
    expect(await page.innerText('#traceRevealed')).toBe('Danh tính đã mở');
    expect(await heads('tracePeople')).toEqual([
      'Mã',
      'Số giấy tờ',
      'Họ tên',
      'Ngày sinh',
      'Điện thoại',
      'Số lần tiếp xúc',
      'Lượt check-in',
      'Phút trùng',
      'Nơi tiếp xúc',
    ]);
    const people = await rows('tracePeople');
    for (const o of seed.others) {
      const row = people.find((p) => p[2] === o.name);
      expect(row, o.name).toBeDefined();
      expect(row?.[1]).toContain(o.number);
      if (o.phone) expect(row?.[4]).toBe(o.phone);
    }
    // Nothing sealed (a kiosk without the key): listed masked, said to be unopened.
    const g = r.people.find((p: { identities?: unknown[] }) => !p.identities?.length);
    expect(people.find((p) => p[0] === g.ref)?.[1]).toBe('CCCD ********0555 (1 hộp chưa mở)');
    expect(await page.innerText('#app')).not.toContain(UNSEALED.number);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#traceCsv')]);
    expect(download.suggestedFilename()).toBe('qrkiosk-trace-BN-0123.csv');
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    for (const o of seed.others) expect(csv).toContain(o.number);

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#tracePrint')]);
    await popup.waitForFunction(() => (window as unknown as { printed?: number }).printed === 1);
    expect(await popup.textContent('#case-label')).toBe('BN-0123');
    const pdfFile = join(mkdtempSync(join(tmpdir(), 'qrkiosk-trace-print-')), 'f1.pdf');
    await popup.pdf({ path: pdfFile, preferCSSPageSize: true });
    const info = execFileSync('pdfinfo', [pdfFile], { encoding: 'utf8' });
    expect(info).toMatch(/Page size:.* pts \(A4\)/);
    const printed = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
    expect(printed).toContain(`Trang 1/${pages}`);
    expect(printed).toContain('DANH SÁCH NGƯỜI TIẾP XÚC GẦN (F1)');
    // Names wrap in the print's narrow column; numbers and refs do not.
    for (const o of seed.others) expect(printed).toContain(o.number);
    for (const ref of ['F1-001', 'F1-002', 'F1-003', 'F1-004', 'F2-001']) expect(printed).toContain(ref);
    await popup.close();
  });

  it('says so when the document has no check-in in the period', async () => {
    await page.setInputFiles('#traceKey', []);
    await page.selectOption('#traceType', 'cccd');
    await page.fill('#traceId', '001099000001');
    await page.click('#traceRun');
    await page.waitForSelector('#traceEmpty');
    expect(await page.textContent('#traceEmpty')).toBe(
      'Không tìm thấy lượt check-in nào của giấy tờ này trong khoảng ngày đã chọn.',
    );
  });

  it('names the verify-only sites of the period, where tracing is impossible (issue #19)', async () => {
    await seed.hub.store!.addTally(
      {
        schema: 'qrkiosk.tally/1',
        id: '01KAPW2B7Q3M0X5D2R8S6T4V99',
        kiosk: 'k-099',
        site: 's-099',
        direction: 'in',
        at: new Date().toISOString(),
        clockSynced: true,
        kind: 'cccd',
        verdict: 'ALLOW',
        colour: 'green',
        reason: 'admitted-green',
        versions: { software: '0.1.0', rules: 'r1', cache: 1 },
      },
      new Date(),
    );
    await seed.hub.store!.registerSites([
      { site: 's-099', name: 'Nhà thi đấu Phú Thọ', district: '760', ward: '26743' },
    ]);
    const r = await trace();
    expect(r.verifyOnlySites).toEqual(['s-099']);
    expect(await page.textContent('#traceVerifyOnly')).toBe(
      'Địa điểm chỉ kiểm tra, không lưu danh sách — không thể truy vết tại đó: Nhà thi đấu Phú Thọ (s-099)',
    );
  });
});
