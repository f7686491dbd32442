import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Text } from '../text.js';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * A refusal on a route a person opens in the browser (the printable report): a small page in
 * Vietnamese with English under it, never raw JSON. Without a session it sends them to the login
 * form (`/?login=required`, the page shows why) and back to the same report afterwards.
 */
export function pageRefusal(req: FastifyRequest, reply: FastifyReply, status: number, text: Text) {
  if (status === 401) {
    const day = /^\d{4}-\d{2}-\d{2}$/.exec(String((req.query as { day?: unknown } | undefined)?.day ?? ''));
    return reply.redirect(`/?login=required#/reports${day ? `/${day[0]}` : ''}`, 303);
  }
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>${esc(text.vi)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}.en{color:#555}</style></head>
<body><h1 id="error">${esc(text.vi)}</h1><p class="en" lang="en">${esc(text.en)}</p>
<p><a href="/">Về trang chính</a> · <a href="/" lang="en">Back to the hub</a></p></body></html>`);
}
