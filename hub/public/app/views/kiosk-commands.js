// A kiosk's command buttons and command history (the endpoints are the fleet engineer's:
// POST/GET /api/kiosks/:kiosk/commands). Buttons show only for roles the hub allows (it checks
// again); every refusal, timeout or missing endpoint is shown as a sentence in the UI language.
const T = {
  commands: { vi: 'Lệnh tới kiosk', en: 'Commands to the kiosk' },
  selftest: { vi: 'Tự kiểm tra', en: 'Self-test' },
  resync: { vi: 'Đồng bộ lại dữ liệu', en: 'Resync data' },
  doctor: { vi: 'Chạy chẩn đoán', en: 'Run doctor' },
  'alert-level': { vi: 'Đổi cấp độ dịch', en: 'Change alert level' },
  'rotate-credentials': { vi: 'Đổi khóa đăng nhập', en: 'Rotate credentials' },
  'revoke-enrolment': { vi: 'Thu hồi đăng ký kiosk', en: 'Revoke enrolment' },
  'clear-tightening': {
    vi: 'Bỏ siết chặt từ xa (về quy tắc đã ký)',
    en: 'Clear remote tightening (back to the signed rules)',
  },
  level: { vi: 'Cấp độ dịch', en: 'Epidemic alert level' },
  sending: { vi: 'Đang gửi lệnh, chờ kiosk trả lời…', en: 'Sending, waiting for the kiosk…' },
  done: { vi: 'Kiosk đã làm xong', en: 'The kiosk did it' },
  refused: { vi: 'Kiosk từ chối', en: 'The kiosk refused' },
  status: { vi: 'kết quả', en: 'status' },
  sure: {
    vi: 'Việc này không hoàn tác được. Tiếp tục?',
    en: 'This cannot be undone. Go ahead?',
  },
  history: { vi: 'Lịch sử lệnh', en: 'Command history' },
  noHistory: { vi: 'Chưa có lệnh nào.', en: 'No commands yet.' },
  notYet: { vi: 'Hub này chưa hỗ trợ lệnh tới kiosk.', en: 'This hub does not support kiosk commands yet.' },
  at: { vi: 'Lúc', en: 'At' },
  actor: { vi: 'Người gửi', en: 'By' },
  command: { vi: 'Lệnh', en: 'Command' },
  result: { vi: 'Kết quả', en: 'Result' },
  ok: { vi: 'xong', en: 'done' },
  failed: { vi: 'lỗi', en: 'failed' },
};
/** Vietnam's epidemic alert levels (Nghị quyết 128/NQ-CP): the kiosk's rules.level, 1–4. */
const LEVELS = [
  { vi: 'Cấp 1 — xanh', en: 'Level 1 — green' },
  { vi: 'Cấp 2 — vàng', en: 'Level 2 — yellow' },
  { vi: 'Cấp 3 — cam', en: 'Level 3 — orange' },
  { vi: 'Cấp 4 — đỏ', en: 'Level 4 — red' },
];
const BUTTONS = [
  { command: 'selftest', roles: ['admin', 'officer'] },
  { command: 'resync', roles: ['admin', 'officer'] },
  { command: 'doctor', roles: ['admin', 'officer'] },
  { command: 'alert-level', roles: ['admin', 'officer'] },
  { command: 'rotate-credentials', roles: ['admin'], confirm: true },
  { command: 'revoke-enrolment', roles: ['admin'], confirm: true },
  // The one command that makes a kiosk less strict: an admin's, confirmed, audited by the hub.
  { command: 'clear-tightening', roles: ['admin'], confirm: true },
];

/** The hub words a kiosk's refusal itself ({vi, en}, "Kiosk từ chối: …"); a bare one gets that prefix. */
const refusal = (ctx, error) =>
  error && typeof error === 'object' ? ctx.t(error) : `${ctx.t(T.refused)}: ${textOf(error) || '—'}`;

