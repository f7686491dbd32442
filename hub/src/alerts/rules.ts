import {
  type DataKind,
  formatVnDateTime,
  STALE_REASON_CODE,
  type TelemetryMessage,
  vnDay,
  vnTimeOn,
} from '@qrkiosk/protocol';
import { healthOf } from '../fleet-view.js';
import type { AlertsSettings } from '../settings/alerts-schema.js';
import type { KioskRow, SiteInfo } from '../storage/index.js';

/**
 * The alert rules as one pure function: the fleet as stored (kiosk rows with their last telemetry,
 * the site register, today's scan counts) and a time in, the set of conditions that hold out. No
 * clock, no storage, no I/O — the engine (engine.ts) compares this set with the alerts in force.
 */

export const RULES = [
  'silent',
  'scanner',
  'cache',
  'rules',
  'clock',
  'outbox',
  'outbox-age',
  'disk',
  'no-scans',
  'data-stale',
] as const;
export type RuleId = (typeof RULES)[number];
export type Severity = 'critical' | 'warning';

/**
 * Critical: nobody is being checked in properly right now (the kiosk is gone, cannot scan, its disk
 * is nearly full). These go out during quiet hours; warnings wait for the morning (notify/quiet.ts).
 */
export const SEVERITY: Record<RuleId, Severity> = {
  silent: 'critical',
  scanner: 'critical',
  disk: 'critical',
  // Past a limit the door admits nobody by itself (every ALLOW is REVIEW): as bad as a lost scanner.
  'data-stale': 'critical',
  cache: 'warning',
  rules: 'warning',
  clock: 'warning',
  outbox: 'warning',
  'outbox-age': 'warning',
  'no-scans': 'warning',
};

export interface Text {
  vi: string;
  en: string;
}

export interface Condition {
  /** `rule:site:kiosk` — one alert in force per key (the storage's unique index). */
  key: string;
  rule: RuleId;
  site: string;
  kiosk: string | null;
  severity: Severity;
  detail: Text;
}

export interface FleetSnapshot {
  kiosks: ReadonlyArray<KioskRow>;
  directory: ReadonlyMap<string, SiteInfo>;
  /** Check-ins per site since the start of today, Vietnam time. */
  scansToday: ReadonlyMap<string, number>;
}

export type Thresholds = Omit<AlertsSettings, 'everySeconds'>;

/** What the telemetry says, read defensively: an old kiosk leaves the newer fields out. */
interface Telemetry {
  at?: string;
  clockSynced?: boolean;
  scannerConnected?: boolean;
  outboxDepth?: number;
  outboxOldestAt?: string | null;
  cache?: { ageSeconds?: number | null };
  rules?: { ageSeconds?: number | null };
  disk?: { usedPercent?: number };
  faults?: string[];
}

