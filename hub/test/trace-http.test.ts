import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { hashIdentity } from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, makeTempDir, requireChromium, sampleCheckin } from '@qrkiosk/testkit';
import { chromium } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubLogger, type TraceResult } from '../src/index.js';
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
    hub = await httpHub('sqlite', { hashKey, tracingOffice: 'TP. HỒ CHÍ MINH' });
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
    expect(r.counts).toMatchObject({ visits: 2, f1People: 73, f2People: 1 });
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
      [{ reveal: { key: 'not a key', reason: 'Ca 17 F0' } }, /Tracing key unreadable/],
      [{ reveal: { key: keys.privatePem, reason: 'abc' } }, /.+/],
      [{ reveal: { key: 'x'.repeat(4097), reason: 'Ca 17 F0' } }, /.+/],
      [{ reveal: { reason: 'Ca 17 F0' } }, /.+/],
      [{ case: 'x'.repeat(65) }, /.+/],
      [{ format: 'pdf' }, /.+/],
      [{ from: '2021-10-31' }, /is after/],
      [{ case: 'Ca\u202E71' }, /control/],
    ] as const) {
      const res = await trace(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const { error } = (await res.json()) as { error: { vi: string; en: string } };
      expect(error.en).toMatch(en);
      expect(error.vi).not.toBe(error.en);
    }
    expect((await hub.store.auditLog(100)).length).toBe(before);
  });

  it('a wrong key is a 400 that leaves an audit row: who tried, the case, the reason, result wrong-key', async () => {
    const res = await trace({ case: 'Ca 17', reveal: { key: keys.otherPem, reason: 'Ca 17 F0 thử' } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { vi: string; en: string } };
    expect(error.en).toMatch(/Wrong tracing key/);
    const [row] = await hub.store.auditLog(1);
    expect(row).toMatchObject({ actor: PHONE, action: 'trace-reveal' });
    expect(JSON.parse(row?.detail ?? '')).toMatchObject({
      case: 'Ca 17',
      reason: 'Ca 17 F0 thử',
      revealed: 0,
      result: 'wrong-key',
    });
    expect(row?.detail).not.toMatch(/PRIVATE KEY/);
  });

  it('an admin may run a masked trace but not a reveal (tracer only), refused in both languages', async () => {
    await hub.store.users.add('0900000005', PASSWORD, 'admin', ['*']);
    const admin = await logIn(hub.address, '0900000005', PASSWORD);
    const as = (body: Record<string, unknown>) =>
      fetch(`${hub.address}/api/trace`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
        body: JSON.stringify({ type: 'cccd', id: F0.cccd, from: '2021-10-30', to: '2021-10-30', ...body }),
      });
    expect((await as({})).status).toBe(200);
    const before = (await hub.store.auditLog(100)).length;
    const res = await as({ reveal: { key: keys.privatePem, reason: 'Ca 17: F0 dương tính' } });
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as { error: { vi: string; en: string } };
    expect(error.en).toMatch(/tracer/);
    expect(error.vi).toMatch(/truy vết/);
    expect((await hub.store.auditLog(100)).length).toBe(before);
  });

  it('a tracer scoped to one site sees visits, F1, F2 and revealed identities there only', async () => {
    await hub.store.users.add('0900000006', PASSWORD, 'tracer', ['s-002']);
    const scoped = await logIn(hub.address, '0900000006', PASSWORD);
    const res = await fetch(`${hub.address}/api/trace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: scoped.cookie, 'x-csrf-token': scoped.csrf },
      body: JSON.stringify({
        type: 'cccd',
        id: F0.cccd,
        from: '2021-10-30',
        to: '2021-10-30',
        f2: true,
        reveal: { key: keys.privatePem, reason: 'Ca 17: F0 dương tính' },
      }),
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as TraceResult;
    expect(r.visits.map((v) => v.site)).toEqual(['s-002']);
    // A (by phone) and E at s-002; G, met at s-003, is outside the scope.
    expect(r.counts).toMatchObject({ f1People: 2, f2People: 0 });
    expect(r.people.flatMap((p) => p.contacts.map((c) => c.site))).toEqual(['s-002', 's-002']);
    expect(r.people.flatMap((p) => p.identities ?? [])).toEqual([
      { kind: 'manual', number: A.phone, name: A.name, phone: A.phone },
    ]);
  });

  it('the CSV download is an audited export, one row per person-contact', async () => {
    const res = await trace({ format: 'csv', case: 'Ca 17' });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await res.text();
    expect(text.split('\n')[1]).toMatch(/^Ca 17,F1-001,1,,/);
    const [row] = await hub.store.auditLog(1);
    expect(row?.action).toBe('trace-export');
    expect(JSON.parse(row?.detail ?? '')).toMatchObject({ format: 'csv' });
    // A revealed CSV is a reveal and an export: the audit row says both.
    const rv = await trace({ format: 'csv', reveal: { key: keys.privatePem, reason: 'Ca 17: gọi F1' } });
    expect(rv.status).toBe(200);
    const [rvRow] = await hub.store.auditLog(1);
    expect(rvRow?.action).toBe('trace-reveal');
    expect(JSON.parse(rvRow?.detail ?? '')).toMatchObject({ format: 'csv', reason: 'Ca 17: gọi F1' });
  });

  it('the print format is one A4 document with letterhead, case, period and "Trang N/M" (Chromium, poppler)', async () => {
    const res = await trace({ format: 'print', case: 'Ca 17/HCM', f2: true });
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const [row] = await hub.store.auditLog(1);
    expect(row?.action).toBe('trace-export');
    expect(JSON.parse(row?.detail ?? '')).toMatchObject({ format: 'print' });
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
      expect(text).toContain('SỞ Y TẾ TP. HỒ CHÍ MINH');
      expect(text).toContain('DANH SÁCH NGƯỜI TIẾP XÚC GẦN (F1)');
      expect(text).toContain('Ca 17/HCM');
      expect(text).toContain('30/10/2021 – 30/10/2021');
      expect(text).toContain(PHONE);
      expect(text).toMatch(/UTC\+7/);
      for (let n = 1; n <= pages; n++) expect(text).toContain(`Trang ${n}/${pages}`);
      expect(text).toContain('F1-073');
      expect(text).toContain('F2-001');
    } finally {
      await browser.close();
    }
  });

  it('the hub’s logger censors a tracing key wherever a request body would carry it into a log', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = hubLogger(sink);
    log.error({ body: { reveal: { key: keys.privatePem, reason: 'r' } } }, 'x');
    log.error({ req: { body: { reveal: { key: keys.privatePem } } } }, 'x');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).not.toContain('PRIVATE KEY');
      expect(l).toContain('[redacted]');
    }
  });
});
