import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { CheckinMessage, IdType, TelemetryMessage } from '@qrkiosk/protocol';
import { formatVnDateTime, hashIdentity, vnDay } from '@qrkiosk/protocol';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { HubIngest } from './ingest.js';
import type { HubStore } from './store.js';
import { canSee, type Role, type Session } from './users.js';

const PAGE = new URL('../public/index.html', import.meta.url);
const COOKIE = 'qrk_session';

/** A message on the live WebSocket (only what the user's scope covers). */
export type LiveMessage =
  | {
      type: 'snapshot';
      checkins: CheckinMessage[];
      kiosks: ReturnType<HubStore['kiosks']>;
      today: Array<{ site: string; n: number }>;
    }
  | { type: 'checkin'; checkin: CheckinMessage }
  | { type: 'kiosk'; site: string; kiosk: string; state: string; lastSeen: string }
  | { type: 'telemetry'; telemetry: TelemetryMessage };

/** Start of today in Vietnam (UTC+7), for "today" counts. */
function startOfVnDay(now: Date): Date {
  return new Date(`${vnDay(now)}T00:00:00+07:00`);
}

export interface ServerOptions {
  /** The deployment key, to hash an identity number for tracing (no key: tracing is off). */
  hashKey?: Buffer;
}

const ID_TYPES: IdType[] = ['cccd', 'cmnd', 'passport', 'qid', 'bhyt', 'bhxh', 'phone'];

/**
 * The hub's pages and API: one HTML file (nothing to build), JSON endpoints and a WebSocket.
 * Everything but the page and the login needs a session (HttpOnly, SameSite=Strict cookie);
 * every state-changing request needs the session's CSRF token in `x-csrf-token`; logins are
 * rate-limited per address; tracing and reports are written to the audit log.
 */
