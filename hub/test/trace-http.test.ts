import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { hashIdentity } from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, makeTempDir, requireChromium, sampleCheckin } from '@qrkiosk/testkit';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_REDACT, type TraceResult } from '../src/index.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';
import { A, F0, seedTrace, tracingKeys } from './trace-fixtures.js';

const PHONE = '0900000004';
const PASSWORD = 'truy-vet-mat-khau-dai';

describe('POST /api/trace', () => {
  const hashKey = randomBytes(32);
  const keys = tracingKeys();
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let tracer: { cookie: string; csrf: string };
  beforeAll(async () => {
    hub = await httpHub('sqlite', { hashKey });
    await seedTrace(hub.store, keys, hashKey);
    // 70 more people with the F0 at s-001: the printed list runs over several A4 pages.
    await hub.store.addCheckins(
      Array.from({ length: 70 }, (_, i) => {
        const at = `2021-10-30T02:${String(i % 30).padStart(2, '0')}:30.000Z`;
        return {
          checkin: sampleCheckin({
            id: ulid(Date.parse(at)),
            site: 's-001',
            at,
            document: {
              numberMasked: `********${String(i).padStart(4, '0')}`,
              idHash: hashIdentity(hashKey, 'cccd', `0030880${String(i).padStart(5, '0')}`).toString('hex'),
            },
          }),
          receivedAt: new Date(),
        };
      }),
    );
    await hub.store.users.add(PHONE, PASSWORD, 'tracer', ['*']);
    tracer = await logIn(hub.address, PHONE, PASSWORD);
  });
  afterAll(async () => hub?.stop());
  const trace = (body: Record<string, unknown>) =>
    fetch(`${hub.address}/api/trace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: tracer.cookie, 'x-csrf-token': tracer.csrf },
      body: JSON.stringify({
        type: 'cccd',
        id: F0.cccd,
        from: '2021-10-30',
        to: '2021-10-30',
        window: 30,
        ...body,
      }),
    });

  it('answers the trace object; a reveal with the key lists number and name, for this request only', async () => {
    const plain = await trace({ f2: true, case: 'Ca 17' });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('no-store');
    const r = (await plain.json()) as TraceResult;
    expect(r).toMatchObject({ schema: 'qrkiosk.trace/1', case: 'Ca 17', ranBy: PHONE, revealed: false });
    expect(r.counts).toMatchObject({ visits: 2, f1People: 73, f2People: 2 });
    expect(JSON.stringify(r)).not.toContain(A.cccd);

    const shown = await trace({ reveal: { key: keys.privatePem, reason: 'Ca 17: F0 dương tính' } });
    expect(shown.status).toBe(200);
    const rv = (await shown.json()) as TraceResult;
    expect(rv.revealed).toBe(true);
    expect(rv.people.flatMap((p) => p.identities ?? [])).toEqual(
      expect.arrayContaining([{ kind: 'manual', number: A.phone, name: A.name, phone: A.phone }]),
    );
    const audit = await hub.store.auditLog(5);
    expect(audit[0]).toMatchObject({ actor: PHONE, action: 'trace-reveal' });
    expect(JSON.parse(audit[0]?.detail ?? '')).toMatchObject({ reason: 'Ca 17: F0 dương tính', revealed: 3 });
    expect(JSON.stringify(audit)).not.toMatch(/PRIVATE KEY|001088000001/);
  });

  it('a wrong key, a key that is no key, a short reason or an oversized key is a 400 in both languages', async () => {
    const before = (await hub.store.auditLog(100)).length;
    for (const [body, en] of [
      [{ reveal: { key: keys.otherPem, reason: 'Ca 17 F0' } }, /Wrong tracing key/],
      [{ reveal: { key: 'not a key', reason: 'Ca 17 F0' } }, /Tracing key unreadable/],
      [{ reveal: { key: keys.privatePem, reason: 'abc' } }, /.+/],
      [{ reveal: { key: 'x'.repeat(4097), reason: 'Ca 17 F0' } }, /.+/],
      [{ reveal: { reason: 'Ca 17 F0' } }, /.+/],
      [{ case: 'x'.repeat(65) }, /.+/],
      [{ format: 'pdf' }, /.+/],
    ] as const) {
      const res = await trace(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const { error } = (await res.json()) as { error: { vi: string; en: string } };
      expect(error.en).toMatch(en);
      expect(error.vi).not.toBe(error.en);
    }
    expect((await hub.store.auditLog(100)).length).toBe(before);
  });

  it('the CSV download is an audited export, one row per person-contact', async () => {
    const res = await trace({ format: 'csv', case: 'Ca 17' });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await res.text();
    expect(text.split('\n')[1]).toMatch(/^Ca 17,F1-001,1,,/);
    expect((await hub.store.auditLog(1))[0]?.action).toBe('trace-export');
  });

  it('the print format is one A4 document with letterhead, case, period and "Trang N/M" (Chromium, poppler)', async () => {
    const res = await trace({ format: 'print', case: 'Ca 17/HCM', f2: true });
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect((await hub.store.auditLog(1))[0]?.action).toBe('trace-export');
    const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.setContent(html);
      const pdf = await page.pdf({ preferCSSPageSize: true });
      const file = join(makeTempDir('trace-print-'), 'f1.pdf');
      writeFileSync(file, pdf);
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      const pages = Number(/^Pages:\s+(\d+)$/m.exec(info)?.[1]);
      expect(pages).toBeGreaterThan(1);
      expect(info).toMatch(/^Page size:.*\(A4\)$/m);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(text).toContain('SỞ Y TẾ');
      expect(text).toContain('DANH SÁCH NGƯỜI TIẾP XÚC GẦN (F1)');
      expect(text).toContain('Ca 17/HCM');
      expect(text).toContain('30/10/2021 – 30/10/2021');
      expect(text).toContain(PHONE);
      expect(text).toMatch(/UTC\+7/);
      for (let n = 1; n <= pages; n++) expect(text).toContain(`Trang ${n}/${pages}`);
      expect(text).toContain('F1-073');
      expect(text).toContain('F2-002');
    } finally {
      await browser.close();
    }
  });

  it('pino censors a tracing key wherever a request body would carry it into a log', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: LOG_REDACT }, sink);
    log.error({ body: { reveal: { key: keys.privatePem, reason: 'r' } } }, 'x');
    log.error({ req: { body: { reveal: { key: keys.privatePem } } } }, 'x');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).not.toContain('PRIVATE KEY');
      expect(l).toContain('[redacted]');
    }
  });
});
