// Cập nhật / Updates: the signed releases the hub serves (GET /api/releases), the staged rollouts with each
// stage's progress (GET /api/rollouts), pause / resume, and a form to start one (POST /api/rollouts). Admins only;
// the hub checks the role and the CSRF token again and audits every change (hub/src/routes/updates.ts).

const T = {
  title: { vi: 'Cập nhật', en: 'Updates' },
  releases: { vi: 'Bản phát hành', en: 'Releases' },
  rollouts: { vi: 'Các đợt triển khai', en: 'Rollouts' },
  start: { vi: 'Bắt đầu triển khai', en: 'Start a rollout' },
  version: { vi: 'Phiên bản', en: 'Version' },
  arch: { vi: 'Kiến trúc', en: 'CPU' },
  added: { vi: 'Thêm lúc', en: 'Added' },
  by: { vi: 'Người thêm', en: 'By' },
  noReleases: {
    vi: 'Chưa có bản phát hành. Thêm bằng: qrkiosk-hub release add --bundle …',
    en: 'No release yet. Add one with: qrkiosk-hub release add --bundle …',
  },
  noRollouts: { vi: 'Chưa có đợt triển khai nào.', en: 'No rollout yet.' },
  canary: { vi: 'Nhóm thử (mã kiosk, cách nhau bằng dấu phẩy)', en: 'Canary (kiosk ids, comma-separated)' },
  after: {
    vi: 'Các giai đoạn sau, mỗi dòng một: site:s-001,district:760 hoặc all',
    en: 'Later stages, one per line: site:s-001,district:760 or all',
  },
  minHealthy: {
    vi: 'Số kiosk khỏe tối thiểu mỗi giai đoạn (để trống: tất cả)',
    en: 'Healthy kiosks needed per stage (empty: all)',
  },
  go: { vi: 'Bắt đầu', en: 'Start' },
  pause: { vi: 'Tạm dừng', en: 'Pause' },
  resume: { vi: 'Tiếp tục', en: 'Resume' },
  refresh: { vi: 'Làm mới', en: 'Refresh' },
  healthy: { vi: 'khỏe', en: 'healthy' },
  failed: { vi: 'lỗi', en: 'failed' },
  waiting: { vi: 'chưa tới lượt', en: 'not yet' },
  inProgress: { vi: 'đang chạy', en: 'in progress' },
  done: { vi: 'xong', en: 'done' },
  started: { vi: 'Bắt đầu lúc', en: 'Started' },
  needVersion: { vi: 'Chọn phiên bản và nhóm thử', en: 'Choose a version and a canary' },
  states: {
    running: { vi: 'đang chạy', en: 'running' },
    paused: { vi: 'tạm dừng', en: 'paused' },
    halted: { vi: 'đã dừng do lỗi', en: 'halted on a failure' },
    done: { vi: 'hoàn tất', en: 'done' },
    cancelled: { vi: 'đã thay thế', en: 'superseded' },
  },
};

/** Badge colour per state (app.css): green moving or finished, amber waiting on someone, red stopped by a failure. */
const STATE_CLASS = { running: 'on', done: 'on', paused: 'warn', halted: 'off', cancelled: 'warn' };

