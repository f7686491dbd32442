// One kiosk's page (#/kiosk/<id>): its state and health now, its telemetry history, its last
// doctor report and the commands an officer may send it.
import { commandsCard } from './kiosk-commands.js';
import { DATA_KINDS, fleetCells } from './kiosks.js';

const T = {
  title: { vi: 'Kiosk', en: 'Kiosk' },
  back: { vi: '← Các kiosk', en: '← Kiosks' },
  history: { vi: 'Lịch sử tình trạng', en: 'Health history' },
  noHistory: { vi: 'Kiosk chưa gửi tình trạng nào.', en: 'The kiosk has not reported its health yet.' },
  at: { vi: 'Lúc', en: 'At' },
  uptime: { vi: 'Đã chạy', en: 'Up for' },
  doctor: { vi: 'Báo cáo chẩn đoán (doctor)', en: 'Doctor report' },
  noDoctor: { vi: 'Chưa có báo cáo chẩn đoán cho kiosk này.', en: 'No doctor report for this kiosk yet.' },
  check: { vi: 'Mục', en: 'Check' },
  status: { vi: 'Kết quả', en: 'Status' },
  message: { vi: 'Chi tiết', en: 'Detail' },
  fix: { vi: 'Cách xử lý', en: 'What to do' },
  ok: { vi: 'tốt', en: 'ok' },
  warn: { vi: 'cần xem', en: 'warning' },
  fail: { vi: 'hỏng', en: 'failed' },
  skip: { vi: 'bỏ qua', en: 'skipped' },
  madeAt: { vi: 'Lập lúc', en: 'Made at' },
  faults: { vi: 'Lỗi đang có', en: 'Faults now' },
  none: { vi: 'không', en: 'none' },
  freshness: { vi: 'Độ mới dữ liệu', en: 'Data age' },
  kind: { vi: 'Loại dữ liệu', en: 'Data' },
  age: { vi: 'Tuổi', en: 'Age' },
  limit: { vi: 'Giới hạn', en: 'Limit' },
  state: { vi: 'Trạng thái', en: 'State' },
  noLimit: { vi: 'không giới hạn', en: 'no limit' },
  notInstalled: { vi: 'chưa cài', en: 'not installed' },
  stale: { vi: 'quá cũ — cho phép thành KIỂM TRA', en: 'too old — ALLOW becomes REVIEW' },
  fresh: { vi: 'trong giới hạn', en: 'within limits' },
};

/** Faults a kiosk reports (gateway FAULT_CODES) said in words where the page knows them; others as sent. */
const FAULTS = {
  'data-stale': { vi: 'Dữ liệu quá cũ — kiểm tra giấy tờ', en: 'Data too old — check documents' },
  'door-sensor': {
    vi: 'Không đọc được cảm biến cửa — mọi lượt vào đều được tính, báo kỹ thuật',
    en: 'Door sensor unreadable — every entry counts, call a technician',
  },
  'pass-list-refused': {
    vi: 'Kiosk từ chối danh sách thẻ QR — thẻ in phải kiểm tra giấy tờ; gửi lại danh sách',
    en: 'Kiosk refused the pass list — printed passes are REVIEW; publish the list again',
  },
};

const READERS = ['officer', 'site-owner'];