function parse(json: string | null): Telemetry | null {
  if (!json) return null;
  try {
    const t = JSON.parse(json) as unknown;
    return t && typeof t === 'object' ? (t as Telemetry) : null;
  } catch {
    return null;
  }
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const hours = (seconds: number) => Math.floor(seconds / 3600);
/** Under two minutes in seconds ("45 giây"), then in whole minutes ("11 phút"). */
function duration(ms: number): Text {
  if (ms < 120_000) {
    const s = Math.floor(ms / 1000);
    return { vi: `${s} giây`, en: `${s} s` };
  }
  const m = Math.floor(ms / 60_000);
  return { vi: `${m} phút`, en: `${m} min` };
}
/** The data kinds as the alert says them (issue #19). */
const KIND_TEXT: Record<DataKind, Text> = {
  facts: { vi: 'dữ liệu tiêm chủng/xét nghiệm', en: 'facts cache' },
  rules: { vi: 'quy tắc', en: 'rules' },
  trust: { vi: 'danh sách tin cậy DCC', en: 'DCC trust list' },
  revocation: { vi: 'danh sách thu hồi DCC', en: 'DCC revocation list' },
  passes: { vi: 'danh sách thẻ QR in', en: 'printed pass list' },
};
const when = (iso: string) => formatVnDateTime(new Date(iso)).slice(0, 16);

/** Whether `day` (YYYY-MM-DD, Vietnam) is a working day: Monday–Friday and not a listed holiday. */
export function isWorkingDay(day: string, holidays: ReadonlyArray<string>): boolean {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5 && !holidays.includes(day);
}

/** Every condition that holds at `now`. Same input, same output. */
export function evaluate(fleet: FleetSnapshot, now: Date, t: Thresholds): Condition[] {
  const out: Condition[] = [];
  const add = (rule: RuleId, site: string, kiosk: string | null, detail: Text) =>
    out.push({ key: `${rule}:${site}:${kiosk ?? ''}`, rule, site, kiosk, severity: SEVERITY[rule], detail });

  for (const k of fleet.kiosks) {
    // Silent: nothing heard for silentMinutes — or, sooner, the kiosk's connection is known to have
    // ended (its offline state: a goodbye, or the broker's will after a dropped connection) for
    // offlineMinutes. The second is what lets an officer hear within a minute; the first catches a
    // kiosk whose connection hangs without the broker noticing.
    const silentMs = now.getTime() - Date.parse(k.lastSeen);
    const offline = k.state === 'offline' && t.offlineMinutes > 0 && silentMs > t.offlineMinutes * 60_000;
    if (offline || (t.silentMinutes > 0 && silentMs > t.silentMinutes * 60_000)) {
      const d = duration(silentMs);
      add(
        'silent',
        k.site,
        k.kiosk,
        offline
          ? {
              vi: `Kiosk ${k.kiosk} mất kết nối ${d.vi} (lần cuối ${when(k.lastSeen)})`,
              en: `Kiosk ${k.kiosk} offline for ${d.en} (last seen ${when(k.lastSeen)})`,
            }
          : {
              vi: `Kiosk ${k.kiosk} im lặng ${d.vi} (lần cuối ${when(k.lastSeen)})`,
              en: `Kiosk ${k.kiosk} silent for ${d.en} (last seen ${when(k.lastSeen)})`,
            },
      );
    }
    const tel = parse(k.telemetry);
    if (!tel) continue;
    if (t.scannerLost && tel.scannerConnected === false)
      add('scanner', k.site, k.kiosk, {
        vi: `Kiosk ${k.kiosk} mất kết nối máy quét`,
        en: `Kiosk ${k.kiosk} lost its scanner`,
      });
    const cacheAge = tel.cache?.ageSeconds;
    if (t.cacheHours > 0 && num(cacheAge) && cacheAge > t.cacheHours * 3600)
      add('cache', k.site, k.kiosk, {
        vi: `Bộ đệm của kiosk ${k.kiosk} đã ${hours(cacheAge)} giờ chưa cập nhật (ngưỡng ${t.cacheHours} giờ)`,
        en: `Kiosk ${k.kiosk}'s cache is ${hours(cacheAge)} h old (threshold ${t.cacheHours} h)`,
      });
    const rulesAge = tel.rules?.ageSeconds;
    if (t.rulesHours > 0 && num(rulesAge) && rulesAge > t.rulesHours * 3600)
      add('rules', k.site, k.kiosk, {
        vi: `Quy tắc của kiosk ${k.kiosk} đã ${hours(rulesAge)} giờ (ngưỡng ${t.rulesHours} giờ)`,
        en: `Kiosk ${k.kiosk}'s rules are ${hours(rulesAge)} h old (threshold ${t.rulesHours} h)`,
      });
    if (t.clockUnsynced && tel.clockSynced === false)
      add('clock', k.site, k.kiosk, {
        vi: `Đồng hồ kiosk ${k.kiosk} chưa đồng bộ`,
        en: `Kiosk ${k.kiosk}'s clock is not synchronised`,
      });
    if (t.outboxRows > 0 && num(tel.outboxDepth) && tel.outboxDepth > t.outboxRows)
      add('outbox', k.site, k.kiosk, {
        vi: `Kiosk ${k.kiosk} có ${tel.outboxDepth} check-in chưa gửi (ngưỡng ${t.outboxRows})`,
        en: `Kiosk ${k.kiosk} has ${tel.outboxDepth} check-ins not delivered (threshold ${t.outboxRows})`,
      });
    // The oldest row's age is measured at the telemetry's own time: a silent kiosk's stale report
    // does not grow older here (silence is its own rule).
    const oldest = tel.outboxOldestAt ? Date.parse(tel.outboxOldestAt) : Number.NaN;
    const reportedAt = tel.at ? Date.parse(tel.at) : Number.NaN;
    if (t.outboxMinutes > 0 && num(oldest) && num(reportedAt)) {
      const mins = Math.floor((reportedAt - oldest) / 60_000);
      if (mins > t.outboxMinutes)
        add('outbox-age', k.site, k.kiosk, {
          vi: `Check-in chưa gửi cũ nhất của kiosk ${k.kiosk} đã ${mins} phút (ngưỡng ${t.outboxMinutes} phút)`,
          en: `Kiosk ${k.kiosk}'s oldest undelivered check-in is ${mins} min old (threshold ${t.outboxMinutes} min)`,
        });
    }
    // Issue #19: a kind past its limit, as the kiosk reported it or as its reported age has grown since the
    // hub received it (fleet-view.ts); an older kiosk without the block raises it only by its fault.
    const stale = healthOf(tel as TelemetryMessage, now, k.lastSeen).stale;
    if (t.dataStale && (stale.length > 0 || tel.faults?.includes(STALE_REASON_CODE))) {
      const which = stale.length > 0 ? stale : null;
      add('data-stale', k.site, k.kiosk, {
        vi: `Kiosk ${k.kiosk} có dữ liệu quá cũ${which ? ` (${which.map((x) => KIND_TEXT[x].vi).join(', ')})` : ''}: mọi lượt cho phép thành KIỂM TRA cho đến khi nhận được cập nhật có chữ ký`,
        en: `Kiosk ${k.kiosk} holds data too old${which ? ` (${which.map((x) => KIND_TEXT[x].en).join(', ')})` : ''}: every ALLOW is REVIEW until a signed update arrives`,
      });
    }
    const used = tel.disk?.usedPercent;
    if (t.diskPercent > 0 && num(used) && used > t.diskPercent)
      add('disk', k.site, k.kiosk, {
        vi: `Đĩa của kiosk ${k.kiosk} đã dùng ${Math.round(used)}% (ngưỡng ${t.diskPercent}%)`,
        en: `Kiosk ${k.kiosk}'s disk is ${Math.round(used)}% full (threshold ${t.diskPercent}%)`,
      });
  }

  const today = vnDay(now);
  if (t.noScansBy && isWorkingDay(today, t.holidays)) {
    const [hh, mm] = t.noScansBy.split(':').map(Number) as [number, number];
    if (now.getTime() >= vnTimeOn(today, hh, mm).getTime()) {
      // Only sites that have a kiosk: a registered site still waiting for one is not "silent".
      const sites = new Set(fleet.kiosks.map((k) => k.site));
      for (const site of [...sites].sort())
        if ((fleet.scansToday.get(site) ?? 0) === 0) {
          const name = fleet.directory.get(site)?.name;
          const label = name ? `${name} (${site})` : site;
          add('no-scans', site, null, {
            vi: `Địa điểm ${label} chưa có lượt quét nào đến ${t.noScansBy} hôm nay`,
            en: `Site ${label} has no scans by ${t.noScansBy} today`,
          });
        }
    }
  }
  return out;
}
