import { vnDayStartOf } from '@qrkiosk/protocol';
import type { FastifyInstance } from 'fastify';
import type { HubStore, SiteInfo } from '../store.js';
import { canSee, type Session } from '../users.js';
import { fail } from './access.js';

/** A query string with no parameters: an unknown one is refused (400), not ignored. */
export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;
const CODE = /^[A-Za-z0-9_-]{1,64}$/;

/** Start of today in Vietnam (UTC+7), for "today" counts. */
export function startOfVnDay(now: Date): Date {
  return vnDayStartOf(now);
}

/** Rows of the sites a session's scope covers. */
export async function scoped<T extends { site: string }>(store: HubStore, s: Session, rows: T[]) {
  const dir = await store.siteDirectory();
  return rows.filter((r) => canSee(s.user, r.site, dir));
}

/** The live page's data: recent check-ins, hourly counts, kiosks and the site register. */
export function dataRoutes(app: FastifyInstance, store: HubStore): void {
  const session = { config: { access: { who: 'session' as const } } };
  app.get(
    '/api/checkins',
    {
      ...session,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
    },
    async (req) => {
      const limit = (req.query as { limit?: number }).limit ?? 100;
      return scoped(store, req.hubSession as Session, await store.recent(limit));
    },
  );
  app.get('/api/hourly', { ...session, schema: { querystring: NO_QUERY } }, async (req) => {
    const hours = Array.from({ length: 24 }, () => 0);
    const rows = await store.hourly(startOfVnDay(new Date()));
    for (const r of await scoped(store, req.hubSession as Session, rows))
      hours[r.hour] = (hours[r.hour] ?? 0) + r.n;
    return { hours };
  });
  app.get('/api/kiosks', { ...session, schema: { querystring: NO_QUERY } }, async (req) =>
    scoped(store, req.hubSession as Session, await store.kiosks()),
  );
  app.get('/api/sites', { ...session, schema: { querystring: NO_QUERY } }, async (req) =>
    scoped(store, req.hubSession as Session, [...(await store.siteDirectory()).values()]),
  );
  app.post('/api/sites', { config: { access: { who: ['admin'], csrf: true } } }, async (req, reply) => {
    const s = req.hubSession as Session;
    const body = req.body as unknown;
    const list = Array.isArray(body) ? body : [body];
    const sites: SiteInfo[] = [];
    for (const [i, x] of list.entries()) {
      const v = (x ?? {}) as Record<string, unknown>;
      const ok =
        typeof v.site === 'string' &&
        CODE.test(v.site) &&
        typeof v.name === 'string' &&
        v.name.length <= 200 &&
        typeof v.district === 'string' &&
        CODE.test(v.district) &&
        typeof v.ward === 'string' &&
        CODE.test(v.ward);
      if (!ok)
        return fail(
          reply,
          400,
          `Địa điểm ${i + 1}: cần site, name, district và ward (mã: chữ, số, - và _)`,
          `site ${i + 1}: site, name, district and ward required (codes: letters, digits, - and _)`,
        );
      sites.push({
        site: v.site as string,
        name: v.name as string,
        district: v.district as string,
        ward: v.ward as string,
      });
    }
    await store.registerSites(sites);
    await store.audit(s.user.phone, 'sites-register', { sites: sites.map((x) => x.site) });
    return { registered: sites.length };
  });
}