export const view = {
  id: 'updates',
  title: T.title,
  roles: ['admin'],
  render(root, ctx) {
    const { h } = ctx;
    const message = h('p', { class: 'error', id: 'updatesMessage', role: 'alert', hidden: true });
    const say = (text) => {
      message.textContent = text ? ctx.t(text) : '';
      message.hidden = !text;
    };
    const releasesBox = h('div');
    const rolloutsBox = h('div');
    const versionSelect = h('select', { name: 'version', required: true });
    const canaryInput = h('input', { name: 'canary', placeholder: 'k-001,k-002', required: true });
    const afterInput = h('textarea', { name: 'after', rows: 3, placeholder: 'site:s-001,district:760\nall' });
    const minInput = h('input', { name: 'minHealthy', type: 'number', min: 1, step: 1 });

    const act = async (path, body) => {
      say(null);
      try {
        await ctx.api(path, { method: 'POST', body });
        await load();
      } catch (err) {
        say(err.text ?? { vi: String(err.message), en: String(err.message) });
      }
    };

    const stageLine = (r, s, i) => {
      const p = s.progress;
      const where =
        s.doneAt !== null
          ? T.done
          : i === r.stage && r.state !== 'done' && s.publishedAt
            ? T.inProgress
            : T.waiting;
      return h(
        'li',
        {},
        h('strong', {}, s.name),
        ` — ${p.healthy.length}/${p.need} ${ctx.t(T.healthy)}`,
        p.failed.length
          ? h(
              'span',
              { class: 'bad' },
              ` · ${p.failed.length} ${ctx.t(T.failed)}: ${p.failed.map((f) => f.kiosk).join(', ')}`,
            )
          : '',
        ` · ${ctx.t(where)}`,
      );
    };

    const rolloutCard = (r) =>
      h(
        'article',
        { class: 'card rollout', dataset: { rollout: r.id, state: r.state } },
        h(
          'h3',
          {},
          `${r.version} `,
          h(
            'span',
            { class: `badge ${STATE_CLASS[r.state] ?? 'warn'}` },
            ctx.t(T.states[r.state] ?? { vi: r.state, en: r.state }),
          ),
        ),
        h(
          'p',
          { class: 'muted' },
          `${r.id} · ${ctx.t(T.started)} ${ctx.fmtDateTime(r.createdAt)} · ${r.createdBy}`,
        ),
        r.detail ? h('p', { class: r.state === 'halted' ? 'bad' : 'muted' }, r.detail) : null,
        h(
          'ol',
          {},
          r.stages.map((s, i) => stageLine(r, s, i)),
        ),
        r.state === 'running'
          ? h(
              'button',
              { type: 'button', onclick: () => act(`/api/rollouts/${encodeURIComponent(r.id)}/pause`) },
              ctx.t(T.pause),
            )
          : null,
        r.state === 'paused' || r.state === 'halted'
          ? h(
              'button',
              { type: 'button', onclick: () => act(`/api/rollouts/${encodeURIComponent(r.id)}/resume`) },
              ctx.t(T.resume),
            )
          : null,
      );

    async function load() {
      let releases;
      let rollouts;
      try {
        [releases, rollouts] = await Promise.all([ctx.api('/api/releases'), ctx.api('/api/rollouts')]);
      } catch (err) {
        say(err.text);
        return;
      }
      releasesBox.replaceChildren(
        ctx.table({
          columns: [
            { key: 'version', title: T.version, sort: (r) => r.version, cell: (r) => r.version },
            { key: 'arch', title: T.arch, sort: (r) => r.arch, cell: (r) => r.arch },
            {
              key: 'sha256',
              title: { vi: 'SHA-256', en: 'SHA-256' },
              cell: (r) => h('code', { title: r.sha256 }, `${r.sha256.slice(0, 12)}…`),
            },
            {
              key: 'added',
              title: T.added,
              sort: (r) => Date.parse(r.addedAt),
              cell: (r) => ctx.fmtDateTime(r.addedAt),
            },
            { key: 'by', title: T.by, sort: (r) => r.addedBy, cell: (r) => r.addedBy },
          ],
          rows: releases,
          empty: T.noReleases,
        }),
      );
      const versions = [...new Set(releases.map((r) => r.version))];
      const chosen = versionSelect.value;
      versionSelect.replaceChildren(...versions.map((v) => h('option', { value: v }, v)));
      if (versions.includes(chosen)) versionSelect.value = chosen;
      rolloutsBox.replaceChildren(
        ...(rollouts.length ? rollouts.map(rolloutCard) : [h('p', { class: 'empty' }, ctx.t(T.noRollouts))]),
      );
    }

    const form = h(
      'form',
      {
        class: 'card',
        id: 'rolloutForm',
        onsubmit: (e) => {
          e.preventDefault();
          const canary = canaryInput.value
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean);
          if (!versionSelect.value || canary.length === 0) return say(T.needVersion);
          const after = afterInput.value
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean);
          const body = { version: versionSelect.value, canary };
          if (after.length) body.after = after;
          if (minInput.value) body.minHealthy = Number(minInput.value);
          void act('/api/rollouts', body);
        },
      },
      h('h2', {}, ctx.t(T.start)),
      h('label', {}, ctx.t(T.version), ' ', versionSelect),
      h('label', {}, ctx.t(T.canary), ' ', canaryInput),
      h('label', {}, ctx.t(T.after), ' ', afterInput),
      h('label', {}, ctx.t(T.minHealthy), ' ', minInput),
      h('button', { type: 'submit' }, ctx.t(T.go)),
    );

    // The message sits inside the first card: the view's first child is a full-width section, like every view's.
    root.append(
      h(
        'section',
        { class: 'card' },
        h(
          'h2',
          {},
          ctx.t(T.rollouts),
          ' ',
          h('button', { type: 'button', onclick: () => void load() }, ctx.t(T.refresh)),
        ),
        message,
        rolloutsBox,
      ),
      form,
      h('section', { class: 'card' }, h('h2', {}, ctx.t(T.releases)), releasesBox),
    );
    void load();
    // Rollouts move on by themselves: look again while the view is on screen.
    // The shell reuses #app for every view: it calls the returned cleanup when the view is left.
    const timer = setInterval(() => void load(), 10_000);
    return () => clearInterval(timer);
  },
};
