import { formatVnDateTime } from '@qrkiosk/protocol';
import { esc } from '../escape.js';
import { vnDob } from './dob.js';
import { type TracePerson, type TraceResult, verifyOnlyLabels } from './result.js';

const vnDate = (day: string) => day.split('-').reverse().join('/');
/** A CSS string's content: the case label reaches a `content:` rule, so it cannot close the string or the style. */
const cssString = (s: string) => s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[<>\n\r]/g, ' ');
const at = (iso: string) => esc(formatVnDateTime(new Date(iso)));

/** One person's row: who (revealed when the trace was), their contacts, a box for the caller. */
function personRow(p: TracePerson, revealed: boolean): string {
  const ids = p.identities ?? [];
  const who = ids.length
    ? ids
        .map(
          (i) =>
            `<b>${esc(i.name)}</b><br>${esc(i.kind)} ${esc(i.number)}${i.dob ? `<br><small>NS / born</small> ${esc(vnDob(i.dob))}` : ''}`,
        )
        .join('<hr>')
    : p.documents.map((d) => `${esc(d.nameMasked)}<br>${esc(d.kind)} ${esc(d.numberMasked)}`).join('<hr>');
  const phones = [...new Set(ids.map((i) => i.phone).filter((v) => v))].map(esc).join('<br>');
  const sealed =
    revealed && p.unopened ? `<br><small class="warn">${p.unopened} chưa mở / not opened</small>` : '';
  const contacts = p.contacts
    .map(
      (c) =>
        `${at(c.at)} · ${esc(c.siteName || c.site)}${c.siteAddress ? `, ${esc(c.siteAddress)}` : ''} · <b>${c.overlapMinutes}</b> phút${c.via ? ` <small>(qua / via ${esc(c.via)})</small>` : ''}`,
    )
    .join('<br>');
  return `<tr><td class="ref">${esc(p.ref)}</td><td>${who}${sealed}</td><td>${phones}</td><td>${contacts}</td>
<td class="n">${p.overlapMinutes}</td><td class="call"></td></tr>`;
}

function peopleTable(people: TracePerson[], revealed: boolean, id: string): string {
  if (people.length === 0) return '<p>Không có / none</p>';
  return `<table id="${id}"><thead><tr><th>Mã <small>/ ref</small></th><th>Người <small>/ person</small></th>
<th>Điện thoại <small>/ phone</small></th><th>Tiếp xúc <small>/ contacts</small></th><th>Phút <small>/ min</small></th>
<th>Đã gọi <small>/ called</small></th></tr></thead><tbody>
${people.map((p) => personRow(p, revealed)).join('\n')}
</tbody></table>`;
}

/**
 * The printable F1 list of one case for the ward's team: an A4 document with a letterhead, the
 * case, the period, who ran it and when (Vietnam time), the visits and the people with their
 * overlap minutes, and "Trang N/M" in the page's margin boxes (CSS Paged Media: Chromium prints
 * `@page` margin boxes since version 131). Vietnamese, English in small type.
 */
/** A check-in the door sensor marked as not entered (issue #19): listed, but no stay and no contacts. */
const NOT_ENTERED_HTML = '<br><i class="not-entered">không vào <small>/ did not enter</small></i>';

