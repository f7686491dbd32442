import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail, sessionOf } from '../routes/access.js';
import { NoQuery } from '../routes/schemas.js';
import type { HubStore } from '../store.js';

/** Who may scrape without a session (hub.yaml `metrics:`). */
export interface MetricsAccess {
  /** metrics.tokenFile's content: a Prometheus server sends it as `Authorization: Bearer`. */
  token?: string;
  /** metrics.allow: addresses or CIDR ranges that may scrape without a token (default none). */
  allow?: readonly string[];
}

/** A BlockList of the allowed addresses; throws on an entry that is neither an address nor a range. */
export function allowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = Number(bits);
    if (family === 0 || extra !== undefined || (bits !== undefined && !Number.isInteger(prefix)))
      throw new Error(`metrics.allow: "${entry}" is not an address or a CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

const bearerMatches = (req: FastifyRequest, token: string | undefined): boolean => {
  if (!token) return false;
  const given = Buffer.from(/^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
};

/** `req.ip` (the proxy's X-Forwarded-For when http.trustProxy names it), IPv4-mapped IPv6 unwrapped. */
const clientAddress = (req: FastifyRequest) => req.ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

/**
 * GET /metrics, the Prometheus text format. Declared public to the access hook because a scraper has
 * no session; the handler decides: the bearer token (metrics.tokenFile), an address in metrics.allow,
 * or an admin's session (to look at it in a browser). Anyone else: 401, a non-admin session 403. The
 * allow list is matched against the client address as the hub sees it — behind a reverse proxy on
 * the same machine that is the proxy's unless http.trustProxy is set, so do not list 127.0.0.1 there.
 */
export function metricsRoute(
  app: FastifyInstance,
  store: HubStore,
  metrics: { exposition(): Promise<{ contentType: string; body: string }> },
  access: MetricsAccess,
): void {
  const allowed = allowList(access.allow ?? []);
  app.get(
    '/metrics',
    { config: { access: { who: 'public' } }, schema: { querystring: NoQuery } },
    async (req, reply) => {
      const address = clientAddress(req);
      const byAddress = isIP(address) !== 0 && allowed.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
      if (!bearerMatches(req, access.token) && !byAddress) {
        const session = await sessionOf(store, req);
        if (!session)
          return fail(
            reply,
            401,
            'Cần mã đọc số liệu hoặc đăng nhập',
            'A metrics token or a login is required',
          );
        if (session.user.role !== 'admin')
          return fail(reply, 403, 'Chỉ quản trị viên xem được số liệu', 'Only admins may read the metrics');
      }
      const { contentType, body } = await metrics.exposition();
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    },
  );
}
