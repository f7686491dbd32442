import { badDayMessage, parseDay, vnYesterday } from '@qrkiosk/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { reportCsv, reportPage, scopeReport } from '../report-view.js';
import type { HubStore, SiteInfo } from '../store.js';
import { traceCsv } from '../tracing/csv.js';
import { tracePrintPage } from '../tracing/print.js';
import { RevealError, readTracingKeys } from '../tracing/reveal.js';
import { checkTrace, runTrace } from '../use-cases/trace.js';
import { canSee, type Session, type User } from '../users.js';
import { fail } from './access.js';
import { PrintQuery, ReportQuery, TraceBody } from './schemas.js';

/** Whether a user may ask for an area: their scope names it, or covers a registered site in it. */
export function canSeeArea(user: User, area: string, directory: ReadonlyMap<string, SiteInfo>): boolean {
  if (user.sites.includes('*') || user.sites.includes(area)) return true;
  const [kind, code] = area.split(':');
  for (const s of directory.values())
    if (
      ((kind === 'district' && s.district === code) || (kind === 'ward' && s.ward === code)) &&
      canSee(user, s.site, directory)
    )
      return true;
  return false;
}

/** Reports (JSON, CSV, printable page) and contact tracing; every call audited. */
export function reportRoutes(app: FastifyInstance, store: HubStore, options: { hashKey?: Buffer }): void {
  /** The day asked for (refused with 400 when not a real day), or yesterday: a 06:00 report's day. */
  const dayOf = (reply: FastifyReply, day: string | undefined): string | null => {
    if (day === undefined) return vnYesterday(new Date());
    const ok = parseDay(day);
    if (!ok) {
      const m = badDayMessage('day', day);
      void fail(reply, 400, m.vi, m.en);
    }
    return ok;
  };
  /** The stored report (made at 06:00, what was sent to the province) or one computed now; scoped. */
  const reportFor = async (s: Session, day: string, area: string | undefined, dir: Map<string, SiteInfo>) => {
    const saved = await store.savedReport(day);
    const report = saved?.report ?? (await store.dailyReport(day));
    return {
      generatedAt: saved?.generatedAt ?? null,
      report: scopeReport(report, (site) => canSee(s.user, site, dir), area),
    };
  };
  /** The report route's common part: day, area in scope, audit. Null when a reply was sent. */
  const prepare = async (
    s: Session,
    reply: FastifyReply,
    q: { day?: string; area?: string },
    format: string,
  ) => {
    const day = dayOf(reply, q.day);
    if (!day) return null;
    const dir = await store.siteDirectory();
    if (q.area && !canSeeArea(s.user, q.area, dir)) {
      void fail(reply, 403, 'Địa bàn này ngoài phạm vi của bạn', 'This area is outside your scope');
      return null;
    }
    const { report, generatedAt } = await reportFor(s, day, q.area, dir);
    await store.audit(s.user.phone, 'report', { day, format, area: q.area ?? null });
    return { day, dir, report, generatedAt };
  };
  const reporters = { config: { access: { who: ['officer', 'site-owner'] as Session['user']['role'][] } } };

  app.get<{ Querystring: ReportQuery }>(
    '/api/report',
    { ...reporters, schema: { querystring: ReportQuery } },
    async (req, reply) => {
      const q = req.query;
      const r = await prepare(req.hubSession as Session, reply, q, q.format ?? 'json');
      if (!r) return reply;
      if (q.format !== 'csv') return { ...r.report, generatedAt: r.generatedAt };
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="qrkiosk-report-${r.day}.csv"`)
        .send(reportCsv(r.report));
    },
  );
  // The printable report: a plain page, Vietnamese with English in small type, made for paper.
  app.get<{ Querystring: PrintQuery }>(
    '/report',
    { config: { access: { ...reporters.config.access, page: true } }, schema: { querystring: PrintQuery } },
    async (req, reply) => {
      const r = await prepare(req.hubSession as Session, reply, req.query, 'print');
      if (!r) return reply;
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(reportPage(r.report, r.generatedAt, r.dir));
    },
  );

  app.post<{ Body: TraceBody }>(
    '/api/trace',
    { config: { access: { who: ['tracer'], csrf: true } }, schema: { body: TraceBody } },
    async (req, reply) => {
      const s = req.hubSession as Session;
      if (!options.hashKey)
        return fail(
          reply,
          503,
          'Truy vết cần khóa triển khai (--key-file)',
          'Tracing needs the deployment key (--key-file)',
        );
      const b = req.body;
      const checked = checkTrace(b);
      if (!checked.ok) return fail(reply, 400, checked.problem.vi, checked.problem.en);
      const format = b.format ?? 'json';
      try {
        // The key lives in this request's body and these locals only: not logged, stored or audited.
        const keys = b.reveal ? readTracingKeys([b.reveal.key]) : undefined;
        const directory = await store.siteDirectory();
        const result = await runTrace(store, options.hashKey, checked.query, {
          actor: s.user.phone,
          format,
          visible: (site) => canSee(s.user, site, directory),
          ...(keys ? { keys } : {}),
        });
        // Revealed identities must not linger in a shared cache or the browser's.
        void reply.header('cache-control', 'no-store');
        const name = `qrkiosk-trace-${checked.query.from}-${checked.query.to}`;
        if (format === 'csv')
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}.csv"`)
            .send(traceCsv(result));
        if (format === 'print')
          return reply
            .type('text/html; charset=utf-8')
            .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
            .send(tracePrintPage(result));
        return result;
      } catch (err) {
        if (err instanceof RevealError) return fail(reply, 400, err.text.vi, err.text.en);
        throw err;
      }
    },
  );
}
