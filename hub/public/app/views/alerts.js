// Placeholder until its owner (issue #17, branch i17-alerts) writes this view against ctx (../ctx.js).
export const view = {
  id: 'alerts',
  title: { vi: 'Cảnh báo', en: 'Alerts' },
  roles: ['admin', 'officer', 'site-owner'],
  render(root, ctx) {
    root.append(
      ctx.h(
        'section',
        { class: 'card' },
        ctx.h('h2', {}, ctx.t(view.title)),
        ctx.h('p', { class: 'empty' }, ctx.t({ vi: 'Đang làm — sắp có.', en: 'Coming soon.' })),
      ),
    );
  },
};
