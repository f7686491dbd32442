// Lắp kiosk mới (admin): an enrolment code for a new kiosk, as `qrkiosk-hub kiosk add` makes it. The
// hub answers with the code and its QR as SVG (made by the hub), inserted as parsed SVG nodes.
const T = {
  enrol: { vi: 'Lắp kiosk mới', en: 'Enrol a kiosk' },
  site: { vi: 'Mã địa điểm', en: 'Site code' },
  kiosk: { vi: 'Mã kiosk', en: 'Kiosk code' },
  in: { vi: 'vào', en: 'in' },
  out: { vi: 'ra', en: 'out' },
  button: { vi: 'Tạo mã', en: 'Make code' },
  hint: {
    vi: 'Quét mã này bằng máy quét của kiosk (dùng một lần), hết hạn',
    en: 'Scan this with the kiosk’s scanner (works once); expires',
  },
};

export function enrolCard(ctx) {
  const { h } = ctx;
  const code = { pattern: '[a-z0-9][a-z0-9_-]{0,63}', autocomplete: 'off', required: true };
  const site = h('input', { id: 'enrolSite', placeholder: 's-001', 'aria-label': ctx.t(T.site), ...code });
  const kiosk = h('input', { id: 'enrolKiosk', placeholder: 'k-001', 'aria-label': ctx.t(T.kiosk), ...code });
  const direction = h(
    'select',
    { id: 'enrolDirection' },
    h('option', { value: 'in' }, ctx.t(T.in)),
    h('option', { value: 'out' }, ctx.t(T.out)),
  );
  const result = h('div', { id: 'enrolResult' });
  const form = h(
    'form',
    {
      id: 'enrolForm',
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        result.replaceChildren();
        try {
          const r = await ctx.api('/api/kiosk-codes', {
            method: 'POST',
            body: { site: site.value, kiosk: kiosk.value, direction: direction.value },
          });
          const svg = new DOMParser().parseFromString(r.svg, 'image/svg+xml').documentElement;
          result.append(
            h('div', { id: 'enrolQr', class: 'qr' }, document.importNode(svg, true)),
            h('p', {}, `${ctx.t(T.hint)} ${ctx.fmtDateTime(r.expiresAt)}`),
            h('code', { id: 'enrolCode', class: 'wrap' }, r.code),
          );
        } catch (err) {
          if (err.status !== 401) result.append(h('p', { class: 'error' }, ctx.errorText(err)));
        }
      },
    },
    site,
    kiosk,
    direction,
    h('button', { type: 'submit' }, ctx.t(T.button)),
  );
  return h('section', { class: 'card', id: 'enrolBox' }, h('h2', {}, ctx.t(T.enrol)), form, result);
}
