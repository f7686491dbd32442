// A trace's exports: the CSV file and the printable F1 list (POST /api/trace, format csv | print).
// Both run the trace again on the hub (each export is audited there) with the same body, the tracing
// key included when the officer revealed: the key travels in the body, never in a URL.
//
// Why the print document is rebuilt in a window rather than opened by URL: it is the answer to a
// JSON POST with the CSRF header (and perhaps the key), which no link or form can send; and the
// page's CSP (style-src 'self', routes/page.ts) reaches every document that inherits it — an
// about:blank window, a blob: URL or an iframe's srcdoc all inherit it, so the document's own
// <style> is refused there (seen in Chromium). Its rules go in through the CSSOM instead
// (a constructed style sheet), which that policy does not govern; its scripts, if any, are dropped.
import { ApiError, statusText } from '../ctx.js';

const T = {
  preparing: { vi: 'Đang chuẩn bị danh sách…', en: 'Preparing the list…' },
  blocked: {
    vi: 'Trình duyệt đã chặn cửa sổ in: hãy cho phép cửa sổ bật lên cho trang này rồi bấm lại.',
    en: 'The browser blocked the print window: allow pop-ups for this page and click again.',
  },
};

/** The trace again in another format; the Response when the hub said yes, else an ApiError. */
async function post(ctx, query, format) {
  let r;
  try {
    r = await fetch('/api/trace', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': ctx.csrf },
      body: JSON.stringify({ ...query, format }),
    });
  } catch {
    throw new ApiError(0, { vi: 'Không kết nối được tới hub', en: 'Cannot reach the hub' });
  }
  if (r.ok) return r;
  // A 401 goes back to the login form as every call does (through a GET that audits nothing; never
  // the trace again: each trace is audited). Any other refusal: the hub's own words in this answer.
  if (r.status === 401) await ctx.api('/api/me');
  const body = await r.json().catch(() => null);
  throw body?.error?.vi
    ? new ApiError(r.status, body.error, true)
    : new ApiError(r.status, statusText(r.status));
}

/** Downloads the trace as CSV (one row per person and contact, as the hub writes it). */
export async function traceCsv(ctx, query) {
  const r = await post(ctx, query, 'csv');
  const name = (query.case ?? `${query.from}-${query.to}`).replace(/[^\w.-]+/g, '_');
  const a = ctx.h('a', { href: URL.createObjectURL(await r.blob()), download: `qrkiosk-trace-${name}.csv` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

/**
 * Fills the window `w` (opened by the click, same origin, about:blank) with the hub's printable F1
 * list and opens the print dialog. The window is closed again when the hub refuses.
 */
export async function printTrace(ctx, query, w) {
  if (!w) throw new ApiError(0, T.blocked);
  w.document.title = 'qrkiosk';
  w.document.body.textContent = ctx.t(T.preparing);
  let html;
  try {
    html = await (await post(ctx, query, 'print')).text();
  } catch (err) {
    w.close();
    throw err;
  }
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const css = [...doc.querySelectorAll('style')].map((s) => s.textContent).join('\n');
  for (const el of doc.querySelectorAll('script, style, link, meta, base, iframe, object, embed'))
    el.remove();
  // Style attributes are inline style too: moved into the CSSOM, which the policy allows.
  const styled = [...doc.querySelectorAll('[style]')].map((el) => [el, el.getAttribute('style')]);
  for (const [el] of styled) el.removeAttribute('style');
  const root = w.document.importNode(doc.documentElement, true);
  w.document.replaceChild(root, w.document.documentElement);
  for (const [el, style] of styled) {
    const path = pathOf(doc.documentElement, el);
    const twin = path.reduce((node, i) => node?.children[i], root);
    if (twin) twin.style.cssText = style;
  }
  const sheet = new w.CSSStyleSheet();
  sheet.replaceSync(css);
  w.document.adoptedStyleSheets = [sheet];
  w.focus();
  w.print();
}

/** The child indices from `root` down to `el` (to find its copy in the imported tree). */
function pathOf(root, el) {
  const path = [];
  for (let n = el; n && n !== root; n = n.parentElement)
    path.unshift([...n.parentElement.children].indexOf(n));
  return path;
}
