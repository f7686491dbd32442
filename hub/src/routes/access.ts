import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubStore } from '../store.js';
import type { Text } from '../text.js';
import type { Role, Session } from '../users.js';
import { pageRefusal } from './page-error.js';
import { validationText } from './validation-text.js';

export const COOKIE = 'qrk_session';

/**
 * Who may call a route, declared on the route itself (`config.access`) and enforced once, in an
 * `onRequest` hook, before the body is even read:
 *   'public'  — anyone (the page, the login, the health check)
 *   'session' — any logged-in user; what they see is narrowed to their scope by the handler
 *   Role[]    — those roles (admin always)
 * `csrf: true` on a state-changing route: the session's CSRF token must come in `x-csrf-token`.
 * A route registered without `access` stops the hub at start: nothing is open by omission.
 */
export interface Access {
  who: 'public' | 'session' | Role[];
  csrf?: boolean;
  /** A page opened in the browser: refusals are HTML pages, no session a redirect to the login form. */
  page?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The caller's session, set by the access hook on every non-public route. */
    hubSession: Session | null;
  }
}

export type { Text } from '../text.js';
export const fail = (reply: FastifyReply, status: number, vi: string, en: string) =>
  reply.request.routeOptions.config.access?.page
    ? pageRefusal(reply.request, reply, status, { vi, en })
    : reply.code(status).send({ error: { vi, en } satisfies Text });

/** An error that carries its user-visible message in both languages (thrown, e.g. by a rate limit). */
export function textError(status: number, vi: string, en: string): Error {
  return Object.assign(new Error(en), { statusCode: status, text: { vi, en } satisfies Text });
}

/** The session a request carries, if any. */
export const sessionOf = (store: HubStore, req: FastifyRequest): Promise<Session | null> =>
  store.users.session(req.cookies[COOKIE]);

/**
 * The bucket of an address for per-address limits. IPv6 by /64: one subscriber or host usually gets
 * a whole /64, so counting single IPv6 addresses gave an attacker 2^64 buckets. IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`) counts as the IPv4 address.
 */
export function addressBucket(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]?.split('::') ?? [];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Installs the access hook, the check that every route declares its access, and one error handler
 * that answers in both languages (schema errors 400, rate limits 429) and never leaks a stack.
 */
export function installAccess(app: FastifyInstance, store: HubStore, log: (err: unknown) => void): void {
  app.decorateRequest('hubSession', null);
  app.addHook('onRoute', (route) => {
    if (!route.config?.access)
      throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access)`);
  });
  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config.access;
    if (!access || access.who === 'public') return;
    const s = await sessionOf(store, req);
    if (!s) return fail(reply, 401, 'Cần đăng nhập', 'Login required');
    if (Array.isArray(access.who) && !access.who.includes(s.user.role) && s.user.role !== 'admin')
      return fail(reply, 403, 'Vai trò của bạn không được làm việc này', 'Not allowed for your role');
    if (access.csrf && req.headers['x-csrf-token'] !== s.csrf)
      return fail(reply, 403, 'Thiếu hoặc sai mã chống giả mạo (CSRF)', 'Missing or wrong CSRF token');
    req.hubSession = s;
  });
  app.setErrorHandler((error: FastifyError, _req, reply) => {
    if (error.validation) {
      const text = validationText(error.validation, error.validationContext ?? '');
      return fail(reply, 400, text.vi, text.en);
    }
    const status = error.statusCode ?? 500;
    // Enrolment answers in its own contract's shape (protocol's EnrolmentRefused), limits included.
    const refusal = (error as { refusal?: unknown }).refusal;
    if (refusal) return reply.code(status).send(refusal);
    const text = (error as { text?: Text }).text;
    if (text) return fail(reply, status, text.vi, text.en);
    if (status < 500) return fail(reply, status, `Yêu cầu không hợp lệ (${error.message})`, error.message);
    log(error);
    return fail(reply, 500, 'Lỗi máy chủ', 'Server error');
  });
}
