import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HubIngest } from './ingest.js';
import { type HubMetrics, type MetricsAccess, metricsRoute } from './metrics/index.js';
import { installAccess } from './routes/access.js';
import { alertRoutes } from './routes/alerts.js';
import { commandRoutes } from './routes/commands.js';
import { dataRoutes } from './routes/data.js';
import { enrolmentCodeRoute, enrolRoute } from './routes/enrol.js';
import { type FleetOptions, fleetRoutes } from './routes/fleet.js';
import { healthRoute } from './routes/health.js';
import { liveRoute } from './routes/live.js';
import { loginRoutes } from './routes/login.js';
import { pageRoutes } from './routes/page.js';
import { type PassRouteOptions, passRoutes } from './routes/passes.js';
import { reportRoutes } from './routes/reports.js';
import { updateRoutes } from './routes/updates.js';
import { userRoutes } from './routes/users.js';
import type { HubStore } from './store.js';
import type { Enrolment } from './use-cases/enrolment.js';
import type { KioskCommands } from './use-cases/kiosk-commands.js';

export type { LiveMessage } from './routes/live.js';

export interface ServerOptions extends FleetOptions {
  /** The deployment key, to hash an identity number for tracing (no key: tracing is off). */
  hashKey?: Buffer;
  /** The health office on the printed F1 list's letterhead (hub.yaml privacy.tracingOffice). */
  tracingOffice?: string;
  /** Login attempts allowed per address (IPv6: per /64) per minute (default 5). */
  loginsPerMinute?: number;
  /** Password resets with a code allowed per address per minute (default: as logins). */
  resetsPerMinute?: number;
  /** How often an open live page's session is checked again (default one minute). */
  liveSessionCheckMs?: number;
  /** Bytes a live page may leave unread before it is closed (default 1 MiB). */
  liveBufferBytes?: number;
  /** Behind a TLS reverse proxy: its address(es), so client addresses and https are taken from it. */
  trustProxy?: string;
  /** Kiosk enrolment (POST /api/enrol); none: the route answers enrolment-off. */
  enrolment?: Enrolment;
  /** Enrolment attempts allowed per address (IPv6: per /64) per minute (default 10). */
  enrolsPerMinute?: number;
  /** GET /metrics (metrics/route.ts) and who may read it; none: no such route. */
  metrics?: HubMetrics;
  /** Who may read GET /metrics besides an admin's session (hub.yaml `metrics:`). */
  metricsAccess?: MetricsAccess;
  /** Commands to kiosks (POST /api/kiosks/:kiosk/commands); none: those routes answer 503. */
  commands?: KioskCommands;
  /** Where release bundles are kept (<dataDir>/releases); GET /releases/<file> serves the recorded ones. */
  releasesDir?: string;
  /** Printed passes (routes/passes.ts): the signing key and the pass list's publisher; none: issuing answers no-key. */
  passes?: Omit<PassRouteOptions, 'hashKey' | 'onError'>;
  /** Where server errors are logged (with their stack). */
  onError?: (err: unknown) => void;
}

/**
 * The hub's pages and API: one HTML file and its ES modules (nothing to build, routes/page.ts), a
 * printable report page, JSON endpoints and a WebSocket. Each route declares who may call it (routes/access.ts); everything but
 * the page, the login and the health check needs a session (HttpOnly, SameSite=Strict cookie), every
 * state-changing request the session's CSRF token in `x-csrf-token`. Queries and bodies are checked
 * by route schemas (unknown parameters refused); logins are limited per address and per account;
 * tracing and reports go to the audit log.
 */
export async function createServer(
  store: HubStore,
  ingest: HubIngest,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  // Behind a reverse proxy the client's address (rate limit, audit) and https (Secure cookie) come
  // from X-Forwarded-* — trusted only from the proxy's own address.
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    // Refuse what a schema does not list instead of silently dropping it (Fastify's default).
    ajv: { customOptions: { removeAdditional: false } },
  });
  // Cookies are parsed in an onRequest hook: registered first, it runs before the access hook.
  await app.register(cookie);
  installAccess(app, store, options.onError ?? (() => undefined));
  await app.register(rateLimit, { global: false });
  await app.register(websocket);

  pageRoutes(app);
  healthRoute(app, store, ingest, options.onError ?? (() => undefined));
  // A session (admins) or, for a scraper without one, a token or a listed address: metrics/route.ts.
  if (options.metrics) metricsRoute(app, store, options.metrics, options.metricsAccess ?? {});
  loginRoutes(app, store, options);
  userRoutes(app, store, options);
  dataRoutes(app, store);
  alertRoutes(app, store);
  // The fleet table counts each kiosk's alerts in force (storage/alerts.ts) unless told otherwise.
  fleetRoutes(app, store, {
    activeAlerts: options.activeAlerts ?? (() => store.repo.alerts.list(true, 100_000)),
    ...(options.freshness ? { freshness: options.freshness } : {}),
  });
  reportRoutes(app, store, options);
  updateRoutes(app, store, options.releasesDir);
  liveRoute(app, store, ingest, options);
  commandRoutes(app, store, options.commands);
  passRoutes(app, store, {
    ...options.passes,
    ...(options.hashKey ? { hashKey: options.hashKey } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  enrolRoute(app, options.enrolment, options);
  enrolmentCodeRoute(app, options.enrolment, options.onError ?? (() => undefined));
  return app;
}
