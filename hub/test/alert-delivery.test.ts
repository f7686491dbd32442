/**
 * Alerts and the daily report delivered end to end: the engine over a real store (both engines,
 * two "hub processes" on one database), a real SMTP server (aiosmtpd, started here; each message
 * parsed by Python's email package) and a local HTTP server standing in for a Zalo/Telegram bridge.
 * Clocks are injected into the engine's ticks; no assertion is about how long anything took.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Cleanups, makeTempDir, type RunningSmtp, sampleCheckin, startSmtp } from '@qrkiosk/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertParts, type HubSettings, HubStore, loadHubSettings } from '../src/index.js';
import { ENGINES, type Engine, newDatabase } from './engines.js';

const log = pino({ level: 'silent' });
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

let smtp: RunningSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp?.stop());

/** Messages that arrived since `from` (the server is shared by the file's tests). */
const mailSince = (from: number) => smtp.messages().slice(from);

interface Hook {
  url: string;
  received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }>;
  /** Answers 500 to this many requests first. */
  failFirst: number;
  /** Never answers (a bridge that hangs). */
  hang?: boolean;
}

async function hookServer(failFirst = 0): Promise<Hook> {
  const hook: Hook = { url: '', received: [], failFirst };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      hook.received.push({ headers: req.headers, body });
      if (hook.hang) return;
      res.statusCode = hook.failFirst-- > 0 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  hook.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return hook;
}

/** hub.yaml's alerts/notify as an operator writes them, through the real settings loader. */
function settings(yaml: string): HubSettings {
  const dir = makeTempDir('alerts-yaml-');
  const file = join(dir, 'hub.yaml');
  writeFileSync(file, yaml);
  return loadHubSettings(file, {});
}

const SITES = [
  { site: 's-1', name: 'Chợ Bến Thành', district: '760', ward: '26734' },
  { site: 's-2', name: 'Trường THCS Lê Lợi', district: '761', ward: '26800' },
];

function yaml(o: { hook760: string; hook761: string; secretFile: string; quiet?: string }) {
  return `
alerts:
  silentMinutes: 10
  noScansBy: ''
notify:
  smtp:
    host: 127.0.0.1
    port: ${smtp.port}
    from: 'Trung tâm QR <hub@qrkiosk.test>'
  recipients:
    - { email: can-bo-760@qrkiosk.test, role: officer, sites: ['district:760'] }
    - { email: can-bo-761@qrkiosk.test, role: officer, sites: ['district:761'] }
    - { email: chu-s1@qrkiosk.test, role: site-owner, sites: [s-1] }
    - { email: truy-vet@qrkiosk.test, role: tracer, sites: ['*'] }
  webhooks:
    - { url: '${o.hook760}', areas: ['district:760'], secretFile: '${o.secretFile}' }
    - { url: '${o.hook761}', areas: ['district:761'] }
${o.quiet ?? ''}
`;
}

/** Two hub processes' alert engines over one database. */
async function twoHubs(engine: Engine, s: HubSettings) {
  const where = await newDatabase(engine);
  const stores = [
    await HubStore.open(where.database, where.dataDir),
    await HubStore.open(where.database, where.dataDir),
  ];
  const parts = stores.map((st) => alertParts(st, s.alerts, s.notify, log));
  cleanups.push(async () => {
    for (const p of parts) p.close();
    for (const st of stores) await st.close();
  });
  const [store] = stores as [HubStore, HubStore];
  await store.registerSites(SITES);
  return {
    store,
    engines: parts.map((p) => p.engine),
    tick: (at: Date) => Promise.all(parts.map((p) => p.engine.tick(at))),
  };
}

