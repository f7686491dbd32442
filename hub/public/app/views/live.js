// Trực tiếp: the latest check-ins as they arrive, today's scans per site (sites without a scan
// first, in red) and today's scans per Vietnam hour.
import { hourChart } from '../chart.js';
import { vnHour, vnToday } from '../fmt.js';

const T = {
  title: { vi: 'Trực tiếp', en: 'Live' },
  latest: { vi: 'Check-in mới nhất', en: 'Latest check-ins' },
  time: { vi: 'Thời gian', en: 'Time' },
  site: { vi: 'Địa điểm', en: 'Site' },
  kiosk: { vi: 'Kiosk', en: 'Kiosk' },
  dir: { vi: 'Hướng', en: 'Direction' },
  kind: { vi: 'Loại mã', en: 'Code' },
  name: { vi: 'Họ tên', en: 'Name' },
  number: { vi: 'Số giấy tờ', en: 'Document no.' },
  colour: { vi: 'Thẻ', en: 'Card' },
  verdict: { vi: 'Kết quả', en: 'Verdict' },
  none: { vi: 'Chưa có check-in nào.', en: 'No check-ins yet.' },
  today: { vi: 'Hôm nay theo địa điểm', en: 'Today by site' },
  count: { vi: 'Lượt quét', en: 'Scans' },
  noSites: { vi: 'Chưa có địa điểm nào.', en: 'No sites yet.' },
  idleToday: { vi: 'Chưa quét hôm nay', en: 'No scans yet today' },
  perHour: { vi: 'Lượt quét theo giờ hôm nay (giờ Việt Nam)', en: 'Scans per hour today (Vietnam time)' },
  in: { vi: 'vào', en: 'in' },
  out: { vi: 'ra', en: 'out' },
  ALLOW: { vi: 'Cho vào', en: 'Admitted' },
  REFUSE: { vi: 'Từ chối', en: 'Refused' },
  REVIEW: { vi: 'Kiểm tra', en: 'Review' },
  green: { vi: 'xanh', en: 'green' },
  yellow: { vi: 'vàng', en: 'yellow' },
  red: { vi: 'đỏ', en: 'red' },
  unknown: { vi: 'chưa rõ', en: 'unknown' },
  cccd: { vi: 'CCCD', en: 'CCCD' },
  bhyt: { vi: 'BHYT', en: 'BHYT' },
  'personal-qr': { vi: 'QR cá nhân', en: 'Personal QR' },
  dcc: { vi: 'Hộ chiếu vắc-xin', en: 'Vaccine passport' },
  manual: { vi: 'Nhập tay', en: 'Manual' },
  pass: { vi: 'Thẻ QR in', en: 'Printed pass' },
};
const tr = (ctx, key) => (T[key] ? ctx.t(T[key]) : key);

export const view = {
  id: 'live',
  title: T.title,
  roles: 'any',
  async render(root, ctx) {
    const { h, feed } = ctx;
    let newest = null;
    const checkins = ctx.table({
      id: 'checkins',
      empty: T.none,
      search: (c) =>
        `${ctx.siteName(c.site)} ${c.site} ${c.kiosk} ${c.document.nameMasked} ${c.document.numberMasked}`,
      rowAttrs: (c) => ({ class: c.id === newest ? 'new' : null, dataset: { id: c.id } }),
      columns: [
        { key: 'at', title: T.time, sort: (c) => Date.parse(c.at), cell: (c) => ctx.fmtDateTime(c.at) },
        { key: 'site', title: T.site, cell: (c) => ctx.siteName(c.site) },
        {
          key: 'kiosk',
          title: T.kiosk,
          cell: (c) =>
            h('a', { class: 'kiosk-link', href: `#/kiosk/${encodeURIComponent(c.kiosk)}` }, c.kiosk),
          sort: (c) => c.kiosk,
        },
        { key: 'dir', title: T.dir, cell: (c) => tr(ctx, c.direction) },
        { key: 'kind', title: T.kind, cell: (c) => tr(ctx, c.document.kind) },
        { key: 'name', title: T.name, cell: (c) => c.document.nameMasked },
        { key: 'number', title: T.number, cell: (c) => c.document.numberMasked },
        {
          key: 'colour',
          title: T.colour,
          cell: (c) =>
            h('span', {}, h('span', { class: `dot ${c.colour ?? 'none'}` }), tr(ctx, c.colour ?? 'unknown')),
        },
        {
          key: 'verdict',
          title: T.verdict,
          cell: (c) => h('span', { class: `badge ${c.verdict}` }, tr(ctx, c.verdict)),
        },
      ],
    });
    const idle = h('p', { id: 'idleToday', class: 'error' });
    const today = ctx.table({
      id: 'today',
      empty: T.noSites,
      search: (r) => `${ctx.siteName(r.site)} ${r.site}`,
      rowAttrs: (r) => ({ class: r.n === 0 ? 'zero' : null }),
      // Sites without a scan today first: the follow-up list of the day.
      initialSort: { key: 'n', dir: 1 },
      columns: [
        { key: 'site', title: T.site, cell: (r) => ctx.siteName(r.site) },
        { key: 'n', title: T.count, class: 'num', sort: (r) => r.n, cell: (r) => String(r.n) },
      ],
    });
    const chartBox = h('div');
    root.append(
      h(
        'div',
        { class: 'grid2' },
        h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.latest)), checkins),
        h(
          'div',
          { class: 'fill', style: null },
          h('section', { class: 'card' }, h('h2', {}, ctx.t(T.perHour)), chartBox),
          h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.today)), idle, today),
        ),
      ),
    );

    let hours = Array.from({ length: 24 }, () => 0);
    const drawChart = () => chartBox.replaceChildren(hourChart(ctx, hours));
    const drawToday = () => {
      const rows = [...feed.state.today].map(([site, n]) => ({ site, n }));
      today.update(rows);
      const n = rows.filter((r) => r.n === 0).length;
      idle.textContent = n ? `${ctx.t(T.idleToday)}: ${n}` : '';
    };
    let pending = null;
    const draw = () => {
      checkins.update(feed.state.checkins);
      drawToday();
    };
    const loadChart = async () => {
      try {
        hours = (await ctx.api('/api/hourly')).hours;
      } catch (err) {
        if (err.status === 401) return;
        chartBox.replaceChildren(h('p', { class: 'error' }, ctx.errorText(err)));
        return;
      }
      drawChart();
    };
    drawChart();
    draw();
    const stop = feed.listen((m) => {
      if (m.type === 'checkin') {
        newest = m.checkin.id;
        // Counted into today's chart without a reload (Vietnam day and hour).
        if (vnToday(Date.parse(m.checkin.at)) === vnToday()) {
          hours[vnHour(m.checkin.at)] += 1;
          drawChart();
        }
      }
      // A verify-only site's tally counts in the chart like a check-in (it is not listed).
      if (m.type === 'tally' && vnToday(Date.parse(m.at)) === vnToday()) {
        hours[vnHour(m.at)] += 1;
        drawChart();
      }
      if (m.type === 'snapshot') loadChart();
      if (m.type === 'snapshot') draw();
      // A busy hour brings several check-ins a second; redrawing 500 check-ins and 2,000 sites for
      // each would keep the page busy, so check-ins are drawn together at most every 300 ms.
      else if ((m.type === 'checkin' || m.type === 'tally') && !pending)
        pending = setTimeout(() => {
          pending = null;
          draw();
        }, 300);
    });
    await loadChart();
    const timer = setInterval(loadChart, 300_000);
    return () => {
      stop();
      clearInterval(timer);
      clearTimeout(pending);
    };
  },
};
