import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { CheckinMessage, IdType, TelemetryMessage } from '@qrkiosk/protocol';
import { formatVnDateTime, hashIdentity, vnDay } from '@qrkiosk/protocol';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { HubIngest } from './ingest.js';
import { reportCsv, reportPage, scopeReport, traceCsv } from './report-view.js';
import type { HubStore, KioskRow, SiteInfo } from './store.js';
import { canSee, type Role, type Session } from './users.js';

const PAGE = new URL('../public/index.html', import.meta.url);
const COOKIE = 'qrk_session';

/** A message on the live WebSocket (only what the user's scope covers). */
export type LiveMessage =
  | {
      type: 'snapshot';
      checkins: CheckinMessage[];
      kiosks: KioskRow[];
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
  /** Login attempts allowed per address per minute (default 5). */
  loginsPerMinute?: number;
  /** How often an open live page's session is checked again (default one minute). */
  liveSessionCheckMs?: number;
  /** Behind a TLS reverse proxy: its address(es), so client addresses and https are taken from it. */
  trustProxy?: string;
}

const ID_TYPES: IdType[] = ['cccd', 'cmnd', 'passport', 'qid', 'bhyt', 'bhxh', 'phone'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
/** How often an open live page's session is checked again. */
const LIVE_SESSION_CHECK_MS = 60_000;

/**
 * The hub's pages and API: one HTML file (nothing to build), a printable report page, JSON
 * endpoints and a WebSocket. Everything but the page and the login needs a session (HttpOnly,
 * SameSite=Strict cookie); every state-changing request needs the session's CSRF token in
 * `x-csrf-token`; logins are rate-limited per address; tracing and reports go to the audit log.
 */
export async function createServer(
  store: HubStore,
  ingest: HubIngest,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  // Behind a reverse proxy the client's address (rate limit, audit) and https (Secure cookie) come
  // from X-Forwarded-* — trusted only from the proxy's own address.
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, trustProxy: options.trustProxy ?? false });
  const page = readFileSync(PAGE, 'utf8');
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(websocket);

  const session = (req: FastifyRequest): Promise<Session | null> => store.users.session(req.cookies[COOKIE]);
  const guard = async (
    req: FastifyRequest,
    reply: FastifyReply,
    roles?: Role[],
    mutating = false,
  ): Promise<Session | null> => {
    const s = await session(req);
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
  const scoped = async <T extends { site: string }>(s: Session, rows: T[]) => {
    const dir = await store.siteDirectory();
    return rows.filter((r) => canSee(s.user, r.site, dir));
  };
  /** The day asked for, or yesterday (Vietnam time): the day a 06:00 report is about. */
  const dayOf = (q: { day?: string }) =>
    q.day && DAY.test(q.day) ? q.day : vnDay(new Date(Date.now() - 86_400_000));
  /** The stored report (made at 06:00, what was sent to the province) or one computed now. */
  const reportFor = async (s: Session, day: string, area: string | undefined, dir: Map<string, SiteInfo>) => {
    const saved = await store.savedReport(day);
    const report = saved?.report ?? (await store.dailyReport(day));
    return {
      generatedAt: saved?.generatedAt ?? null,
      report: scopeReport(report, (site) => canSee(s.user, site, dir), area),
    };
  };

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
    { config: { rateLimit: { max: options.loginsPerMinute ?? 5, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const body = (req.body ?? {}) as { phone?: unknown; password?: unknown };
      if (typeof body.phone !== 'string' || typeof body.password !== 'string' || body.password.length > 200)
        return reply.code(400).send({ error: 'phone and password required' });
      const s = await store.users.login(body.phone, body.password);
      if (!s) {
        await store.audit(`${body.phone.slice(0, 20)}`, 'login-failed', { ip: req.ip });
        return reply.code(401).send({ error: 'wrong phone or password' });
      }
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
  app.get('/api/me', async (req, reply) => {
    const s = await guard(req, reply);
    return s ? { user: s.user, csrf: s.csrf } : undefined;
  });
  app.post('/api/logout', async (req, reply) => {
    const s = await guard(req, reply, undefined, true);
    if (!s) return;
    await store.users.logout(s.id);
    void reply.clearCookie(COOKIE, { path: '/' });
    return { ok: true };
  });
  app.get('/api/checkins', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return;
    const limit = Math.min(Math.max(Number((req.query as { limit?: string }).limit) || 100, 1), 1000);
    return scoped(s, await store.recent(limit));
  });
  app.get('/api/hourly', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return;
    const hours = Array.from({ length: 24 }, () => 0);
    for (const r of await scoped(s, await store.hourly(startOfVnDay(new Date()))))
      hours[r.hour] = (hours[r.hour] ?? 0) + r.n;
    return { hours };
  });
  app.get('/api/kiosks', async (req, reply) => {
    const s = await guard(req, reply);
    return s ? scoped(s, await store.kiosks()) : undefined;
  });
  app.get('/api/sites', async (req, reply) => {
    const s = await guard(req, reply);
    return s ? scoped(s, [...(await store.siteDirectory()).values()]) : undefined;
  });
  app.post('/api/sites', async (req, reply) => {
    const s = await guard(req, reply, ['admin'], true);
    if (!s) return;
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
        return reply.code(400).send({
          error: `site ${i + 1}: site, name, district and ward required (codes: letters, digits, - and _)`,
        });
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
  app.get('/api/report', async (req, reply) => {
    const s = await guard(req, reply, ['officer', 'site-owner']);
    if (!s) return;
    const q = req.query as { day?: string; format?: string; area?: string };
    const day = dayOf(q);
    const dir = await store.siteDirectory();
    const { report, generatedAt } = await reportFor(s, day, q.area, dir);
    await store.audit(s.user.phone, 'report', { day, format: q.format ?? 'json', area: q.area ?? null });
    if (q.format !== 'csv') return { ...report, generatedAt };
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="qrkiosk-report-${day}.csv"`)
      .send(reportCsv(report));
  });
  // The printable report: a plain page, Vietnamese with English in small type, made for paper.
  app.get('/report', async (req, reply) => {
    const s = await guard(req, reply, ['officer', 'site-owner']);
    if (!s) return;
    const q = req.query as { day?: string; area?: string };
    const day = dayOf(q);
    const dir = await store.siteDirectory();
    const { report, generatedAt } = await reportFor(s, day, q.area, dir);
    await store.audit(s.user.phone, 'report', { day, format: 'print', area: q.area ?? null });
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(reportPage(report, generatedAt, dir));
  });
  app.post('/api/trace', async (req, reply) => {
    const s = await guard(req, reply, ['tracer'], true);
    if (!s) return;
    if (!options.hashKey)
      return reply.code(503).send({ error: 'tracing needs the deployment key (--key-file)' });
    const b = (req.body ?? {}) as {
      type?: unknown;
      id?: unknown;
      from?: unknown;
      to?: unknown;
      window?: unknown;
      format?: unknown;
    };
    const type = ID_TYPES.find((t) => t === b.type);
    const id = typeof b.id === 'string' ? b.id.replace(/\s+/g, '').toUpperCase() : '';
    const day = (v: unknown) => (typeof v === 'string' && DAY.test(v) ? v : null);
    const from = day(b.from);
    const to = day(b.to);
    const window = typeof b.window === 'number' && b.window > 0 && b.window <= 720 ? b.window : 30;
    if (!type || !/^[0-9A-Z]{6,20}$/.test(id) || !from || !to)
      return reply.code(400).send({ error: 'type, id, from, to (YYYY-MM-DD) required' });
    const directory = await store.siteDirectory();
    const visits = (
      await store.trace(
        hashIdentity(options.hashKey, type, id).toString('hex'),
        new Date(`${from}T00:00:00+07:00`),
        new Date(Date.parse(`${to}T00:00:00+07:00`) + 86_400_000),
        window,
      )
    ).filter((v) => canSee(s.user, v.visit.site, directory));
    const csv = b.format === 'csv';
    await store.audit(s.user.phone, csv ? 'trace-export' : 'trace', {
      type,
      id: `…${id.slice(-4)}`,
      from,
      to,
      window,
      visits: visits.length,
    });
    if (csv)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="qrkiosk-trace-${from}-${to}.csv"`)
        .send(traceCsv(visits));
    return {
      coVisitors: visits.reduce((n, v) => n + v.coVisitors.length, 0),
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
  app.get('/healthz', async () => ({ ok: true, checkins: await store.checkinCount() }));
  app.register(async (scope) => {
    scope.get('/live', { websocket: true }, async (socket, req) => {
      // Listen first and queue everything until the session and snapshot are read: a check-in that
      // arrives meanwhile is filtered and sent after the snapshot, not lost.
      const queued: LiveMessage[] = [];
      let user: Session['user'] | undefined;
      let directory = new Map<string, SiteInfo>();
      const siteOf = (m: LiveMessage) =>
        m.type === 'checkin'
          ? m.checkin.site
          : m.type === 'kiosk'
            ? m.site
            : m.type === 'telemetry'
              ? m.telemetry.site
              : '';
      const visible = (site: string) => user !== undefined && canSee(user, site, directory);
      const write = (m: LiveMessage) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
      };
      const send = (m: LiveMessage) => {
        if (!user) queued.push(m);
        else if (visible(siteOf(m))) write(m);
      };
      const onCheckin = (checkin: CheckinMessage) => send({ type: 'checkin', checkin });
      const onKiosk = (k: { site: string; kiosk: string; state: string; lastSeen: string }) =>
        send({ type: 'kiosk', ...k });
      const onTelemetry = (telemetry: TelemetryMessage) => send({ type: 'telemetry', telemetry });
      ingest.on('checkin', onCheckin);
      ingest.on('kiosk', onKiosk);
      ingest.on('telemetry', onTelemetry);
      // The session is checked again every minute: a logout, an expiry or a narrowed scope (user add)
      // reaches an open page too.
      const sessionId = req.cookies[COOKIE];
      const recheck = setInterval(() => {
        void (async () => {
          const s = await store.users.session(sessionId);
          if (!s) socket.close(4401, 'session ended');
          else {
            user = s.user;
            directory = await store.siteDirectory();
          }
        })().catch(() => socket.close(1011, 'session check failed'));
      }, options.liveSessionCheckMs ?? LIVE_SESSION_CHECK_MS);
      socket.on('close', () => {
        clearInterval(recheck);
        ingest.off('checkin', onCheckin);
        ingest.off('kiosk', onKiosk);
        ingest.off('telemetry', onTelemetry);
      });
      const s = await session(req);
      if (!s) {
        socket.close(4401, 'login required');
        return;
      }
      const snapshotUser = s.user;
      directory = await store.siteDirectory();
      const [recent, kiosks, today] = await Promise.all([
        store.recent(100),
        store.kiosks(),
        store.countsSince(startOfVnDay(new Date())),
      ]);
      const inScope = (site: string) => canSee(snapshotUser, site, directory);
      // Every known site (registered or with a kiosk) is listed, those without a scan today at 0:
      // the page shows them as today's follow-up list.
      const counts = new Map(today.map((r) => [r.site, r.n]));
      const known = new Set([...directory.keys(), ...kiosks.map((k) => k.site), ...counts.keys()]);
      const snapshot: LiveMessage = {
        type: 'snapshot',
        checkins: recent.filter((c) => inScope(c.site)),
        kiosks: kiosks.filter((k) => inScope(k.site)),
        today: [...known]
          .filter(inScope)
          .sort()
          .map((site) => ({ site, n: counts.get(site) ?? 0 })),
      };
      const seen = new Set(snapshot.checkins.map((c) => c.id));
      user = snapshotUser;
      write(snapshot);
      for (const m of queued.splice(0))
        if (visible(siteOf(m)) && (m.type !== 'checkin' || !seen.has(m.checkin.id))) write(m);
    });
  });
  return app;
}
