import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { alertView } from '../notify/messages.js';
import type { SiteInfo } from '../storage/index.js';
import type { HubStore } from '../store.js';
import { canSee, type Session, type User } from '../users.js';

// Here rather than in schemas.ts: the alerts branch's only query (fewer shared lines to merge).
const AlertsQuery = Type.Object(
  { state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('all')])) },
  { additionalProperties: false },
);
type AlertsQuery = Static<typeof AlertsQuery>;

/** History kept on the page: the newest this many alerts (the table holds them all). */
const HISTORY_LIMIT = 1000;

/**
 * The sites a user sees (canSee's rule: listed sites, and the registered sites of their districts
 * and wards), for the query to filter on before its limit; null for `*` (every site).
 */
export function scopeSites(user: User, dir: ReadonlyMap<string, SiteInfo>): string[] | null {
  if (user.sites.includes('*')) return null;
  const sites = new Set(user.sites.filter((x) => !x.includes(':')));
  for (const [site] of dir) if (canSee(user, site, dir)) sites.add(site);
  return [...sites];
}

/** GET /api/alerts?state=active|all: alerts of the session's scope, newest first. */
export function alertRoutes(app: FastifyInstance, store: HubStore): void {
  app.get<{ Querystring: AlertsQuery }>(
    '/api/alerts',
    { config: { access: { who: 'session' } }, schema: { querystring: AlertsQuery } },
    async (req) => {
      const s = req.hubSession as Session;
      const dir = await store.siteDirectory();
      const rows = await store.repo.alerts.list(
        (req.query.state ?? 'active') === 'active',
        HISTORY_LIMIT,
        scopeSites(s.user, dir) ?? undefined,
      );
      return rows.filter((a) => canSee(s.user, a.site, dir)).map((a) => alertView(a, dir));
    },
  );
}
