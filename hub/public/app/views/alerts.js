// Cảnh báo / Alerts: the alerts in force and their history (GET /api/alerts?state=active|all), scoped
// to the user by the hub. Each row: severity, rule, site name, kiosk (a link to its page), what
// happened in the page's language, when it began and ended. Reloaded every 30 s (the hub checks every 30 s).

export const T = {
  title: { vi: 'Cảnh báo', en: 'Alerts' },
  active: { vi: 'Đang có cảnh báo', en: 'Alerts in force' },
  history: { vi: 'Lịch sử cảnh báo', en: 'Alert history' },
  severity: { vi: 'Mức độ', en: 'Severity' },
  rule: { vi: 'Loại', en: 'Rule' },
  site: { vi: 'Địa điểm', en: 'Site' },
  kiosk: { vi: 'Kiosk', en: 'Kiosk' },
  detail: { vi: 'Nội dung', en: 'What happened' },
  raised: { vi: 'Bắt đầu', en: 'Raised' },
  cleared: { vi: 'Kết thúc', en: 'Cleared' },
  ongoing: { vi: 'đang diễn ra', en: 'ongoing' },
  noneActive: { vi: 'Không có cảnh báo nào trong phạm vi của bạn.', en: 'No alerts in your scope.' },
  noneHistory: { vi: 'Chưa có cảnh báo nào.', en: 'No alerts yet.' },
  updated: { vi: 'Cập nhật lúc', en: 'Updated at' },
};

export const SEVERITY = {
  critical: { vi: 'nghiêm trọng', en: 'critical' },
  warning: { vi: 'cảnh báo', en: 'warning' },
};

/** The rules' names (hub/src/alerts/rules.ts). */
export const RULE = {
  silent: { vi: 'Kiosk im lặng', en: 'Kiosk silent' },
  scanner: { vi: 'Mất máy quét', en: 'Scanner lost' },
  cache: { vi: 'Bộ đệm cũ', en: 'Cache stale' },
  rules: { vi: 'Quy tắc cũ', en: 'Rules stale' },
  clock: { vi: 'Đồng hồ chưa đồng bộ', en: 'Clock unsynced' },
  outbox: { vi: 'Hàng đợi gửi dài', en: 'Outbox growing' },
  'outbox-age': { vi: 'Check-in chờ gửi lâu', en: 'Undelivered too long' },
  disk: { vi: 'Đĩa sắp đầy', en: 'Disk nearly full' },
  'no-scans': { vi: 'Chưa có lượt quét', en: 'No scans yet' },
  'data-stale': { vi: 'Dữ liệu quá cũ', en: 'Data too old' },
};

function columns(ctx, withCleared) {
  const { h } = ctx;
  const cols = [
    {
      key: 'severity',
      title: T.severity,
      sort: (a) => (a.severity === 'critical' ? 0 : 1),
      cell: (a) =>
        h(
          'span',
          { class: `badge ${a.severity === 'critical' ? 'off' : 'warn'}` },
          ctx.t(SEVERITY[a.severity] ?? { vi: a.severity, en: a.severity }),
        ),
    },
    {
      key: 'rule',
      title: T.rule,
      sort: (a) => a.rule,
      cell: (a) => ctx.t(RULE[a.rule] ?? { vi: a.rule, en: a.rule }),
    },
    { key: 'site', title: T.site, sort: (a) => a.siteName, cell: (a) => a.siteName },
    {
      key: 'kiosk',
      title: T.kiosk,
      sort: (a) => a.kiosk ?? '',
      cell: (a) =>
        a.kiosk
          ? h('a', { class: 'kiosk-link', href: `#/kiosk/${encodeURIComponent(a.kiosk)}` }, a.kiosk)
          : '—',
    },
    { key: 'detail', title: T.detail, sort: (a) => ctx.t(a.detail), cell: (a) => ctx.t(a.detail) },
    {
      key: 'raisedAt',
      title: T.raised,
      sort: (a) => Date.parse(a.raisedAt),
      cell: (a) => h('span', { title: ctx.fmtAgo(a.raisedAt) }, ctx.fmtDateTime(a.raisedAt)),
    },
  ];
  if (withCleared)
    cols.push({
      key: 'clearedAt',
      title: T.cleared,
      sort: (a) => (a.clearedAt ? Date.parse(a.clearedAt) : Number.MAX_SAFE_INTEGER),
      cell: (a) =>
        a.clearedAt ? ctx.fmtDateTime(a.clearedAt) : h('span', { class: 'bad' }, ctx.t(T.ongoing)),
    });
  return cols;
}

const searchText = (ctx) => (a) =>
  `${a.siteName} ${a.site} ${a.kiosk ?? ''} ${a.rule} ${ctx.t(RULE[a.rule] ?? '')} ${a.detail.vi} ${a.detail.en}`;

export const view = {
  id: 'alerts',
  title: T.title,
  roles: ['admin', 'officer', 'site-owner'],
  async render(root, ctx) {
    const { h } = ctx;
    const active = ctx.table({
      id: 'alertsActive',
      empty: T.noneActive,
      columns: columns(ctx, false),
      initialSort: { key: 'severity', dir: 1 },
      rowAttrs: (a) => ({ dataset: { alert: String(a.id) } }),
      search: searchText(ctx),
    });
    const history = ctx.table({
      id: 'alertsHistory',
      empty: T.noneHistory,
      columns: columns(ctx, true),
      initialSort: { key: 'raisedAt', dir: -1 },
      rowAttrs: (a) => ({ dataset: { alert: String(a.id) } }),
      search: searchText(ctx),
    });
    const status = h('span', { class: 'muted', id: 'alertsStatus' });
    const error = h('p', { class: 'error', role: 'alert' });
    active.querySelector('.table-tools')?.append(status);
    root.append(
      h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.active)), error, active),
      h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.history)), history),
    );

    const load = async () => {
      try {
        // Both: the history is the newest 1,000, an alert in force may be older than those.
        const [now, all] = await Promise.all([
          ctx.api('/api/alerts?state=active'),
          ctx.api('/api/alerts?state=all'),
        ]);
        active.update(now);
        history.update(all);
        error.textContent = '';
        status.textContent = `${ctx.t(T.updated)} ${ctx.fmtDateTime(new Date().toISOString())}`;
      } catch (err) {
        if (err.status !== 401) error.textContent = ctx.errorText(err);
      }
    };
    await load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  },
};
