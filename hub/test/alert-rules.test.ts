/**
 * Alert rules as a pure function (alerts/rules.ts) with an injected clock, quiet hours and who is
 * sent what (notify/quiet.ts, notify/recipients.ts). No storage, no network.
 */

import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  AlertsSection,
  covers,
  evaluate,
  isWorkingDay,
  type KioskRow,
  loadHubSettings,
  releaseTime,
  type SiteInfo,
  type Thresholds,
  wants,
} from '../src/index.js';
import { SettingsError } from '../src/settings/index.js';

// The defaults as hub.yaml gives them (the schema's own defaults, not a copy).
const { everySeconds: _every, ...DEFAULTS } = Value.Default(AlertsSection, {}) as ReturnType<
  typeof Value.Default
> &
  Thresholds & { everySeconds: number };
const T: Thresholds = { ...DEFAULTS, holidays: ['2026-12-01'] };

// Thursday 26/11/2026 09:00 Vietnam time.
const NOW = new Date('2026-11-26T02:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

const telemetry = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    schema: 'qrkiosk.telemetry/1',
    kiosk: 'k-1',
    site: 's-1',
    at: ago(30_000),
    software: '1.0.0',
    uptimeSeconds: 100,
    clockSynced: true,
    scannerConnected: true,
    outboxDepth: 0,
    cache: { version: 1, updatedAt: ago(3_600_000), ageSeconds: 3600 },
    rules: { version: 'r1', source: 'signed', ageSeconds: 3600 },
    ...over,
  });

const kiosk = (over: Partial<KioskRow> = {}): KioskRow => ({
  site: 's-1',
  kiosk: 'k-1',
  state: 'online',
  lastSeen: ago(30_000),
  telemetry: telemetry(),
  ...over,
});

const DIR = new Map<string, SiteInfo>([
  ['s-1', { site: 's-1', name: 'Chợ Bến Thành', district: '760', ward: '26734', address: '' }],
  ['s-2', { site: 's-2', name: 'Trường THCS', district: '761', ward: '26800', address: '' }],
]);
const run = (kiosks: KioskRow[], now = NOW, t = T, scans: Array<[string, number]> = [['s-1', 5]]) =>
  evaluate({ kiosks, directory: DIR, scansToday: new Map(scans) }, now, t);
const rules = (kiosks: KioskRow[], now = NOW, t = T, scans?: Array<[string, number]>) =>
  run(kiosks, now, t, scans).map((c) => c.rule);

