// The context every view gets (docs/architecture.md, "The hub's page"): language, user, the API
// with its errors in both languages, formatting in Vietnam's conventions, elements and tables.
import { h } from './dom.js';
import { fmtAgo, fmtDate, fmtDateTime, fmtDuration, parseDayInput } from './fmt.js';
import { table } from './table.js';

/**
 * An API call that failed: its HTTP status (0: no answer), what to show in both languages, and
 * whether the hub said it (`fromHub`; false: the page's own words for a bare status or no answer).
 */
export class ApiError extends Error {
  constructor(status, text, fromHub = false) {
    super(text.en);
    this.status = status;
    this.text = text;
    this.fromHub = fromHub;
  }
}

/** How long a call may take before the page gives up on it (a kiosk command waits for the kiosk). */
const API_TIMEOUT_MS = 45_000;

/** What a status without a hub message means, in both languages. */
export function statusText(status) {
  if (status === 404) return { vi: 'Không tìm thấy (404)', en: 'Not found (404)' };
  if (status === 403) return { vi: 'Bạn không có quyền làm việc này', en: 'Not allowed for your role' };
  if (status === 429)
    return { vi: 'Quá nhiều yêu cầu; hãy thử lại sau', en: 'Too many requests; try again later' };
  if (status === 502 || status === 503 || status === 504)
    return {
      vi: `Hub tạm thời không trả lời (${status})`,
      en: `The hub is not answering for now (${status})`,
    };
  return { vi: `Lỗi máy chủ (${status})`, en: `Server error (${status})` };
}

/**
 * The one ctx object (the app keeps it and sets lang, user, csrf, sites). `onSessionEnd(text)` puts
 * the page back to the login form with that message; a 401 from any call does it.
 */
export function createCtx({ onSessionEnd, navigate }) {
  const ctx = {
    lang: 'vi',
    user: null,
    csrf: '',
    /** site id → { site, name, district, ward } from /api/sites */
    sites: new Map(),
    t: (text) => (text == null ? '' : typeof text === 'string' ? text : (text[ctx.lang] ?? text.vi ?? '')),
    h,
    fmtDate,
    fmtDateTime: (iso) => fmtDateTime(iso),
    fmtAgo: (iso) => fmtAgo(iso, ctx.lang),
    fmtDuration: (seconds) => fmtDuration(seconds, ctx.lang),
    parseDayInput,
    siteName: (site) => ctx.sites.get(site)?.name || site,
    navigate,
    table: (options) => table(ctx, options),
    /** A role check for showing or hiding a control (the hub checks again; this only spares a 403). */
    can: (roles) => roles === 'any' || ctx.user?.role === 'admin' || roles.includes(ctx.user?.role),
    async api(path, { method = 'GET', body } = {}) {
      const init = { method, headers: {}, signal: AbortSignal.timeout(API_TIMEOUT_MS) };
      if (method !== 'GET') {
        init.headers['x-csrf-token'] = ctx.csrf;
        if (body !== undefined) {
          init.headers['content-type'] = 'application/json';
          init.body = JSON.stringify(body);
        }
      }
      let r;
      try {
        r = await fetch(path, init);
      } catch (err) {
        throw err?.name === 'TimeoutError'
          ? new ApiError(0, { vi: 'Hết thời gian chờ trả lời', en: 'No answer in time (timeout)' })
          : new ApiError(0, { vi: 'Không kết nối được tới hub', en: 'Cannot reach the hub' });
      }
      const json = r.headers.get('content-type')?.includes('json') ? await r.json().catch(() => null) : null;
      if (r.status === 401) {
        const text = {
          vi: 'Phiên đăng nhập đã hết. Hãy đăng nhập lại.',
          en: 'Your session has ended. Please log in again.',
        };
        onSessionEnd(text);
        throw new ApiError(401, text);
      }
      if (!r.ok) {
        const e = json?.error;
        const said = e && typeof e === 'object' && typeof e.vi === 'string';
        throw new ApiError(r.status, said ? e : statusText(r.status), said);
      }
      return json;
    },
    /** An error (ApiError or any other) as a sentence in the UI language. */
    errorText(err) {
      if (err instanceof ApiError) return ctx.t(err.text);
      return ctx.t({
        vi: `Lỗi trên trang: ${err?.message ?? err}`,
        en: `Page error: ${err?.message ?? err}`,
      });
    },
  };
  return ctx;
}
