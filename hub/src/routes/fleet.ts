import type { FastifyInstance } from 'fastify';
import { alertKey, fleetRow } from '../fleet-view.js';
import type { FreshnessStatus } from '../fresh-publisher.js';
import type { HubStore } from '../store.js';
import { canSee, type Session } from '../users.js';
import { fail } from './access.js';
import { KioskParams, NoQuery } from './schemas.js';

export interface FleetOptions {
  /** The active alerts (site, kiosk) to count per kiosk; none: every count is 0. */
  activeAlerts?: () => Promise<ReadonlyArray<{ site: string; kiosk: string | null }>>;
  /** The hub's own freshness statement (fresh-publisher.ts); none: this process does not publish it. */
  freshness?: () => FreshnessStatus;
}

/**
 * The fleet table and one kiosk's page, scoped to the session: a kiosk outside the caller's scope
 * is answered exactly like one that does not exist (404), so its existence does not leak.
 */
export function fleetRoutes(app: FastifyInstance, store: HubStore, options: FleetOptions = {}): void {
  const session = { config: { access: { who: 'session' as const } } };
  const alertCounts = async () => {
    const counts = new Map<string, number>();
    for (const a of (await options.activeAlerts?.()) ?? [])
      if (a.kiosk) counts.set(alertKey(a.site, a.kiosk), (counts.get(alertKey(a.site, a.kiosk)) ?? 0) + 1);
    return counts;
  };

  app.get('/api/fleet', { ...session, schema: { querystring: NoQuery } }, async (req) => {
    const s = req.hubSession as Session;
    const [kiosks, dir, alerts, retired] = await Promise.all([
      store.kiosks(),
      store.siteDirectory(),
      alertCounts(),
      store.repo.fleet.retired(),
    ]);
    const now = new Date();
    return kiosks
      .filter((k) => canSee(s.user, k.site, dir))
      .map((k) => fleetRow(k, dir, alerts, now, retired.has(k.kiosk)));
  });

  // What the hub states on fleet/fresh, for the fleet page's banner (issue #19): every role may see whether
  // kiosks are being kept fresh; the statement names versions only.
  app.get('/api/fleet/freshness', { ...session, schema: { querystring: NoQuery } }, async () => ({
    status: options.freshness?.() ?? null,
  }));

  app.get<{ Params: KioskParams }>(
    '/api/kiosks/:kiosk',
    { ...session, schema: { params: KioskParams, querystring: NoQuery } },
    async (req, reply) => {
      const s = req.hubSession as Session;
      const [kiosks, dir, alerts] = await Promise.all([store.kiosks(), store.siteDirectory(), alertCounts()]);
      const k = kiosks.find((x) => x.kiosk === req.params.kiosk && canSee(s.user, x.site, dir));
      if (!k)
        return fail(
          reply,
          404,
          `Không có kiosk "${req.params.kiosk}" trong phạm vi của bạn`,
          `No kiosk "${req.params.kiosk}" in your scope`,
        );
      const now = new Date();
      const [history, retired] = await Promise.all([
        store.telemetryHistory(k.site, k.kiosk),
        store.repo.fleet.retired(),
      ]);
      return {
        ...fleetRow(k, dir, alerts, now, retired.has(k.kiosk)),
        telemetry: k.telemetry ? JSON.parse(k.telemetry) : null,
        history,
      };
    },
  );
}
