// Báo cáo: the daily report of a Vietnam day — per site (names, not codes), the sites that scanned
// nothing, CSV and the printable page. The links follow the day as it is typed.
import { dayField } from '../dayfield.js';
import { vnToday } from '../fmt.js';

const T = {
  title: { vi: 'Báo cáo', en: 'Reports' },
  heading: { vi: 'Báo cáo ngày', en: 'Daily report' },
  day: { vi: 'Ngày', en: 'Day' },
  show: { vi: 'Xem', en: 'Show' },
  csv: { vi: 'Tải CSV', en: 'Download CSV' },
  print: { vi: 'Bản in', en: 'Printable' },
  site: { vi: 'Địa điểm', en: 'Site' },
  code: { vi: 'Mã', en: 'Code' },
  kiosks: { vi: 'Số kiosk', en: 'Kiosks' },
  scans: { vi: 'Lượt quét', en: 'Scans' },
  allowed: { vi: 'Cho vào', en: 'Admitted' },
  refused: { vi: 'Từ chối', en: 'Refused' },
  review: { vi: 'Kiểm tra', en: 'Review' },
  noScans: { vi: 'Địa điểm không quét', en: 'Sites with no scans' },
  none: { vi: 'Không có địa điểm nào trong báo cáo này.', en: 'No sites in this report.' },
  stored: { vi: 'Báo cáo đã lưu lúc', en: 'Stored report made at' },
  live: { vi: 'Tính lúc xem (chưa lưu)', en: 'Computed now (not stored)' },
  badDay: { vi: 'Hãy nhập ngày theo dạng nn/tt/nnnn.', en: 'Type the day as dd/mm/yyyy.' },
};

export const view = {
  id: 'reports',
  title: T.title,
  roles: ['officer', 'site-owner'],
  async render(root, ctx, param) {
    const { h } = ctx;
    const start = /^\d{4}-\d{2}-\d{2}$/.test(param ?? '') ? param : vnToday();
    const csv = h('a', { id: 'reportCsv' }, ctx.t(T.csv));
    const print = h('a', { id: 'reportPrint', target: '_blank', rel: 'noopener' }, ctx.t(T.print));
    const links = (day) => {
      csv.href = `/api/report?day=${day}&format=csv`;
      print.href = `/report?day=${day}`;
    };
    const field = dayField(ctx, { id: 'reportDay', value: start, label: T.day, onday: links });
    const info = h('p', { class: 'muted', id: 'reportInfo' });
    const noScans = h('p', { id: 'noScans', class: 'error wrap' });
    const sites = ctx.table({
      id: 'reportTable',
      empty: T.none,
      search: (s) => `${s.name} ${s.site}`,
      columns: [
        {
          key: 'name',
          title: T.site,
          sort: (s) => s.name || s.site,
          cell: (s) => s.name || ctx.siteName(s.site),
        },
        { key: 'site', title: T.code, cell: (s) => s.site },
        {
          key: 'kiosks',
          title: T.kiosks,
          class: 'num',
          sort: (s) => s.kiosks,
          cell: (s) => String(s.kiosks),
        },
        { key: 'scans', title: T.scans, class: 'num', sort: (s) => s.scans, cell: (s) => String(s.scans) },
        {
          key: 'allowed',
          title: T.allowed,
          class: 'num',
          sort: (s) => s.allowed,
          cell: (s) => String(s.allowed),
        },
        {
          key: 'refused',
          title: T.refused,
          class: 'num',
          sort: (s) => s.refused,
          cell: (s) => String(s.refused),
        },
        {
          key: 'review',
          title: T.review,
          class: 'num',
          sort: (s) => s.review,
          cell: (s) => String(s.review),
        },
      ],
      rowAttrs: (s) => ({ class: s.scans === 0 ? 'zero' : null }),
    });
    const run = async () => {
      const day = field.day;
      if (!day) {
        noScans.textContent = ctx.t(T.badDay);
        field.reportValidity();
        return;
      }
      links(day);
      try {
        const r = await ctx.api(`/api/report?day=${day}`);
        sites.update(r.sites ?? []);
        info.textContent = r.generatedAt
          ? `${ctx.t(T.stored)} ${ctx.fmtDateTime(r.generatedAt)}`
          : ctx.t(T.live);
        const names = (r.sitesWithoutScans ?? []).map((s) => ctx.siteName(s));
        noScans.textContent = `${ctx.t(T.noScans)} (${names.length}): ${names.join(', ') || '—'}`;
      } catch (err) {
        if (err.status === 401) return;
        sites.update([]);
        info.textContent = '';
        noScans.textContent = ctx.errorText(err);
      }
    };
    links(start);
    const form = h(
      'form',
      {
        class: 'inline',
        id: 'reportForm',
        onsubmit: (e) => {
          e.preventDefault();
          run();
        },
      },
      h('label', { for: 'reportDay' }, ctx.t(T.day)),
      field,
      h('button', { type: 'submit', id: 'reportRun' }, ctx.t(T.show)),
      csv,
      ' · ',
      print,
    );
    root.append(
      h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.heading)), form, info, noScans, sites),
    );
    await run();
  },
};