describe('alert rules', () => {
  it('a healthy kiosk with scans raises nothing', () => {
    expect(run([kiosk()])).toEqual([]);
  });

  it('silent: lastSeen older than N minutes, with Vietnamese and English detail', () => {
    expect(rules([kiosk({ lastSeen: ago(9 * 60_000) })])).toEqual([]);
    const [c] = run([kiosk({ lastSeen: ago(11 * 60_000) })]);
    expect(c).toMatchObject({ key: 'silent:s-1:k-1', rule: 'silent', severity: 'critical', kiosk: 'k-1' });
    // 08:49 Vietnam time, dd/MM/yyyy HH:mm.
    expect(c?.detail.vi).toBe('Kiosk k-1 im lặng 11 phút (lần cuối 26/11/2026 08:49)');
    expect(c?.detail.en).toBe('Kiosk k-1 silent for 11 min (last seen 26/11/2026 08:49)');
    expect(rules([kiosk({ lastSeen: ago(11 * 60_000) })], NOW, { ...T, silentMinutes: 0 })).toEqual([]);
  });

  it('silent sooner when the connection is known to have ended (state offline for offlineMinutes)', () => {
    const gone = kiosk({ state: 'offline', lastSeen: ago(31_000) });
    const [c] = run([gone]);
    expect(c).toMatchObject({ key: 'silent:s-1:k-1', rule: 'silent', severity: 'critical' });
    expect(c?.detail).toEqual({
      vi: 'Kiosk k-1 mất kết nối 31 giây (lần cuối 26/11/2026 08:59)',
      en: 'Kiosk k-1 offline for 31 s (last seen 26/11/2026 08:59)',
    });
    // A blip shorter than offlineMinutes, the same silence while online, or the rule off: nothing.
    expect(run([kiosk({ state: 'offline', lastSeen: ago(20_000) })])).toEqual([]);
    expect(run([kiosk({ lastSeen: ago(31_000) })])).toEqual([]);
    expect(run([gone], NOW, { ...T, offlineMinutes: 0 })).toEqual([]);
  });

  it('scanner lost, clock unsynced: only when the kiosk says so', () => {
    expect(rules([kiosk({ telemetry: telemetry({ scannerConnected: false, clockSynced: false }) })])).toEqual(
      ['scanner', 'clock'],
    );
    expect(
      rules([kiosk({ telemetry: telemetry({ scannerConnected: false }) })], NOW, {
        ...T,
        scannerLost: false,
      }),
    ).toEqual([]);
  });

  it('cache and rules older than N hours; null ages (nothing installed yet) do not fire', () => {
    const old = telemetry({
      cache: { version: 1, updatedAt: null, ageSeconds: 49 * 3600 },
      rules: { version: 'r', source: 's', ageSeconds: 169 * 3600 },
    });
    expect(rules([kiosk({ telemetry: old })])).toEqual(['cache', 'rules']);
    const unknown = telemetry({
      cache: { version: 0, updatedAt: null, ageSeconds: null },
      rules: { version: 'r', source: 's', ageSeconds: null },
    });
    expect(rules([kiosk({ telemetry: unknown })])).toEqual([]);
  });

  it('outbox above N rows, oldest undelivered above N minutes (measured at the report time)', () => {
    expect(rules([kiosk({ telemetry: telemetry({ outboxDepth: 501 }) })])).toEqual(['outbox']);
    const stuck = telemetry({ at: ago(0), outboxOldestAt: ago(31 * 60_000) });
    expect(rules([kiosk({ telemetry: stuck })])).toEqual(['outbox-age']);
    expect(rules([kiosk({ telemetry: telemetry({ outboxOldestAt: null }) })])).toEqual([]);
  });

  it('data-stale (issue #19): a kind the kiosk reports stale, or whose reported age has since passed its limit', () => {
    const fresh = { ageSeconds: 3600, maxSeconds: 48 * 3600, stale: false };
    const block = (over: Record<string, unknown>) => ({ facts: fresh, rules: fresh, ...over });
    expect(rules([kiosk({ telemetry: telemetry({ freshness: block({}) }) })])).toEqual([]);
    const reported = telemetry({
      freshness: block({ rules: { ageSeconds: 49 * 3600, maxSeconds: 48 * 3600, stale: true } }),
      faults: ['data-stale'],
    });
    const [c] = run([kiosk({ telemetry: reported })]);
    expect(c).toMatchObject({ key: 'data-stale:s-1:k-1', rule: 'data-stale', severity: 'critical' });
    expect(c?.detail).toEqual({
      vi: 'Kiosk k-1 có dữ liệu quá cũ (quy tắc): mọi lượt cho phép thành KIỂM TRA cho đến khi nhận được cập nhật có chữ ký',
      en: 'Kiosk k-1 holds data too old (rules): every ALLOW is REVIEW until a signed update arrives',
    });
    // Reported 2 h ago at 47 h of a 48 h limit, silent since: past it now, said before the kiosk can say so.
    const cutOff = telemetry({
      at: ago(2 * 3600_000),
      freshness: block({ trust: { ageSeconds: 47 * 3600, maxSeconds: 48 * 3600, stale: false } }),
    });
    expect(
      run([kiosk({ telemetry: cutOff, lastSeen: ago(2 * 3600_000) })], NOW, { ...T, silentMinutes: 0 }).map(
        (x) => x.detail.en,
      ),
    ).toEqual([
      'Kiosk k-1 holds data too old (DCC trust list): every ALLOW is REVIEW until a signed update arrives',
    ]);
    // No limit (null) never goes stale; an older kiosk without the block raises it by its fault alone.
    const unlimited = telemetry({
      freshness: block({ facts: { ageSeconds: 9e6, maxSeconds: null, stale: false } }),
    });
    expect(rules([kiosk({ telemetry: unlimited })])).toEqual([]);
    expect(rules([kiosk({ telemetry: telemetry({ faults: ['data-stale'] }) })])).toEqual(['data-stale']);
    expect(rules([kiosk({ telemetry: reported })], NOW, { ...T, dataStale: false })).toEqual([]);
  });

  it('data-stale ages a report from when the hub received it, not from the kiosk clock (review #2)', () => {
    // A kiosk whose wall clock runs 3 h behind reports 47 h of 48 h, received just now: not stale.
    const behind = telemetry({
      at: ago(3 * 3600_000),
      freshness: { rules: { ageSeconds: 47 * 3600, maxSeconds: 48 * 3600, stale: false } },
    });
    expect(rules([kiosk({ telemetry: behind, lastSeen: ago(0) })])).toEqual([]);
    // Received 2 h ago and silent since: past its limit now, whatever its clock said.
    const silent = telemetry({
      at: ago(0),
      freshness: { rules: { ageSeconds: 47 * 3600, maxSeconds: 48 * 3600, stale: false } },
    });
    expect(
      rules([kiosk({ telemetry: silent, lastSeen: ago(2 * 3600_000) })], NOW, { ...T, silentMinutes: 0 }),
    ).toEqual(['data-stale']);
  });

  it('disk above N percent', () => {
    const full = telemetry({ disk: { usedPercent: 93.4, freeBytes: 1000 } });
    const [c] = run([kiosk({ telemetry: full })]);
    expect(c).toMatchObject({ rule: 'disk', severity: 'critical' });
    expect(c?.detail.vi).toBe('Đĩa của kiosk k-1 đã dùng 93% (ngưỡng 90%)');
  });

  it('an older kiosk without the optional fields (rules.ageSeconds, outboxOldestAt, disk) raises nothing for them', () => {
    const old = JSON.parse(telemetry()) as Record<string, unknown>;
    old.rules = { version: 'r', source: 's' };
    expect(run([kiosk({ telemetry: JSON.stringify(old) })])).toEqual([]);
    // Unreadable telemetry: only lastSeen-based rules apply.
    expect(run([kiosk({ telemetry: '{not json' })])).toEqual([]);
  });

  it('no scans by HH:mm on a working day, for sites with kiosks, Vietnam time', () => {
    const k2 = kiosk({ site: 's-2', kiosk: 'k-2' });
    // Silence is its own rule: off here, the kiosks' lastSeen stays fixed while the clock moves.
    const t = { ...T, silentMinutes: 0 };
    // 09:00: before 10:00, nothing.
    expect(rules([kiosk(), k2], NOW, t)).toEqual([]);
    // Thursday 10:00 Vietnam time = 03:00 UTC.
    const ten = new Date('2026-11-26T03:00:00Z');
    const [c] = run([kiosk(), k2], ten, t);
    expect(c).toMatchObject({ key: 'no-scans:s-2:', rule: 'no-scans', site: 's-2', kiosk: null });
    expect(c?.detail.vi).toBe('Địa điểm Trường THCS (s-2) chưa có lượt quét nào đến 10:00 hôm nay');
    // Saturday 28/11, and the listed holiday Tuesday 01/12: nothing.
    expect(rules([kiosk(), k2], new Date('2026-11-28T05:00:00Z'), t)).toEqual([]);
    expect(rules([kiosk(), k2], new Date('2026-12-01T05:00:00Z'), t)).toEqual([]);
    // 23:30 UTC Monday is 06:30 Tuesday in Vietnam: before 10:00 there, nothing.
    expect(rules([kiosk(), k2], new Date('2026-11-30T23:30:00Z'), t)).toEqual([]);
    expect(rules([kiosk(), k2], ten, { ...t, noScansBy: '' })).toEqual([]);
  });

  it('working days: Monday–Friday, not holidays', () => {
    expect(['2026-11-23', '2026-11-27', '2026-11-28', '2026-11-29'].map((d) => isWorkingDay(d, []))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(isWorkingDay('2026-09-02', ['2026-09-02'])).toBe(false);
  });
});

describe('quiet hours (Vietnam time) and subscriptions', () => {
  const quiet = { from: '22:00', to: '06:00' };
  it('a warning in quiet hours waits for their end; a critical one goes now', () => {
    // 23:30 Vietnam (16:30 UTC) → 06:00 next day (23:00 UTC).
    const late = new Date('2026-11-26T16:30:00Z');
    expect(releaseTime(late, quiet, false).toISOString()).toBe('2026-11-26T23:00:00.000Z');
    expect(releaseTime(late, quiet, true)).toBe(late);
    // 05:00 Vietnam (22:00 UTC) → 06:00 the same Vietnam day.
    expect(releaseTime(new Date('2026-11-26T22:00:00Z'), quiet, false).toISOString()).toBe(
      '2026-11-26T23:00:00.000Z',
    );
    // 12:00 Vietnam: not quiet.
    expect(releaseTime(NOW, quiet, false)).toBe(NOW);
    // Within a day (12:00–13:30).
    expect(
      releaseTime(new Date('2026-11-26T05:10:00Z'), { from: '12:00', to: '13:30' }, false).toISOString(),
    ).toBe('2026-11-26T06:30:00.000Z');
    expect(releaseTime(late, { from: '', to: '' }, false)).toBe(late);
  });

  it('`*` is every alert rule but not the report; scopes by site, ward, district', () => {
    expect(wants(['*'], 'silent')).toBe(true);
    expect(wants(['*'], 'report')).toBe(false);
    expect(wants(['report'], 'report')).toBe(true);
    expect(wants(['silent'], 'disk')).toBe(false);
    expect(covers(['district:760'], 's-1', DIR)).toBe(true);
    expect(covers(['ward:26800'], 's-1', DIR)).toBe(false);
    expect(covers(['s-2'], 's-2', DIR)).toBe(true);
    expect(covers(['*'], 's-unknown', DIR)).toBe(true);
  });
});

describe('hub.yaml alerts: and notify:', () => {
  it('defaults, env overrides, and a wrong value refused with the fix', () => {
    const s = loadHubSettings(undefined, {
      QRKIOSK_HUB_ALERTS_SILENT_MINUTES: '5',
      QRKIOSK_HUB_NOTIFY_SMTP_HOST: 'mail.example.vn',
      QRKIOSK_HUB_NOTIFY_SUBSCRIPTIONS_OFFICER: 'silent,report',
    });
    expect(s.alerts).toMatchObject({
      everySeconds: 30,
      silentMinutes: 5,
      offlineMinutes: 0.5,
      noScansBy: '10:00',
      holidays: [],
    });
    expect(s.notify.smtp).toMatchObject({ host: 'mail.example.vn', port: 587, secure: false });
    expect(s.notify.subscriptions).toEqual({
      admin: ['*'],
      officer: ['silent', 'report'],
      'site-owner': ['silent', 'scanner', 'no-scans'],
      tracer: [],
    });
    expect(s.notify.quietHours).toEqual({ from: '', to: '' });
    const problems = (env: Record<string, string>) => {
      try {
        loadHubSettings(undefined, env);
      } catch (err) {
        if (err instanceof SettingsError) return err.problems;
      }
      return [];
    };
    const [late] = problems({ QRKIOSK_HUB_ALERTS_NO_SCANS_BY: '25:00' });
    expect(late).toMatchObject({ path: 'alerts.noScansBy', source: 'env QRKIOSK_HUB_ALERTS_NO_SCANS_BY' });
    expect(late?.fix?.vi).toContain('giờ Việt Nam');
    const [typo] = problems({ QRKIOSK_HUB_NOTIFY_SUBSCRIPTIONS_ADMIN: 'silnet' });
    expect(typo?.path).toMatch(/^notify\.subscriptions\.admin/);
  });
});