const T0 = new Date('2026-11-26T02:00:00Z'); // Thursday 09:00 Vietnam time
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe.each(ENGINES)('alert delivery (%s)', (engine) => {
  it('a kiosk goes silent: one e-mail per subscribed recipient of its area (Vietnamese, then English), one webhook; back: cleared, recorded, told once', async () => {
    const [hook760, hook761] = [await hookServer(), await hookServer()];
    const keyFile = join(makeTempDir('hook-key-'), 'key');
    writeFileSync(keyFile, 'bridge-secret\n');
    const s = settings(yaml({ hook760: hook760.url, hook761: hook761.url, secretFile: keyFile }));
    const { store, tick } = await twoHubs(engine, s);
    const before = smtp.messages().length;
    await store.setKioskState('s-1', 'k-1', 'online', T0);
    await store.setKioskState('s-2', 'k-2', 'online', at(11));

    await tick(at(5));
    expect(mailSince(before)).toEqual([]);
    // 11 min silent; both processes tick twice more: still one alert, one message each.
    await tick(at(11));
    await tick(at(11.5));
    await tick(at(12));
    const mail = mailSince(before);
    expect(mail.map((m) => m.rcptTos.join()).sort()).toEqual([
      'can-bo-760@qrkiosk.test',
      'chu-s1@qrkiosk.test',
    ]);
    const m = mail[0];
    expect(m?.subject).toBe('[qrkiosk] CẢNH BÁO: Kiosk k-1 im lặng 11 phút (lần cuối 26/11/2026 09:00)');
    expect(m?.from).toBe('Trung tâm QR <hub@qrkiosk.test>');
    const [vi, en] = (m?.text ?? '').split('\n---\n');
    expect(vi).toContain('CẢNH BÁO (nghiêm trọng) — Chợ Bến Thành (s-1), kiosk k-1');
    expect(vi).toContain('Bắt đầu: 26/11/2026 09:11 (giờ Việt Nam)');
    expect(en).toContain('ALERT (critical) — Chợ Bến Thành (s-1), kiosk k-1');
    expect(en).toContain('Kiosk k-1 silent for 11 min (last seen 26/11/2026 09:00)');

    expect(hook761.received).toEqual([]);
    expect(hook760.received).toHaveLength(1);
    const call = hook760.received[0];
    const expected = `sha256=${createHmac('sha256', 'bridge-secret')
      .update(call?.body ?? '')
      .digest('hex')}`;
    expect(call?.headers['x-qrkiosk-signature']).toBe(expected);
    const body = JSON.parse(call?.body ?? '{}');
    expect(body).toMatchObject({
      schema: 'qrkiosk.notice/1',
      event: 'alert-raised',
      alert: {
        rule: 'silent',
        site: 's-1',
        siteName: 'Chợ Bến Thành',
        kiosk: 'k-1',
        severity: 'critical',
        clearedAt: null,
      },
    });

    // The kiosk is heard from again.
    await store.setKioskState('s-1', 'k-1', 'online', at(14));
    await store.setKioskState('s-2', 'k-2', 'online', at(14));
    await tick(at(14));
    await tick(at(15));
    const history = await store.repo.alerts.list(false, 10);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      key: 'silent:s-1:k-1',
      raisedAt: at(11).toISOString(),
      clearedAt: at(14).toISOString(),
    });
    const clears = mailSince(before + 2);
    expect(clears.map((c) => c.rcptTos.join()).sort()).toEqual([
      'can-bo-760@qrkiosk.test',
      'chu-s1@qrkiosk.test',
    ]);
    expect(clears[0]?.subject).toMatch(/^\[qrkiosk\] Đã hết cảnh báo: Kiosk k-1 im lặng/);
    expect(clears[0]?.text).toContain('Kết thúc: 26/11/2026 09:14');
    expect(hook760.received.map((r) => JSON.parse(r.body).event)).toEqual(['alert-raised', 'alert-cleared']);
  });

  it('a silent kiosk that is revoked: its alert is closed in the history, with no "cleared" notice (it was not repaired)', async () => {
    const [hook760, hook761] = [await hookServer(), await hookServer()];
    const keyFile = join(makeTempDir('hook-key-'), 'key');
    writeFileSync(keyFile, 'bridge-secret\n');
    const s = settings(yaml({ hook760: hook760.url, hook761: hook761.url, secretFile: keyFile }));
    const { store, tick } = await twoHubs(engine, s);
    await store.setKioskState('s-1', 'k-1', 'online', T0);
    await tick(at(11));
    expect(hook760.received.map((r) => JSON.parse(r.body).event)).toEqual(['alert-raised']);
    const before = smtp.messages().length;
    // Revoked (use-cases/enrolment.ts revokeKiosk retires it): out of service, still in the history.
    await store.repo.fleet.retire('k-1', at(12), '0900000001');
    await tick(at(13));
    await tick(at(14));
    expect((await store.repo.alerts.list(false, 10))[0]).toMatchObject({
      key: 'silent:s-1:k-1',
      clearedAt: at(13).toISOString(),
    });
    expect(mailSince(before)).toEqual([]);
    expect(hook760.received.map((r) => JSON.parse(r.body).event)).toEqual(['alert-raised']);
  });
});