/** A kiosk's result in a line: a doctor report by its status, anything else as short JSON. */
function textOf(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof v.status === 'string' && ('checks' in v || 'at' in v)) return v.status;
  const json = JSON.stringify(v);
  return json.length > 160 ? `${json.slice(0, 160)}…` : json;
}

/** The commands card; `onDone(command)` after a command the kiosk answered (to reload the doctor). */
export function commandsCard(ctx, kiosk, onDone) {
  const { h } = ctx;
  const path = `/api/kiosks/${encodeURIComponent(kiosk)}/commands`;
  const out = h('p', { id: 'commandResult', role: 'status' });
  const level = h(
    'select',
    { id: 'alertLevel', 'aria-label': ctx.t(T.level) },
    LEVELS.map((l, i) => h('option', { value: String(i + 1) }, ctx.t(l))),
  );
  const historyBox = h('div', { id: 'commandHistory' });
  const buttons = [];
  async function send(b) {
    if (b.confirm && !window.confirm(`${ctx.t(T[b.command])}: ${ctx.t(T.sure)}`)) return;
    for (const x of buttons) x.disabled = true;
    out.className = 'muted';
    out.textContent = ctx.t(T.sending);
    try {
      const body = {
        command: b.command,
        ...(b.command === 'alert-level' ? { level: Number(level.value) } : {}),
      };
      const r = await ctx.api(path, { method: 'POST', body });
      out.className = r?.ok === false ? 'error' : 'ok';
      out.textContent =
        r?.ok === false
          ? refusal(ctx, r.error)
          : `${ctx.t(T.done)}: ${ctx.t(T[b.command])}${r?.result ? ` — ${textOf(r.result)}` : ''}`;
      onDone?.(b.command);
    } catch (err) {
      if (err.status === 401) return;
      out.className = 'error';
      out.textContent = err.status === 404 && !err.fromHub ? ctx.t(T.notYet) : ctx.errorText(err);
    } finally {
      for (const x of buttons) x.disabled = false;
      loadHistory();
    }
  }
  const row = h('div', { class: 'actions' });
  for (const b of BUTTONS) {
    if (!ctx.can(b.roles)) continue;
    const button = h(
      'button',
      { type: 'button', dataset: { command: b.command }, onclick: () => send(b) },
      ctx.t(T[b.command]),
    );
    buttons.push(button);
    if (b.command === 'alert-level') row.append(h('span', { class: 'inline' }, level, button));
    else row.append(button);
  }
  async function loadHistory() {
    try {
      const rows = await ctx.api(path);
      historyBox.replaceChildren(
        ctx.table({
          id: 'commands',
          empty: T.noHistory,
          rows,
          initialSort: { key: 'at', dir: -1 },
          columns: [
            { key: 'at', title: T.at, sort: (c) => Date.parse(c.at), cell: (c) => ctx.fmtDateTime(c.at) },
            { key: 'actor', title: T.actor, cell: (c) => c.actor },
            {
              key: 'command',
              title: T.command,
              cell: (c) => (T[c.command] ? ctx.t(T[c.command]) : c.command),
            },
            {
              key: 'ok',
              title: T.result,
              sort: (c) => c.ok,
              cell: (c) =>
                h(
                  'span',
                  { class: c.ok ? null : 'bad' },
                  `${ctx.t(c.ok ? T.ok : T.failed)} ${c.ok ? textOf(c.result) : ctx.t(c.error) || textOf(c.error)}`,
                ),
            },
          ],
        }),
      );
    } catch (err) {
      if (err.status === 401) return;
      historyBox.replaceChildren(
        h('p', { class: 'empty' }, err.status === 404 && !err.fromHub ? ctx.t(T.notYet) : ctx.errorText(err)),
      );
    }
  }
  loadHistory();
  const card = h('section', { class: 'card', id: 'commandsBox' }, h('h2', {}, ctx.t(T.commands)));
  if (buttons.length) card.append(row, out);
  card.append(h('h3', {}, ctx.t(T.history)), historyBox);
  return card;
}
