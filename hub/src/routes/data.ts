import { vnDayStartOf } from '@qrkiosk/protocol';
import type { FastifyInstance } from 'fastify';
import type { HubStore, SiteInput } from '../store.js';
import { canSee, type Session } from '../users.js';
import { forPage } from './page-checkin.js';
import { CheckinsQuery, NoQuery, SitesBody } from './schemas.js';

/** Rows of the sites a session's scope covers. */
export async function scoped<T extends { site: string }>(store: HubStore, s: Session, rows: T[]) {
  const dir = await store.siteDirectory();
  return rows.filter((r) => canSee(s.user, r.site, dir));
}

/** The live page's data: recent check-ins, hourly counts, kiosks and the site register. */
export function dataRoutes(app: FastifyInstance, store: HubStore): void {
  const session = { config: { access: { who: 'session' as const } } };
  app.get<{ Querystring: CheckinsQuery }>(
    '/api/checkins',
    { ...session, schema: { querystring: CheckinsQuery } },
    async (req) =>
      (await scoped(store, req.hubSession as Session, await store.recent(req.query.limit ?? 100))).map(
        forPage,
      ),
  );
  app.get('/api/hourly', { ...session, schema: { querystring: NoQuery } }, async (req) => {
    const hours = Array.from({ length: 24 }, () => 0);
    const rows = await store.hourly(vnDayStartOf(new Date()));
    for (const r of await scoped(store, req.hubSession as Session, rows))
      hours[r.hour] = (hours[r.hour] ?? 0) + r.n;
    return { hours };
  });
  app.get('/api/kiosks', { ...session, schema: { querystring: NoQuery } }, async (req) =>
    scoped(store, req.hubSession as Session, await store.kiosks()),
  );
  app.get('/api/sites', { ...session, schema: { querystring: NoQuery } }, async (req) =>
    scoped(store, req.hubSession as Session, [...(await store.siteDirectory()).values()]),
  );
  app.post<{ Body: SitesBody }>(
    '/api/sites',
    { config: { access: { who: ['admin'], csrf: true } }, schema: { body: SitesBody } },
    async (req) => {
      const s = req.hubSession as Session;
      const sites: SiteInput[] = Array.isArray(req.body) ? req.body : [req.body];
      await store.registerSites(sites);
      await store.audit(s.user.phone, 'sites-register', { sites: sites.map((x) => x.site) });
      return { registered: sites.length };
    },
  );
}