describe('quiet hours, retries, the daily report (sqlite)', () => {
  it('in quiet hours a warning waits for their end, a critical alert goes at once; a failing webhook is retried', async () => {
    const [hook760, hook761] = [await hookServer(), await hookServer(1)];
    const keyFile = join(makeTempDir('hook-key-'), 'key');
    writeFileSync(keyFile, 'k');
    const quiet = "  quietHours: { from: '22:00', to: '06:00' }";
    const s = settings(yaml({ hook760: hook760.url, hook761: hook761.url, secretFile: keyFile, quiet }));
    const { store, tick } = await twoHubs('sqlite', s);
    const before = smtp.messages().length;
    // 23:30 Vietnam time: k-1's clock unsynced (warning) and k-2's scanner gone (critical).
    const night = new Date('2026-11-26T16:30:00Z');
    const tel = (site: string, kiosk: string, over: Record<string, unknown>) =>
      store.setKioskTelemetry(
        {
          schema: 'qrkiosk.telemetry/1',
          kiosk,
          site,
          at: night.toISOString(),
          software: '1.0.0',
          uptimeSeconds: 60,
          clockSynced: true,
          scannerConnected: true,
          outboxDepth: 0,
          cache: { version: 1, updatedAt: null, ageSeconds: 60 },
          rules: { version: 'r', source: 'signed' },
          ...over,
        } as Parameters<HubStore['setKioskTelemetry']>[0],
        night,
      );
    await tel('s-1', 'k-1', { clockSynced: false });
    await tel('s-2', 'k-2', { scannerConnected: false });
    await tick(night);
    expect(mailSince(before).map((m) => [m.rcptTos.join(), m.subject])).toEqual([
      ['can-bo-761@qrkiosk.test', '[qrkiosk] CẢNH BÁO: Kiosk k-2 mất kết nối máy quét'],
    ]);
    // The bridge answered 500 once: not delivered yet, retried 30 s later.
    expect(hook761.received).toHaveLength(1);
    expect(hook760.received).toHaveLength(0);
    const failed = (await store.repo.alerts.notices(20)).find((n) => n.target === hook761.url);
    expect(failed).toMatchObject({
      attempts: 1,
      sentAt: null,
      lastError: `webhook ${hook761.url}: HTTP 500`,
    });
    // The kiosks keep reporting through the night (not silent); nothing more until 06:00.
    const keepAlive = async (when: Date) => {
      await tel('s-1', 'k-1', { clockSynced: false, at: when.toISOString() });
      await tel('s-2', 'k-2', { scannerConnected: false, at: when.toISOString() });
      await store.setKioskState('s-1', 'k-1', 'online', when);
      await store.setKioskState('s-2', 'k-2', 'online', when);
    };
    hook761.failFirst = 0;
    const retry = new Date(night.getTime() + 31_000);
    await keepAlive(retry);
    await tick(retry);
    expect(hook761.received).toHaveLength(2);
    expect(JSON.parse(hook761.received[1]?.body ?? '{}').alert.rule).toBe('scanner');
    const fiveFiftyNine = new Date('2026-11-26T22:59:00Z');
    await keepAlive(fiveFiftyNine);
    await tick(fiveFiftyNine);
    expect(mailSince(before)).toHaveLength(1);
    const six = new Date('2026-11-26T23:00:00Z');
    await keepAlive(six);
    await tick(six);
    const held = mailSince(before + 1);
    expect(held.map((m) => [m.rcptTos.join(), m.subject])).toEqual([
      ['can-bo-760@qrkiosk.test', '[qrkiosk] Cảnh báo: Đồng hồ kiosk k-1 chưa đồng bộ'],
    ]);
    // Raised at 23:30, told at 06:00: the message says when it began.
    expect(held[0]?.text).toContain('Bắt đầu: 26/11/2026 23:30');
    expect(hook760.received).toHaveLength(1);
  });

  it('the daily report: each area officer gets their area only (text + CSV), each area webhook its part; once with two processes', async () => {
    const [hook760, hook761] = [await hookServer(), await hookServer()];
    const keyFile = join(makeTempDir('hook-key-'), 'key');
    writeFileSync(keyFile, 'k');
    const s = settings(yaml({ hook760: hook760.url, hook761: hook761.url, secretFile: keyFile }));
    const { store, engines, tick } = await twoHubs('sqlite', s);
    const before = smtp.messages().length;
    const day = '2026-11-25';
    await store.setKioskState('s-1', 'k-1', 'online', new Date('2026-11-25T01:00:00Z'));
    await store.setKioskState('s-2', 'k-2', 'online', new Date('2026-11-25T01:00:00Z'));
    for (let i = 0; i < 3; i++)
      await store.addCheckin(
        sampleCheckin({ site: 's-1', kiosk: 'k-1', at: `2026-11-25T0${i + 2}:00:00.000Z` }),
        new Date('2026-11-25T03:00:00Z'),
      );
    // 06:00 the next morning: both processes store and queue it, as the hub's report timer does.
    const six = new Date('2026-11-25T23:00:00Z');
    for (const e of engines) await e.queueReport(await store.saveReport(day, six), six);
    await tick(six);
    await tick(new Date(six.getTime() + 30_000));
    const mail = mailSince(before).filter((m) => m.subject.includes('Báo cáo'));
    expect(mail.map((m) => m.rcptTos.join()).sort()).toEqual([
      'can-bo-760@qrkiosk.test',
      'can-bo-761@qrkiosk.test',
    ]);
    const m760 = mail.find((m) => m.rcptTos[0] === 'can-bo-760@qrkiosk.test');
    expect(m760?.subject).toBe('[qrkiosk] Báo cáo check-in ngày 25/11/2026');
    expect(m760?.text).toContain('Tổng lượt quét: 3 · Địa điểm: 1');
    expect(m760?.text).toContain('Daily check-in report for 25/11/2026');
    expect(m760?.attachments).toHaveLength(1);
    const csv = m760?.attachments[0];
    expect(csv?.filename).toBe('bao-cao-2026-11-25.csv');
    expect(csv?.contentType).toBe('text/csv');
    const lines = (csv?.content ?? '')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines).toEqual([
      'district,ward,site,name,kiosks,scans,allowed,refused,review',
      '760,26734,s-1,Chợ Bến Thành,1,3,3,0,0',
    ]);
    const m761 = mail.find((m) => m.rcptTos[0] === 'can-bo-761@qrkiosk.test');
    expect(m761?.text).toContain('Địa điểm KHÔNG có lượt quét (1):\n  - Trường THCS Lê Lợi (s-2)');
    expect(m761?.attachments[0]?.content).not.toContain('s-1');
    // The kiosks are silent by then too: only the reports are looked at here.
    const reports = (h: Hook) =>
      h.received.map((r) => JSON.parse(r.body)).filter((b) => b.event === 'daily-report');
    expect(reports(hook760)).toHaveLength(1);
    expect(reports(hook761)).toHaveLength(1);
    expect(reports(hook760)[0]).toMatchObject({
      event: 'daily-report',
      day,
      scans: 3,
      sitesWithoutScans: [],
    });
    expect(JSON.parse(hook761.received[0]?.body ?? '{}')).toMatchObject({
      scans: 0,
      sitesWithoutScans: ['s-2'],
    });
  });

  it('a bridge that does not answer is given up on after webhookTimeoutSeconds and retried; an unreadable key file stops the start', async () => {
    const [hook760, hook761] = [await hookServer(), await hookServer()];
    hook760.hang = true;
    const keyFile = join(makeTempDir('hook-key-'), 'key');
    writeFileSync(keyFile, 'k');
    const s = settings(yaml({ hook760: hook760.url, hook761: hook761.url, secretFile: keyFile }));
    s.notify.webhookTimeoutSeconds = 0.3;
    const { store, tick } = await twoHubs('sqlite', s);
    await store.setKioskState('s-1', 'k-1', 'online', T0);
    await tick(at(11));
    const n = (await store.repo.alerts.notices(20)).find((x) => x.target === hook760.url);
    expect(n).toMatchObject({ attempts: 1, sentAt: null, failedAt: null });
    expect(n?.lastError).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+\/hook: .*(timeout|aborted)/i);
    // Retried 30 s after its try began (the tick's time plus what the notices before it took).
    expect(Date.parse(n?.dueAt ?? '')).toBeGreaterThanOrEqual(at(11).getTime() + 30_000);

    const missing = settings(
      yaml({ hook760: hook760.url, hook761: hook761.url, secretFile: '/nonexistent/key' }),
    );
    expect(() => alertParts(store, missing.alerts, missing.notify, log)).toThrow(
      'Không đọc được tệp khóa webhook /nonexistent/key (ENOENT): tạo tệp, chmod 600 / cannot read the webhook key file /nonexistent/key (ENOENT): create it, chmod 600',
    );
  });
});
