// The page's shell: login, tabs (one per view module, views/index.js), the hash router, the
// language toggle and the live feed. Views render into <main>; a view's render may return a
// function that is called when the view is left (to stop listening or polling).
import { createCtx } from './ctx.js';
import { createFeed } from './live-feed.js';
import { mountPasswordReset } from './password-reset.js';
import { installValidityMessages } from './validity.js';
import { ROUTES, VIEWS } from './views/index.js';

const TEXT = {
  title: { vi: 'qrkiosk — Trung tâm y tế', en: 'qrkiosk — Health office' },
  nav: { vi: 'Các trang', en: 'Pages' },
  logout: { vi: 'Đăng xuất', en: 'Log out' },
  other: { vi: 'English', en: 'Tiếng Việt' },
  loginTitle: { vi: 'Đăng nhập', en: 'Log in' },
  phone: { vi: 'Số điện thoại', en: 'Phone number' },
  password: { vi: 'Mật khẩu', en: 'Password' },
  loginButton: { vi: 'Đăng nhập', en: 'Log in' },
  badLogin: { vi: 'Sai số điện thoại hoặc mật khẩu', en: 'Wrong phone number or password' },
  tooMany: {
    vi: 'Quá nhiều lần đăng nhập; hãy đợi một phút rồi thử lại.',
    en: 'Too many logins; wait a minute and try again.',
  },
  noHub: { vi: 'Không kết nối được tới hub; hãy thử lại.', en: 'Cannot reach the hub; try again.' },
  loggedOut: { vi: 'Bạn đã đăng xuất.', en: 'You have logged out.' },
  loginRequired: { vi: 'Hãy đăng nhập để mở trang này.', en: 'Log in to open this page.' },
  connecting: { vi: 'Đang kết nối…', en: 'Connecting…' },
  connected: { vi: '● Đang nhận dữ liệu', en: '● Receiving' },
  disconnected: { vi: '● Mất kết nối, đang thử lại…', en: '● Disconnected, retrying…' },
  off: { vi: '', en: '' },
  ended: {
    vi: 'Phiên đăng nhập đã hết. Hãy đăng nhập lại.',
    en: 'Your session has ended. Please log in again.',
  },
  viewFailed: { vi: 'Không mở được trang này', en: 'This page could not be opened' },
};
const ROLE = {
  admin: { vi: 'quản trị', en: 'admin' },
  officer: { vi: 'cán bộ', en: 'officer' },
  'site-owner': { vi: 'chủ địa điểm', en: 'site owner' },
  tracer: { vi: 'truy vết', en: 'tracer' },
};
const $ = (id) => document.getElementById(id);

let connState = 'off';
let loginNotice = null;
let leave = null;
let rendering = 0;

const ctx = createCtx({
  onSessionEnd: (text) => showLogin(text),
  navigate: (hash) => {
    location.hash = hash;
  },
});
ctx.lang = localStorage.getItem('qrkiosk.lang') === 'en' ? 'en' : 'vi';
const feed = createFeed({
  onState: (s) => {
    connState = s;
    $('conn').textContent = ctx.t(TEXT[s]);
  },
  onSessionEnd: () => showLogin(TEXT.ended),
});
ctx.feed = feed;
installValidityMessages(ctx);

const allowed = (v) => ctx.can(v.roles);

function shellText() {
  document.documentElement.lang = ctx.lang;
  document.title = ctx.t(TEXT.title);
  for (const id of ['logout', 'loginTitle', 'loginButton']) $(id).textContent = ctx.t(TEXT[id]);
  $('title').title = ctx.t(TEXT.title);
  $('phoneLabel').textContent = ctx.t(TEXT.phone);
  $('passwordLabel').textContent = ctx.t(TEXT.password);
  $('lang').textContent = ctx.t(TEXT.other);
  $('lang').lang = ctx.lang === 'vi' ? 'en' : 'vi';
  $('tabs').setAttribute('aria-label', ctx.t(TEXT.nav));
  $('conn').textContent = ctx.t(TEXT[connState]);
  $('loginNotice').textContent = ctx.t(loginNotice);
  $('loginNotice').hidden = !loginNotice;
  if (ctx.user) $('who').textContent = `${ctx.user.phone} (${ctx.t(ROLE[ctx.user.role])})`;
}

