// Kiosk: the fleet table (GET /api/fleet) — every kiosk of the user's scope with its health, sortable
// by every column and searchable; a kiosk's name opens its page (#/kiosk/<id>). Admins also get the
// enrolment form for a new kiosk.
import { enrolCard } from './enrol.js';

export const T = {
  title: { vi: 'Kiosk', en: 'Kiosks' },
  heading: { vi: 'Các kiosk', en: 'Kiosks' },
  site: { vi: 'Địa điểm', en: 'Site' },
  kiosk: { vi: 'Kiosk', en: 'Kiosk' },
  online: { vi: 'Kết nối', en: 'Online' },
  lastSeen: { vi: 'Lần cuối', en: 'Last seen' },
  version: { vi: 'Phiên bản', en: 'Version' },
  cache: { vi: 'Dữ liệu', en: 'Cache' },
  rules: { vi: 'Quy tắc', en: 'Rules' },
  trust: { vi: 'Khóa tin cậy', en: 'Trust' },
  clock: { vi: 'Đồng hồ', en: 'Clock' },
  scanner: { vi: 'Máy quét', en: 'Scanner' },
  outbox: { vi: 'Chờ gửi', en: 'Outbox' },
  disk: { vi: 'Ổ đĩa', en: 'Disk' },
  alerts: { vi: 'Cảnh báo', en: 'Alerts' },
  fresh: { vi: 'Độ mới dữ liệu', en: 'Data age' },
  withinLimits: { vi: 'trong giới hạn', en: 'within limits' },
  tooOld: { vi: 'quá cũ', en: 'too old' },
  freshSent: { vi: 'Tuyên bố độ mới gửi lúc', en: 'Freshness statement sent at' },
  yes: { vi: 'trực tuyến', en: 'online' },
  no: { vi: 'mất kết nối', en: 'offline' },
  retired: { vi: 'đã thu hồi', en: 'revoked' },
  synced: { vi: 'đúng', en: 'synced' },
  unsynced: { vi: 'chưa đồng bộ', en: 'not synced' },
  connected: { vi: 'có', en: 'connected' },
  lost: { vi: 'mất', en: 'lost' },
  none: { vi: 'Chưa có kiosk nào trong phạm vi của bạn.', en: 'No kiosks in your scope yet.' },
  all: { vi: 'Tất cả', en: 'All' },
  onlyOnline: { vi: 'Đang trực tuyến', en: 'Online only' },
  onlyOffline: { vi: 'Mất kết nối', en: 'Offline only' },
  withAlerts: { vi: 'Có cảnh báo', en: 'With alerts' },
  show: { vi: 'Hiện', en: 'Show' },
  updated: { vi: 'Cập nhật lúc', en: 'Updated at' },
};