export async function createServer(
  store: HubStore,
  ingest: HubIngest,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, trustProxy: false });
  const page = readFileSync(PAGE, 'utf8');
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(websocket);

  const session = (req: FastifyRequest): Session | null => store.users.session(req.cookies[COOKIE]);
  const guard = (
    req: FastifyRequest,
    reply: FastifyReply,
    roles?: Role[],
    mutating = false,
  ): Session | null => {
    const s = session(req);
    if (!s) {
      void reply.code(401).send({ error: 'login required' });
      return null;
    }
    if (roles && !roles.includes(s.user.role) && s.user.role !== 'admin') {
      void reply.code(403).send({ error: 'not allowed for your role' });
      return null;
    }
    if (mutating && req.headers['x-csrf-token'] !== s.csrf) {
      void reply.code(403).send({ error: 'missing or wrong CSRF token' });
      return null;
    }
    return s;
  };
  const scoped = <T extends { site: string }>(s: Session, rows: T[]) =>
    rows.filter((r) => canSee(s.user, r.site));

  app.get('/', (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'; connect-src 'self'",
      )
      .send(page),
  );
  app.post(
    '/api/login',
    { config: { rateLimit: { max: 5, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const body = (req.body ?? {}) as { phone?: unknown; password?: unknown };
      if (typeof body.phone !== 'string' || typeof body.password !== 'string' || body.password.length > 200)
        return reply.code(400).send({ error: 'phone and password required' });
      const s = await store.users.login(body.phone, body.password);
      if (!s) {
        store.audit(`${body.phone.slice(0, 20)}`, 'login-failed', { ip: req.ip });
        return reply.code(401).send({ error: 'wrong phone or password' });
      }
      store.audit(s.user.phone, 'login', { ip: req.ip });
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
  app.get('/api/me', (req, reply) => {
    const s = guard(req, reply);
    return s ? { user: s.user, csrf: s.csrf } : undefined;
  });
  app.post('/api/logout', (req, reply) => {
    const s = guard(req, reply, undefined, true);
    if (!s) return;
    store.users.logout(s.id);
    void reply.clearCookie(COOKIE, { path: '/' });
    return { ok: true };
  });
  app.get('/api/checkins', (req, reply) => {
    const s = guard(req, reply);
    if (!s) return;
    const limit = Math.min(Math.max(Number((req.query as { limit?: string }).limit) || 100, 1), 1000);
    return scoped(s, store.recent(limit));
  });
  app.get('/api/hourly', (req, reply) => {
    const s = guard(req, reply);
    if (!s) return;
    const hours = Array.from({ length: 24 }, () => 0);
    for (const r of scoped(s, store.hourly(startOfVnDay(new Date()))))
      hours[r.hour] = (hours[r.hour] ?? 0) + r.n;
    return { hours };
  });
  app.get('/api/kiosks', (req, reply) => {
    const s = guard(req, reply);
    return s ? scoped(s, store.kiosks()) : undefined;
  });
  app.get('/api/report', (req, reply) => {
    const s = guard(req, reply, ['officer', 'site-owner']);
    if (!s) return;
    const q = req.query as { day?: string; format?: string };
    const day = q.day && /^\d{4}-\d{2}-\d{2}$/.test(q.day) ? q.day : vnDay(new Date(Date.now() - 86_400_000));
    // A stored report (made at 06:00) is what was sent to the province; otherwise compute it now.
    const report = store.savedReport(day)?.report ?? store.dailyReport(day);
    const visible = {
      ...report,
      sites: scoped(s, report.sites),
      sitesWithoutScans: report.sitesWithoutScans.filter((x) => canSee(s.user, x)),
    };
    store.audit(s.user.phone, 'report', { day, format: q.format ?? 'json' });
    if (q.format !== 'csv') return visible;
    const rows = visible.sites.map((r) =>
      [r.site, r.kiosks, r.scans, r.allowed, r.refused, r.review].join(','),
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="qrkiosk-report-${day}.csv"`)
      .send(`\uFEFFsite,kiosks,scans,allowed,refused,review\n${rows.join('\n')}\n`);
  });
  app.post('/api/trace', (req, reply) => {
    const s = guard(req, reply, ['tracer'], true);
    if (!s) return;
    if (!options.hashKey)
      return reply.code(503).send({ error: 'tracing needs the deployment key (--key-file)' });
    const b = (req.body ?? {}) as {
      type?: unknown;
      id?: unknown;
      from?: unknown;
      to?: unknown;
      window?: unknown;
    };
    const type = ID_TYPES.find((t) => t === b.type);
    const id = typeof b.id === 'string' ? b.id.replace(/\s+/g, '').toUpperCase() : '';
    const day = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
    const from = day(b.from);
    const to = day(b.to);
    const window = typeof b.window === 'number' && b.window > 0 && b.window <= 720 ? b.window : 30;
    if (!type || !/^[0-9A-Z]{6,20}$/.test(id) || !from || !to)
      return reply.code(400).send({ error: 'type, id, from, to (YYYY-MM-DD) required' });
    const visits = store
      .trace(
        hashIdentity(options.hashKey, type, id).toString('hex'),
        new Date(`${from}T00:00:00+07:00`),
        new Date(Date.parse(`${to}T00:00:00+07:00`) + 86_400_000),
        window,
      )
      .filter((v) => canSee(s.user, v.visit.site));
    store.audit(s.user.phone, 'trace', {
      type,
      id: `…${id.slice(-4)}`,
      from,
      to,
      window,
      visits: visits.length,
    });
    return {
      visits: visits.map((v) => ({
        at: formatVnDateTime(new Date(v.visit.at)),
        site: v.visit.site,
        kiosk: v.visit.kiosk,
        coVisitors: v.coVisitors.map((c) => ({
          at: formatVnDateTime(new Date(c.at)),
          name: c.document.nameMasked,
          number: c.document.numberMasked,
          kind: c.document.kind,
        })),
      })),
    };
  });
  app.get('/healthz', () => ({ ok: true, checkins: store.checkinCount() }));
  app.register(async (scope) => {
    scope.get('/live', { websocket: true }, (socket, req) => {
      const s = session(req);
      if (!s) {
        socket.close(4401, 'login required');
        return;
      }
      const send = (m: LiveMessage) => socket.send(JSON.stringify(m));
      const today = store.countsSince(startOfVnDay(new Date())).filter((r) => canSee(s.user, r.site));
      send({
        type: 'snapshot',
        checkins: scoped(s, store.recent(100)),
        kiosks: scoped(s, store.kiosks()),
        today,
      });
      const onCheckin = (checkin: CheckinMessage) =>
        canSee(s.user, checkin.site) && send({ type: 'checkin', checkin });
      const onKiosk = (k: { site: string; kiosk: string; state: string; lastSeen: string }) =>
        canSee(s.user, k.site) && send({ type: 'kiosk', ...k });
      const onTelemetry = (telemetry: TelemetryMessage) =>
        canSee(s.user, telemetry.site) && send({ type: 'telemetry', telemetry });
      ingest.on('checkin', onCheckin);
      ingest.on('kiosk', onKiosk);
      ingest.on('telemetry', onTelemetry);
      socket.on('close', () => {
        ingest.off('checkin', onCheckin);
        ingest.off('kiosk', onKiosk);
        ingest.off('telemetry', onTelemetry);
      });
    });
  });
  return app;
}
