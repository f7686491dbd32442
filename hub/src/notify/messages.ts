import { formatVnDateTime } from '@qrkiosk/protocol';
import type { DailyReport } from '../report-model.js';
import { reportCsv } from '../report-view.js';
import type { AlertRow, SiteInfo } from '../storage/index.js';

/**
 * What is sent, rendered once when queued (the notice keeps it): an e-mail (subject, text, CSV
 * attachments) and a webhook body (JSON, with a ready `text` a Zalo/Telegram bridge can forward).
 * Vietnamese first, English below; times dd/MM/yyyy HH:mm, Vietnam time.
 */
export interface MailMessage {
  subject: string;
  text: string;
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
}

export const NOTICE_SCHEMA = 'qrkiosk.notice/1';

export const vnMinute = (iso: string) => formatVnDateTime(new Date(iso)).slice(0, 16);
const vnDate = (day: string) => day.split('-').reverse().join('/');

const SEVERITY_TEXT = {
  critical: { vi: 'nghiêm trọng', en: 'critical' },
  warning: { vi: 'cảnh báo', en: 'warning' },
} as const;

interface Detail {
  vi: string;
  en: string;
}

function siteLabel(site: string, directory: ReadonlyMap<string, SiteInfo>): string {
  const name = directory.get(site)?.name;
  return name ? `${name} (${site})` : site;
}

/** The alert as the page and webhooks show it (the contract of GET /api/alerts). */
export function alertView(a: AlertRow, directory: ReadonlyMap<string, SiteInfo>) {
  return {
    id: a.id,
    rule: a.rule,
    site: a.site,
    siteName: directory.get(a.site)?.name ?? a.site,
    kiosk: a.kiosk,
    severity: a.severity,
    raisedAt: a.raisedAt,
    clearedAt: a.clearedAt,
    detail: JSON.parse(a.detail) as Detail,
  };
}

function alertText(a: AlertRow, event: 'raise' | 'clear', directory: ReadonlyMap<string, SiteInfo>) {
  const d = JSON.parse(a.detail) as Detail;
  const sev = SEVERITY_TEXT[a.severity as keyof typeof SEVERITY_TEXT] ?? SEVERITY_TEXT.warning;
  const where = siteLabel(a.site, directory) + (a.kiosk ? `, kiosk ${a.kiosk}` : '');
  const cleared = event === 'clear' && a.clearedAt;
  const vi = [
    cleared ? `ĐÃ HẾT cảnh báo — ${where}` : `CẢNH BÁO (${sev.vi}) — ${where}`,
    d.vi,
    `Bắt đầu: ${vnMinute(a.raisedAt)} (giờ Việt Nam)`,
    ...(cleared ? [`Kết thúc: ${vnMinute(cleared)}`] : []),
    `Quy tắc: ${a.rule} · mã cảnh báo ${a.id}`,
  ];
  const en = [
    cleared ? `CLEARED — ${where}` : `ALERT (${sev.en}) — ${where}`,
    d.en,
    `Raised: ${vnMinute(a.raisedAt)} (Vietnam time)`,
    ...(cleared ? [`Cleared: ${vnMinute(cleared)}`] : []),
    `Rule: ${a.rule} · alert id ${a.id}`,
  ];
  const subject = cleared
    ? `[qrkiosk] Đã hết cảnh báo: ${d.vi}`
    : `[qrkiosk] ${a.severity === 'critical' ? 'CẢNH BÁO' : 'Cảnh báo'}: ${d.vi}`;
  return { subject, text: `${vi.join('\n')}\n\n---\n${en.join('\n')}\n` };
}

export function alertMail(
  a: AlertRow,
  event: 'raise' | 'clear',
  directory: ReadonlyMap<string, SiteInfo>,
): MailMessage {
  return alertText(a, event, directory);
}

export function alertHook(a: AlertRow, event: 'raise' | 'clear', directory: ReadonlyMap<string, SiteInfo>) {
  return {
    schema: NOTICE_SCHEMA,
    event: event === 'raise' ? 'alert-raised' : 'alert-cleared',
    alert: alertView(a, directory),
    text: alertText(a, event, directory).text,
  };
}

function reportText(r: DailyReport, directory: ReadonlyMap<string, SiteInfo>) {
  const scans = r.sites.reduce((n, s) => n + s.scans, 0);
  const none = r.sitesWithoutScans.map((s) => `  - ${siteLabel(s, directory)}`);
  const vi = [
    `Báo cáo check-in ngày ${vnDate(r.day)}`,
    `Tổng lượt quét: ${scans} · Địa điểm: ${r.sites.length} · Kiosk mới: ${r.newKiosks.length}`,
    `Địa điểm KHÔNG có lượt quét (${none.length}):`,
    ...(none.length ? none : ['  (không có)']),
    'Chi tiết theo địa điểm: tệp CSV đính kèm.',
  ];
  const en = [
    `Daily check-in report for ${vnDate(r.day)}`,
    `Scans: ${scans} · Sites: ${r.sites.length} · New kiosks: ${r.newKiosks.length}`,
    `Sites with NO scans: ${none.length} (listed above)`,
    'Per-site detail: the attached CSV.',
  ];
  return {
    subject: `[qrkiosk] Báo cáo check-in ngày ${vnDate(r.day)}`,
    text: `${vi.join('\n')}\n\n---\n${en.join('\n')}\n`,
    scans,
  };
}

/** The daily report for one recipient, already narrowed to their scope. */
export function reportMail(r: DailyReport, directory: ReadonlyMap<string, SiteInfo>): MailMessage {
  const t = reportText(r, directory);
  return {
    subject: t.subject,
    text: t.text,
    attachments: [
      { filename: `bao-cao-${r.day}.csv`, content: reportCsv(r), contentType: 'text/csv; charset=utf-8' },
    ],
  };
}

export function reportHook(r: DailyReport, directory: ReadonlyMap<string, SiteInfo>) {
  const t = reportText(r, directory);
  return {
    schema: NOTICE_SCHEMA,
    event: 'daily-report',
    day: r.day,
    scans: t.scans,
    sites: r.sites.length,
    areas: r.areas,
    sitesWithoutScans: r.sitesWithoutScans,
    newKiosks: r.newKiosks,
    csv: reportCsv(r),
    text: t.text,
  };
}
