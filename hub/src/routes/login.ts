import type { FastifyInstance } from 'fastify';
import type { HubStore } from '../store.js';
import { normalisePhone } from '../users.js';
import { addressBucket, COOKIE, fail, textError } from './access.js';
import { LoginBody, NoBody, NoQuery } from './schemas.js';

export interface LoginOptions {
  /** Login attempts allowed per address (IPv6: per /64) per minute (default 5). */
  loginsPerMinute?: number;
}

/**
 * Login, who-am-I and logout. Two limits on guessing: per address (IPv6 by /64), in memory, by
 * @fastify/rate-limit; and per account, in the database (Users.attempt), which no number of
 * addresses gets round and which every hub process sharing the database sees.
 */
export function loginRoutes(app: FastifyInstance, store: HubStore, options: LoginOptions): void {
  app.post<{ Body: LoginBody }>(
    '/api/login',
    {
      config: {
        access: { who: 'public' },
        rateLimit: {
          max: options.loginsPerMinute ?? 5,
          timeWindow: '1 minute',
          keyGenerator: (req) => addressBucket(req.ip),
          errorResponseBuilder: (_req, context) =>
            textError(
              429,
              `Quá nhiều lần đăng nhập từ địa chỉ này; thử lại sau ${Math.ceil(context.ttl / 1000)} giây`,
              `Too many logins from this address; try again in ${Math.ceil(context.ttl / 1000)} s`,
            ),
        },
      },
      schema: { body: LoginBody },
    },
    async (req, reply) => {
      const body = req.body;
      // What reaches the audit log is a normalised phone number or a fixed word, never free text.
      const account = normalisePhone(body.phone) ?? 'not-a-phone';
      const r = await store.users.attempt(body.phone, body.password);
      if (!r.ok && r.reason === 'locked') {
        const seconds = Math.ceil(r.retryAfterMs / 1000);
        await store.audit(account, 'login-locked', { ip: req.ip, retryAfterS: seconds });
        void reply.header('retry-after', String(seconds));
        return fail(
          reply,
          429,
          `Tài khoản này đã nhập sai mật khẩu nhiều lần; thử lại sau ${seconds} giây`,
          `Too many wrong passwords for this account; try again in ${seconds} s`,
        );
      }
      if (!r.ok) {
        await store.audit(account, 'login-failed', { ip: req.ip });
        return fail(reply, 401, 'Sai số điện thoại hoặc mật khẩu', 'Wrong phone number or password');
      }
      const s = r.session;
      await store.audit(s.user.phone, 'login', { ip: req.ip });
      void reply.setCookie(COOKIE, s.id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        path: '/',
        maxAge: 8 * 3600,
      });
      return { user: s.user, csrf: s.csrf };
    },
  );
  app.get(
    '/api/me',
    { config: { access: { who: 'session' } }, schema: { querystring: NoQuery } },
    async (req) => {
      const s = req.hubSession;
      return s ? { user: s.user, csrf: s.csrf } : undefined;
    },
  );
  app.post(
    '/api/logout',
    { config: { access: { who: 'session', csrf: true } }, schema: { querystring: NoQuery, body: NoBody } },
    async (req, reply) => {
      if (req.hubSession) await store.users.logout(req.hubSession.id);
      void reply.clearCookie(COOKIE, { path: '/' });
      return { ok: true };
    },
  );
}