function drawTabs() {
  const { id } = current();
  $('tabs').replaceChildren(
    ...VIEWS.filter(allowed).map((v) =>
      ctx.h(
        'a',
        {
          href: `#/${v.id}`,
          dataset: { view: v.id },
          'aria-current': v.id === id || v.tabOf?.includes(id) ? 'page' : null,
        },
        ctx.t(v.title),
      ),
    ),
  );
  // The kiosk page belongs to the Kiosk tab.
  if (id === 'kiosk') $('tabs').querySelector('[data-view="kiosks"]')?.setAttribute('aria-current', 'page');
}

/** The route of the hash: `#/<id>` or `#/<id>/<param>` (the param may hold '/', decoded). */
function current() {
  const m = /^#\/([a-z-]+)(?:\/(.*))?$/.exec(location.hash);
  return { id: m?.[1] ?? '', param: m?.[2] === undefined ? undefined : decodeURIComponent(m[2]) };
}

async function route() {
  if (!ctx.user) return;
  const { id, param } = current();
  const view = [...VIEWS, ...ROUTES].find((v) => v.id === id && allowed(v));
  if (!view) {
    const first = VIEWS.find(allowed);
    if (first) location.replace(`#/${first.id}`);
    return;
  }
  drawTabs();
  const mine = ++rendering;
  try {
    leave?.();
  } catch (err) {
    console.error(err);
  }
  leave = null;
  const root = $('app');
  root.replaceChildren();
  root.dataset.view = view.id;
  try {
    const done = await view.render(root, ctx, param);
    if (mine !== rendering) done?.();
    else leave = typeof done === 'function' ? done : null;
  } catch (err) {
    if (mine !== rendering || err?.status === 401) return;
    console.error(err);
    root.replaceChildren(
      ctx.h(
        'section',
        { class: 'card' },
        ctx.h('h2', {}, ctx.t(TEXT.viewFailed)),
        ctx.h('p', { class: 'error' }, ctx.errorText(err)),
      ),
    );
  }
}

/** Back to the login form (session ended, logged out, never logged in), with a message or none. */
function showLogin(notice = null) {
  feed.stop();
  rendering++;
  try {
    leave?.();
  } catch (err) {
    console.error(err);
  }
  leave = null;
  ctx.user = null;
  ctx.csrf = '';
  loginNotice = notice;
  $('app').replaceChildren();
  $('app').hidden = true;
  $('tabs').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login').hidden = false;
  $('loginError').textContent = '';
  shellText();
}

async function start(me) {
  ctx.user = me.user;
  ctx.csrf = me.csrf;
  loginNotice = null;
  try {
    const sites = await ctx.api('/api/sites');
    ctx.sites = new Map(sites.map((s) => [s.site, s]));
  } catch (err) {
    if (err?.status === 401) return;
    console.error(err);
  }
  $('login').hidden = true;
  $('app').hidden = false;
  $('tabs').hidden = false;
  $('logout').hidden = false;
  shellText();
  feed.start();
  await route();
}

$('loginForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  let r;
  try {
    r = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: $('phone').value, password: $('password').value }),
    });
  } catch {
    $('loginError').textContent = ctx.t(TEXT.noHub);
    return;
  }
  const data = await r.json().catch(() => null);
  if (r.ok) {
    $('password').value = '';
    // A link that sent here to log in (/?login=required#/reports/…) has done its job.
    if (location.search) history.replaceState(null, '', `/${location.hash}`);
    await start(data);
    return;
  }
  // The hub says why in both languages (a 429 with the seconds to wait); a bare status never shows.
  const said = data?.error && typeof data.error === 'object' && data.error.vi ? data.error : null;
  $('loginError').textContent = ctx.t(
    r.status === 401 ? TEXT.badLogin : (said ?? (r.status === 429 ? TEXT.tooMany : TEXT.noHub)),
  );
});
$('logout').addEventListener('click', async () => {
  try {
    await ctx.api('/api/logout', { method: 'POST', body: {} });
  } catch (err) {
    console.error(err);
  }
  showLogin(TEXT.loggedOut);
});
$('lang').addEventListener('click', () => {
  ctx.lang = ctx.lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('qrkiosk.lang', ctx.lang);
  shellText();
  if (ctx.user) route();
});
window.addEventListener('hashchange', () => route());

shellText();
// "Have a password reset code?" under the login form (its own module, i17-users).
mountPasswordReset($('login'), ctx);
// The printable report sends a browser without a session here with ?login=required (routes/page-error.ts).
const sentToLogin = new URLSearchParams(location.search).get('login') === 'required';
fetch('/api/me')
  .then(async (r) => (r.ok ? start(await r.json()) : showLogin(sentToLogin ? TEXT.loginRequired : null)))
  .catch(() => showLogin(TEXT.noHub));