export function tracePrintPage(r: TraceResult, options: { office?: string } = {}): string {
  const office = options.office?.trim() || '…………………………';
  const caseLabel = r.case || '—';
  const f1 = r.people.filter((p) => p.level === 1);
  const f2 = r.people.filter((p) => p.level === 2);
  const visitRows = r.visits
    .map(
      (v) =>
        `<tr><td>${at(v.at)}</td><td><b>${esc(v.siteName || v.site)}</b> <small>${esc(v.site)}</small>${
          v.siteAddress ? `<br>${esc(v.siteAddress)}` : ''
        }${v.notEntered ? NOT_ENTERED_HTML : ''}</td><td>${esc(v.ward)}</td><td class="n">${v.coVisitors}</td></tr>`,
    )
    .join('\n');
  const c = r.counts;
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Danh sách F1 — ${esc(caseLabel)}</title>
<style>
  @page {
    size: A4; margin: 16mm 12mm 18mm 12mm;
    @top-right { content: "Ca / case: ${cssString(caseLabel)}"; font-size: 8pt; color: #555; }
    @bottom-left { content: "qrkiosk · ${r.revealed ? 'MẬT / confidential' : 'đã che / masked'}"; font-size: 8pt; color: #555; }
    @bottom-center { content: "Trang " counter(page) "/" counter(pages); font-size: 9pt; }
  }
  body { font-family: "Noto Sans", "DejaVu Sans", system-ui, sans-serif; color: #000; font-size: 10pt; margin: 0; }
  header { display: flex; justify-content: space-between; text-align: center; margin-bottom: 8mm; }
  header p { margin: 0; } .org { font-weight: bold; }
  h1 { font-size: 14pt; text-align: center; margin: 0 0 4mm; } h2 { font-size: 11.5pt; margin: 5mm 0 2mm; }
  small, .en { color: #555; font-size: .8em; font-weight: normal; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 1mm 4mm; margin: 0; } dt { font-weight: bold; } dd { margin: 0; }
  table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #888; padding: 2px 4px; text-align: left; vertical-align: top; }
  th { background: #eee; } thead { display: table-header-group; } tr { break-inside: avoid; }
  td.n { text-align: right; } td.ref { white-space: nowrap; font-weight: bold; } td.call { width: 14mm; }
  hr { border: 0; border-top: 1px dotted #999; margin: 1px 0; } .warn { font-weight: bold; }
</style></head>
<body>
<header>
  <div><p class="org">SỞ Y TẾ ${esc(office)}</p><p>qrkiosk <small>— hệ thống check-in / check-in system</small></p></div>
  <div><p class="org">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p><p>Độc lập - Tự do - Hạnh phúc</p></div>
</header>
<h1>DANH SÁCH NGƯỜI TIẾP XÚC GẦN (F1)<br><span class="en">Close contact list (F1)</span></h1>
<dl id="case">
  <dt>Ca bệnh <small>/ case</small></dt><dd id="case-label">${esc(caseLabel)}</dd>
  <dt>Người được truy vết <small>/ traced</small></dt><dd>${esc(r.query.type)} ${esc(r.query.idMasked)} · ${r.identities} mã liên kết <small>/ linked identifiers</small></dd>
  <dt>Khoảng thời gian <small>/ period</small></dt><dd id="period">${vnDate(r.query.from)} – ${vnDate(r.query.to)} · ±${r.query.window} phút <small>/ min</small></dd>
  <dt>Người lập <small>/ run by</small></dt><dd id="ran">${esc(r.ranBy)} · ${at(r.ranAt)} <small>(giờ Việt Nam, UTC+7)</small></dd>
  <dt>Tổng <small>/ totals</small></dt><dd id="counts">${c.visits} nơi đến <small>/ visits</small> · <b>${c.f1People}</b> người F1 <small>/ F1 people</small> (${c.f1Checkins} lượt check-in)${
    r.query.f2 ? ` · <b>${c.f2People}</b> người F2 <small>/ F2 people</small> (${c.f2Checkins} lượt)` : ''
  }${r.limits.truncated ? ' · <span class="warn">danh sách F2 bị giới hạn / F2 list cut at its limit</span>' : ''}</dd>${
    // Verify-only sites keep no register (issue #19): the printed list must not look complete for them.
    r.verifyOnlySites?.length
      ? `\n  <dt>Không truy vết được <small>/ not traceable</small></dt><dd id="verify-only" class="warn">địa điểm chỉ kiểm tra, không lưu danh sách <small>/ verify-only sites, no register</small>: ${esc(verifyOnlyLabels(r).join(', '))}</dd>`
      : ''
  }
</dl>
<h2>Nơi F0 đã đến <small>/ places the F0 visited</small></h2>
${r.visits.length ? `<table id="visits"><thead><tr><th>Thời gian <small>/ time</small></th><th>Địa điểm <small>/ site</small></th><th>Phường/xã <small>/ ward</small></th><th>Số người <small>/ people</small></th></tr></thead><tbody>\n${visitRows}\n</tbody></table>` : '<p>Không có / none</p>'}
<h2>Người tiếp xúc F1 <small>/ F1 contacts</small></h2>
${peopleTable(f1, r.revealed, 'f1')}
${r.query.f2 ? `<h2>Người tiếp xúc F2 <small>/ F2 contacts</small></h2>\n${peopleTable(f2, r.revealed, 'f2')}` : ''}
</body></html>
`;
}