export const view = {
  id: 'kiosk',
  title: T.title,
  roles: 'any',
  async render(root, ctx, kiosk) {
    const { h } = ctx;
    if (!kiosk) return ctx.navigate('#/kiosks');
    const back = h('a', { href: '#/kiosks', class: 'kiosk-link' }, ctx.t(T.back));
    let k;
    try {
      k = await ctx.api(`/api/kiosks/${encodeURIComponent(kiosk)}`);
    } catch (err) {
      if (err.status === 401) return;
      root.append(
        h(
          'section',
          { class: 'card' },
          back,
          h('h2', {}, kiosk),
          h('p', { class: 'error', role: 'alert' }, ctx.errorText(err)),
        ),
      );
      return;
    }
    const now = ctx.table({
      id: 'kioskNow',
      columns: fleetCells(ctx).filter((c) => c.key !== 'kiosk'),
      rows: [k],
    });
    const faults = k.faults?.length
      ? k.faults.map((f) => (FAULTS[f] ? ctx.t(FAULTS[f]) : f)).join(', ')
      : ctx.t(T.none);
    const history = ctx.table({
      id: 'telemetryHistory',
      empty: T.noHistory,
      rows: k.history ?? [],
      initialSort: { key: 'at', dir: -1 },
      columns: [
        { key: 'at', title: T.at, sort: (r) => Date.parse(r.at), cell: (r) => ctx.fmtDateTime(r.at) },
        {
          key: 'uptime',
          title: T.uptime,
          class: 'num',
          sort: (r) => r.uptimeSeconds,
          cell: (r) => ctx.fmtDuration(r.uptimeSeconds),
        },
        ...fleetCells(ctx).filter((c) => !['site', 'kiosk', 'online', 'lastSeen', 'alerts'].includes(c.key)),
      ],
    });
    const doctorBox = h('div', { id: 'doctor' });
    const loadDoctor = async () => {
      try {
        const d = await ctx.api(`/api/kiosks/${encodeURIComponent(kiosk)}/doctor`);
        doctorBox.replaceChildren(doctorView(ctx, d));
      } catch (err) {
        if (err.status === 401) return;
        doctorBox.replaceChildren(
          // The hub's own words when it has them ("no report yet"), else ours for a bare 404.
          h(
            'p',
            { class: 'empty' },
            err.status === 404 && !err.fromHub ? ctx.t(T.noDoctor) : ctx.errorText(err),
          ),
        );
      }
    };
    root.append(
      h(
        'section',
        { class: 'card' },
        back,
        h('h2', { id: 'kioskTitle' }, `${k.kiosk} — ${k.siteName}`),
        now,
        h('p', { id: 'kioskFaults' }, `${ctx.t(T.faults)}: ${faults}`),
      ),
      k.freshness
        ? h('section', { class: 'card' }, h('h2', {}, ctx.t(T.freshness)), freshnessTable(ctx, k))
        : null,
      // Commands, their history and the doctor report are the fleet's (routes/commands.ts): officers'
      // and site owners' (admins too); a tracer sees the kiosk's health only.
      ctx.can(READERS) ? commandsCard(ctx, kiosk, (command) => command === 'doctor' && loadDoctor()) : null,
      ctx.can(READERS) ? h('section', { class: 'card' }, h('h2', {}, ctx.t(T.doctor)), doctorBox) : null,
      h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.history)), history),
    );
    if (ctx.can(READERS)) await loadDoctor();
  },
};

/** Issue #19: each data kind's age and limit (brought up to now by the hub), stale ones in red. */
function freshnessTable(ctx, k) {
  const { h } = ctx;
  // In whole hours, as the limits are set (50 h against 48 h, where "2 days" against "2 days" hides it).
  const hours = (s) =>
    s < 3600
      ? ctx.fmtDuration(s)
      : ctx.t({ vi: `${Math.floor(s / 3600)} giờ`, en: `${Math.floor(s / 3600)} h` });
  const rows = Object.keys(DATA_KINDS)
    .filter((kind) => k.freshness[kind])
    .map((kind) => ({ kind, ...k.freshness[kind] }));
  return ctx.table({
    id: 'kioskFreshness',
    rows,
    columns: [
      { key: 'kind', title: T.kind, cell: (r) => ctx.t(DATA_KINDS[r.kind]) },
      {
        key: 'age',
        title: T.age,
        class: 'num',
        cell: (r) => (r.ageSeconds === null ? ctx.t(T.notInstalled) : hours(r.ageSeconds)),
      },
      {
        key: 'limit',
        title: T.limit,
        class: 'num',
        cell: (r) => (r.maxSeconds === null ? ctx.t(T.noLimit) : hours(r.maxSeconds)),
      },
      {
        key: 'state',
        title: T.state,
        cell: (r) => (r.stale ? h('span', { class: 'bad stale' }, ctx.t(T.stale)) : ctx.t(T.fresh)),
      },
    ],
  });
}

function doctorView(ctx, d) {
  const { h } = ctx;
  const r = d.report;
  const badge = (s) =>
    h(
      'span',
      { class: `badge ${s === 'ok' ? 'on' : s === 'fail' ? 'off' : 'warn'}` },
      ctx.t(T[s] ?? { vi: s, en: s }),
    );
  return h(
    'div',
    {},
    h(
      'p',
      {},
      `${ctx.t(T.madeAt)} ${ctx.fmtDateTime(r?.at ?? d.at)} · ${r?.software ?? ''} · `,
      badge(r?.status ?? 'skip'),
    ),
    ctx.table({
      id: 'doctorChecks',
      rows: r?.checks ?? [],
      columns: [
        { key: 'id', title: T.check, cell: (c) => c.id },
        {
          key: 'status',
          title: T.status,
          sort: (c) => ['fail', 'warn', 'ok', 'skip'].indexOf(c.status),
          cell: (c) => badge(c.status),
        },
        { key: 'message', title: T.message, class: 'wrap', cell: (c) => ctx.t(c.message) },
        { key: 'fix', title: T.fix, class: 'wrap', cell: (c) => ctx.t(c.fix) },
      ],
    }),
  );
}
