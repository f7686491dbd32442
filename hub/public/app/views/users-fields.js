// Form layout shared by the users view's cards.

/**
 * A label and its field kept on one line when the form wraps (set through the CSSOM, which the
 * page's CSP allows; no style attribute is written as text).
 */
export function pair(ctx, ...children) {
  const el = ctx.h('span', { class: 'field' }, ...children);
  Object.assign(el.style, {
    display: 'inline-flex',
    alignItems: 'center',
    gap: '0.4rem',
    whiteSpace: 'nowrap',
  });
  return el;
}