/** The cells of one fleet row (shared with the kiosk page's summary). */
export function fleetCells(ctx) {
  const { h } = ctx;
  const dash = '—';
  const age = (s) => (s === null || s === undefined ? dash : ctx.fmtDuration(s));
  const flag = (v, ok, bad) =>
    v === null || v === undefined ? dash : h('span', { class: v ? null : 'bad' }, ctx.t(v ? ok : bad));
  return [
    { key: 'site', title: T.site, sort: (k) => k.siteName, cell: (k) => k.siteName },
    {
      key: 'kiosk',
      title: T.kiosk,
      sort: (k) => k.kiosk,
      cell: (k) => h('a', { class: 'kiosk-link', href: `#/kiosk/${encodeURIComponent(k.kiosk)}` }, k.kiosk),
    },
    {
      key: 'online',
      title: T.online,
      sort: (k) => k.online,
      // A revoked kiosk (state `retired`) is neither: it is kept for its history only.
      cell: (k) =>
        k.retired
          ? h('span', { class: 'badge warn' }, ctx.t(T.retired))
          : h('span', { class: `badge ${k.online ? 'on' : 'off'}` }, ctx.t(k.online ? T.yes : T.no)),
    },
    {
      key: 'lastSeen',
      title: T.lastSeen,
      sort: (k) => (k.lastSeen ? Date.parse(k.lastSeen) : null),
      cell: (k) => h('span', { title: ctx.fmtDateTime(k.lastSeen) }, ctx.fmtAgo(k.lastSeen)),
    },
    {
      key: 'software',
      title: T.version,
      sort: (k) => k.software,
      cell: (k) => {
        // The installer's last state (gateway/src/software/state.ts), said in the page's language.
        const state = k.update?.state;
        const said =
          state && state !== 'idle' ? (UPDATE_STATES[state] ? ctx.t(UPDATE_STATES[state]) : state) : '';
        const target = k.update?.version && k.update.version !== k.software ? ` → ${k.update.version}` : '';
        return [k.software ?? dash, said ? ` (${said}${target})` : ''].join('');
      },
    },
    {
      key: 'cache',
      title: T.cache,
      class: 'num',
      sort: (k) => k.cacheAgeSeconds,
      cell: (k) => age(k.cacheAgeSeconds),
    },
    {
      key: 'rules',
      title: T.rules,
      class: 'num',
      sort: (k) => k.rulesAgeSeconds,
      cell: (k) => age(k.rulesAgeSeconds),
    },
    {
      key: 'trust',
      title: T.trust,
      class: 'num',
      sort: (k) => k.trustAgeSeconds,
      cell: (k) => age(k.trustAgeSeconds),
    },
    {
      // Issue #19: a kind past its limit makes every ALLOW there a REVIEW; named in red.
      key: 'fresh',
      title: T.fresh,
      sort: (k) => (k.freshness ? (k.stale?.length ?? 0) : null),
      cell: (k) =>
        !k.freshness
          ? dash
          : k.stale?.length
            ? h(
                'span',
                { class: 'bad stale' },
                `${ctx.t(T.tooOld)}: ${k.stale.map((kind) => ctx.t(SHORT_KINDS[kind] ?? { vi: kind, en: kind })).join(', ')}`,
              )
            : ctx.t(T.withinLimits),
    },
    {
      key: 'clock',
      title: T.clock,
      sort: (k) => k.clockSynced,
      cell: (k) => flag(k.clockSynced, T.synced, T.unsynced),
    },
    {
      key: 'scanner',
      title: T.scanner,
      sort: (k) => k.scannerConnected,
      cell: (k) => flag(k.scannerConnected, T.connected, T.lost),
    },
    {
      key: 'outbox',
      title: T.outbox,
      class: 'num',
      sort: (k) => k.outboxDepth,
      cell: (k) =>
        k.outboxDepth === null || k.outboxDepth === undefined
          ? dash
          : h(
              'span',
              { title: k.outboxOldestAt ? ctx.fmtDateTime(k.outboxOldestAt) : '' },
              String(k.outboxDepth),
            ),
    },
    {
      key: 'disk',
      title: T.disk,
      class: 'num',
      sort: (k) => k.diskUsedPercent,
      cell: (k) =>
        k.diskUsedPercent === null || k.diskUsedPercent === undefined
          ? dash
          : `${Math.round(k.diskUsedPercent)} %`,
    },
    {
      key: 'alerts',
      title: T.alerts,
      class: 'num',
      sort: (k) => k.alerts,
      cell: (k) => (k.alerts ? h('span', { class: 'bad' }, String(k.alerts)) : '0'),
    },
  ];
}

/** The data kinds a kiosk's freshness block names (protocol DATA_KINDS). */
export const DATA_KINDS = {
  facts: { vi: 'dữ liệu tiêm chủng/xét nghiệm', en: 'facts cache' },
  rules: { vi: 'quy tắc', en: 'rules' },
  trust: { vi: 'danh sách tin cậy DCC', en: 'DCC trust list' },
  revocation: { vi: 'danh sách thu hồi DCC', en: 'DCC revocation list' },
  passes: { vi: 'danh sách thẻ QR in', en: 'printed pass list' },
};

/** The same, short, as the table's own columns name them (the kiosk's page gives the full names). */
const SHORT_KINDS = {
  facts: { vi: 'dữ liệu', en: 'cache' },
  rules: { vi: 'quy tắc', en: 'rules' },
  trust: { vi: 'khóa tin cậy', en: 'trust' },
  revocation: { vi: 'thu hồi', en: 'revocation' },
  passes: { vi: 'thẻ QR', en: 'passes' },
};

