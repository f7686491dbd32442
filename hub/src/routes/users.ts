import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HubStore } from '../store.js';
import {
  addUser,
  changeOwnPassword,
  changeUser,
  issueResetCode,
  listUsers,
  redeemResetCode,
} from '../use-cases/users.js';
import type { Session } from '../users.js';
import { addressBucket, textError } from './access.js';
import { NoBody, NoQuery } from './schemas.js';
import { NewUserBody, PasswordBody, ResetBody, UserEditBody, UserParams } from './user-schemas.js';

export interface UserRouteOptions {
  /** Reset attempts allowed per address (IPv6: per /64) per minute (default: as logins, 5). */
  resetsPerMinute?: number;
  loginsPerMinute?: number;
}

/**
 * Users on the page, over the use cases the CLI uses (use-cases/users.ts): the admin lists, adds,
 * edits (role, scope, e-mail, disabled) and gives one-time reset codes; everyone changes their own
 * password; anyone with a code sets a new one (public, limited per address and per account). A
 * UserError reaches the error handler with its status and {vi, en}. Answers holding a code are
 * not stored by caches (`no-store`).
 */
export function userRoutes(app: FastifyInstance, store: HubStore, options: UserRouteOptions): void {
  const admin = { access: { who: ['admin' as const] } };
  const adminChange = { access: { who: ['admin' as const], csrf: true } };
  const actor = (s: Session | null) => s?.user.phone ?? 'hub';
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.get('/api/users', { config: admin, schema: { querystring: NoQuery } }, async () => listUsers(store));

  app.post<{ Body: NewUserBody }>(
    '/api/users',
    { config: adminChange, schema: { querystring: NoQuery, body: NewUserBody } },
    async (req, reply) => {
      const r = await addUser(store, actor(req.hubSession), req.body, { replace: false });
      void noStore(reply).code(201);
      return r;
    },
  );

  app.patch<{ Params: UserParams; Body: UserEditBody }>(
    '/api/users/:phone',
    { config: adminChange, schema: { params: UserParams, querystring: NoQuery, body: UserEditBody } },
    async (req) => changeUser(store, actor(req.hubSession), req.params.phone, req.body),
  );

  app.post<{ Params: UserParams }>(
    '/api/users/:phone/reset',
    { config: adminChange, schema: { params: UserParams, querystring: NoQuery, body: NoBody } },
    async (req, reply) => {
      const issued = await issueResetCode(store, actor(req.hubSession), req.params.phone);
      void noStore(reply);
      return issued;
    },
  );

  app.post<{ Body: PasswordBody }>(
    '/api/me/password',
    {
      config: { access: { who: 'session', csrf: true } },
      schema: { querystring: NoQuery, body: PasswordBody },
    },
    async (req, reply) =>
      withRetryAfter(reply, () => changeOwnPassword(store, req.hubSession as Session, req.body)),
  );

  app.post<{ Body: ResetBody }>(
    '/api/password-reset',
    {
      config: {
        access: { who: 'public' },
        rateLimit: {
          max: options.resetsPerMinute ?? options.loginsPerMinute ?? 5,
          timeWindow: '1 minute',
          keyGenerator: (req) => addressBucket(req.ip),
          errorResponseBuilder: (_req, context) =>
            textError(
              429,
              `Quá nhiều lần đặt lại mật khẩu từ địa chỉ này; thử lại sau ${Math.ceil(context.ttl / 1000)} giây`,
              `Too many password resets from this address; try again in ${Math.ceil(context.ttl / 1000)} s`,
            ),
        },
      },
      schema: { querystring: NoQuery, body: ResetBody },
    },
    async (req, reply) =>
      withRetryAfter(reply, async () => {
        await redeemResetCode(store, req.body, req.ip);
        return { ok: true };
      }),
  );
}

/** A wait (too many attempts) is also said in Retry-After, as the login does. */
async function withRetryAfter<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const wait = (err as { retryAfterS?: number }).retryAfterS;
    if (wait !== undefined) void reply.header('retry-after', String(wait));
    throw err;
  }
}
