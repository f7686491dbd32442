import { formatVnDateTime } from '@qrkiosk/protocol';
import { csvCell, esc } from './escape.js';
import { areasOf, type DailyReport, type ReportSite } from './report-model.js';
import type { SiteInfo } from './storage/index.js';

/**
 * The part of a report a user may see (their sites, wards, districts), optionally narrowed to one
 * area (`district:<code>` or `ward:<code>`). Area totals are recomputed from what is left.
 */
export function scopeReport(
  report: DailyReport,
  visible: (site: string) => boolean,
  area?: string,
): DailyReport {
  const [kind, code] = (area ?? '').split(':') as [string, string | undefined];
  const inArea = (s: ReportSite) =>
    !area || (kind === 'district' && s.district === code) || (kind === 'ward' && s.ward === code);
  const sites = report.sites.filter((s) => visible(s.site) && inArea(s));
  const ids = new Set(sites.map((s) => s.site));
  const newKiosks = report.newKiosks.filter((k) => ids.has(k.site));
  return {
    day: report.day,
    sites,
    areas: areasOf(sites, newKiosks),
    sitesWithoutScans: report.sitesWithoutScans.filter((s) => ids.has(s)),
    newKiosks,
  };
}

/** One row per site, Excel-friendly (UTF-8 BOM: Vietnamese names open correctly). */
export function reportCsv(report: DailyReport): string {
  const header = ['district', 'ward', 'site', 'name', 'kiosks', 'scans', 'allowed', 'refused', 'review'];
  const rows = report.sites.map((s) =>
    [s.district, s.ward, s.site, s.name, s.kiosks, s.scans, s.allowed, s.refused, s.review]
      .map(csvCell)
      .join(','),
  );
  return `\uFEFF${header.join(',')}\n${rows.join('\n')}\n`;
}

const vnDate = (day: string) => day.split('-').reverse().join('/');
const areaName = (district: string, ward: string) =>
  district === ''
    ? 'Chưa đăng ký <small>/ not registered</small>'
    : `Quận/huyện ${esc(district)} · phường/xã ${esc(ward)}`;

/** The printable daily report: Vietnamese, English beneath in small type, A4-friendly. */
export function reportPage(
  report: DailyReport,
  generatedAt: string | null,
  directory: ReadonlyMap<string, SiteInfo>,
): string {
  const name = (site: string) => directory.get(site)?.name ?? '';
  const total = report.sites.reduce((n, s) => n + s.scans, 0);
  const areaRows = report.areas
    .map(
      (
        a,
      ) => `<tr><td>${areaName(a.district, a.ward)}</td><td class="n">${a.sitesRegistered}</td><td class="n">${a.sitesWithScans}</td>
<td class="n">${a.scans}</td><td class="n ${a.sitesWithoutScans.length ? 'warn' : ''}">${a.sitesWithoutScans.length}</td><td class="n">${a.newKiosks}</td></tr>`,
    )
    .join('\n');
  const followUp = report.sitesWithoutScans.length
    ? `<ol id="no-scans">${report.sitesWithoutScans
        .map((s) => `<li><b>${esc(s)}</b> ${esc(name(s))}</li>`)
        .join('')}</ol>`
    : '<p>Không có / none</p>';
  const siteRows = report.sites
    .map(
      (
        s,
      ) => `<tr><td>${esc(s.site)}</td><td>${esc(s.name)}</td><td>${esc(s.ward)}</td><td class="n">${s.kiosks}</td>
<td class="n">${s.scans}</td><td class="n">${s.allowed}</td><td class="n">${s.refused}</td><td class="n">${s.review}</td></tr>`,
    )
    .join('\n');
  const made = generatedAt
    ? `Lập lúc / generated ${esc(formatVnDateTime(new Date(generatedAt)))}`
    : `Tính lúc xem / computed on viewing ${esc(formatVnDateTime(new Date()))}`;
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo check-in ngày ${vnDate(report.day)}</title>
<style>
  body { font-family: "Noto Sans", system-ui, sans-serif; margin: 1.5cm; color: #000; font-size: 11pt; }
  h1 { font-size: 16pt; margin: 0; } h2 { font-size: 12.5pt; margin: 1.2em 0 .4em; }
  small, .en { color: #555; font-size: .85em; font-weight: normal; }
  table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 3px 6px; text-align: left; }
  th { background: #eee; } td.n { text-align: right; } .warn { font-weight: bold; }
  @page { size: A4; margin: 1.5cm; } @media print { body { margin: 0; } }
</style></head>
<body>
<h1>Báo cáo check-in ngày ${vnDate(report.day)} <span class="en">/ Daily check-in report</span></h1>
<p>${made} · Tổng lượt quét / scans: <b id="total">${total}</b> · Địa điểm / sites: ${report.sites.length}</p>
<h2>Theo địa bàn <small>/ by area</small></h2>
<table id="areas"><thead><tr><th>Địa bàn <small>/ area</small></th><th>Địa điểm đăng ký <small>/ registered</small></th>
<th>Có quét <small>/ with scans</small></th><th>Lượt quét <small>/ scans</small></th><th>KHÔNG quét <small>/ NO scans</small></th>
<th>Kiosk mới <small>/ new kiosks</small></th></tr></thead><tbody>
${areaRows}
</tbody></table>
<h2>Địa điểm KHÔNG quét — cần nhắc nhở <small>/ sites with NO scans — follow up</small></h2>
${followUp}
<h2>Theo địa điểm <small>/ by site</small></h2>
<table id="sites"><thead><tr><th>Mã <small>/ id</small></th><th>Tên <small>/ name</small></th><th>Phường/xã <small>/ ward</small></th>
<th>Kiosk</th><th>Lượt quét <small>/ scans</small></th><th>Vào <small>/ allowed</small></th><th>Từ chối <small>/ refused</small></th>
<th>Kiểm tra <small>/ review</small></th></tr></thead><tbody>
${siteRows}
</tbody></table>
<h2>Kiosk mới <small>/ new kiosks</small></h2>
<p>${report.newKiosks.map((k) => `${esc(k.site)}/${esc(k.kiosk)}`).join(', ') || 'Không có / none'}</p>
</body></html>
`;
}