/**
 * The hub's own side (GET /api/fleet/freshness): without a signing key, or failing, it says why kiosks will go
 * stale; otherwise when it last told them their data is current.
 */
export async function freshnessBanner(ctx) {
  const { h } = ctx;
  let status = null;
  try {
    status = (await ctx.api('/api/fleet/freshness')).status;
  } catch {
    return null;
  }
  if (!status) return null;
  if (status.problem)
    return h('p', { class: 'error', role: 'alert', id: 'freshBanner' }, ctx.t(status.problem));
  return h(
    'p',
    { class: 'muted', id: 'freshBanner' },
    `${ctx.t(T.freshSent)} ${status.lastIssuedAt ? ctx.fmtDateTime(status.lastIssuedAt) : '—'}`,
  );
}

/** Software update states a kiosk reports (telemetry `update.state`). */
const UPDATE_STATES = {
  installing: { vi: 'đang cài', en: 'installing' },
  checking: { vi: 'đang kiểm tra', en: 'checking' },
  healthy: { vi: 'đã cập nhật', en: 'updated' },
  'rolled-back': { vi: 'đã quay lại bản cũ', en: 'rolled back' },
  failed: { vi: 'cập nhật lỗi', en: 'update failed' },
  refused: { vi: 'từ chối gói cập nhật', en: 'bundle refused' },
  'download-failed': { vi: 'tải gói lỗi', en: 'download failed' },
  'no-bundle': { vi: 'không có gói cho CPU này', en: 'no bundle for this CPU' },
};

const FILTERS = {
  all: () => true,
  online: (k) => k.online,
  offline: (k) => !k.online && !k.retired,
  alerts: (k) => k.alerts > 0,
};

export const view = {
  id: 'kiosks',
  title: T.title,
  roles: 'any',
  async render(root, ctx) {
    const { h } = ctx;
    let rows = [];
    let filter = 'all';
    const fleet = ctx.table({
      id: 'fleet',
      empty: T.none,
      columns: fleetCells(ctx),
      initialSort: { key: 'site', dir: 1 },
      rowAttrs: (k) => ({ dataset: { kiosk: k.kiosk } }),
      search: (k) => `${k.siteName} ${k.site} ${k.kiosk} ${k.software ?? ''}`,
    });
    const choose = h(
      'select',
      {
        id: 'fleetFilter',
        'aria-label': ctx.t(T.show),
        onchange: (e) => {
          filter = e.target.value;
          fleet.update(rows.filter(FILTERS[filter]));
        },
      },
      ['all', 'online', 'offline', 'alerts'].map((f) =>
        h(
          'option',
          { value: f },
          ctx.t({ all: T.all, online: T.onlyOnline, offline: T.onlyOffline, alerts: T.withAlerts }[f]),
        ),
      ),
    );
    const status = h('span', { class: 'muted', id: 'fleetStatus' });
    const error = h('p', { class: 'error', role: 'alert' });
    fleet.querySelector('.table-tools')?.append(choose, status);
    const banner = await freshnessBanner(ctx);
    root.append(h('section', { class: 'card fill' }, h('h2', {}, ctx.t(T.heading)), banner, error, fleet));
    if (ctx.can(['admin'])) root.append(enrolCard(ctx));

    const load = async () => {
      try {
        rows = await ctx.api('/api/fleet');
        error.textContent = '';
        status.textContent = `${ctx.t(T.updated)} ${ctx.fmtDateTime(new Date().toISOString())}`;
      } catch (err) {
        if (err.status !== 401) error.textContent = ctx.errorText(err);
      }
      fleet.update(rows.filter(FILTERS[filter]));
    };
    await load();
    // Telemetry arrives about once a minute per kiosk: with 500 kiosks that is several a second, so
    // the table is reloaded at most every 10 s rather than on each message.
    let due = null;
    const stop = ctx.feed.listen((m) => {
      if ((m.type === 'telemetry' || m.type === 'kiosk') && !due)
        due = setTimeout(() => {
          due = null;
          load();
        }, 10_000);
    });
    const timer = setInterval(load, 30_000);
    return () => {
      stop();
      clearTimeout(due);
      clearInterval(timer);
    };
  },
};
