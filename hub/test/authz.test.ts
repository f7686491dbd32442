/**
 * The authorisation matrix (issue #12): every route the hub registers × no session and each role ×
 * a resource in and out of the caller's scope → the expected status. The routes are read from
 * Fastify itself, so a route added without a line in this table fails here.
 */
import { vnDay } from '@qrkiosk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Role as HubRole } from '../src/index.js';
import { ENGINES } from './engines.js';
import { httpHub, registeredRoutes } from './http-server.js';
import { logIn } from './session.js';

type Caller = 'anonymous' | HubRole;
const CALLERS: Caller[] = ['anonymous', 'admin', 'officer', 'site-owner', 'tracer'];
const USERS: Record<HubRole, { phone: string; sites: string[] }> = {
  admin: { phone: '0900000001', sites: ['*'] },
  officer: { phone: '0900000002', sites: ['district:760'] },
  'site-owner': { phone: '0900000003', sites: ['s-002'] },
  tracer: { phone: '0900000004', sites: ['*'] },
};
const PASSWORD = 'matrix-password';
const TODAY = vnDay(new Date());

interface Entry {
  /** public: anyone; session: any role; else those roles (and admin). */
  who: 'public' | 'session' | HubRole[];
  csrf?: boolean;
  /** A query or body for the request; `area` chooses in or out of the caller's scope. */
  request?: (area: string | undefined) => { query?: string; body?: unknown; path?: string };
  /** The route takes an area: out of the caller's scope is 403. */
  scoped?: boolean;
  /** Each call ends the session (logout): a fresh one per call. */
  endsSession?: boolean;
  websocket?: boolean;
  /** The status when allowed, when not 200 (enrolment is off in this hub: 503 enrolment-off). */
  answers?: number;
  /** The status when allowed, for some callers (a resource out of their scope). */
  answersFor?: Partial<Record<Caller, number>>;
  /** A page opened in a browser: without a session it redirects to the login form (303), not 401. */
  page?: boolean;
}

/** The table. A route missing here fails the first test. */
const ROUTES: Record<string, Entry> = {
  'GET /': { who: 'public' },
  // The page's modules and style sheet (routes/page.ts): public like the page itself.
  'GET /app/*': { who: 'public', request: () => ({ path: '/app/app.js' }) },
  // This hub's ingest is not started (no broker): the health check answers 503, mqtt down.
  'GET /healthz': { who: 'public', answers: 503 },
  // A scraper's token or address opens it too (metrics.test.ts); a session, only an admin's.
  'GET /metrics': { who: ['admin'] },
  'POST /api/login': {
    who: 'public',
    request: () => ({ body: { phone: USERS.admin.phone, password: PASSWORD } }),
  },
  'GET /api/me': { who: 'session' },
  'POST /api/logout': { who: 'session', csrf: true, endsSession: true, request: () => ({ body: {} }) },
  'GET /api/checkins': { who: 'session' },
  'GET /api/hourly': { who: 'session' },
  'GET /api/kiosks': { who: 'session' },
  'GET /api/sites': { who: 'session' },
  'GET /api/alerts': { who: 'session' },
  'GET /api/fleet': { who: 'session' },
  'GET /api/fleet/freshness': { who: 'session' },
  // k-001 is at s-001: outside the site owner's scope, it answers 404 like an unknown kiosk.
  'GET /api/kiosks/:kiosk': {
    who: 'session',
    request: () => ({ path: '/api/kiosks/k-001' }),
    answersFor: { 'site-owner': 404 },
  },
  'POST /api/sites': {
    who: ['admin'],
    csrf: true,
    request: () => ({ body: [{ site: 's-009', name: 'Mới', district: '760', ward: '26743' }] }),
  },
  'GET /api/report': {
    who: ['officer', 'site-owner'],
    scoped: true,
    request: (area) => ({ query: `day=${TODAY}${area ? `&area=${area}` : ''}` }),
  },
  'GET /report': {
    who: ['officer', 'site-owner'],
    page: true,
    scoped: true,
    request: (area) => ({ query: `day=${TODAY}${area ? `&area=${area}` : ''}` }),
  },
  'POST /api/trace': {
    who: ['tracer'],
    csrf: true,
    request: () => ({ body: { type: 'cccd', id: '079090001234', from: TODAY, to: TODAY } }),
  },
  'GET /live': { who: 'session', websocket: true },
  // Admins make codes on the page; this hub runs without enrolment, so an allowed call gets 503.
  'POST /api/kiosk-codes': {
    who: ['admin'],
    csrf: true,
    answers: 503,
    request: () => ({ body: { site: 's-001', kiosk: 'k-009' } }),
  },
  // Users on the page (routes/users.ts; their own tests: users-web.test.ts).
  'GET /api/users': { who: ['admin'] },
  'POST /api/users': {
    who: ['admin'],
    csrf: true,
    answers: 201,
    request: () => ({ body: { phone: '0900000099', role: 'officer', sites: ['s-001'], password: PASSWORD } }),
  },
  // An e-mail alone ends no session: the officer's session of this table stays open.
  'PATCH /api/users/:phone': {
    who: ['admin'],
    csrf: true,
    request: () => ({ path: `/api/users/${USERS.officer.phone}`, body: { email: 'officer@example.vn' } }),
  },
  'POST /api/users/:phone/reset': {
    who: ['admin'],
    csrf: true,
    request: () => ({ path: `/api/users/${USERS.tracer.phone}/reset`, body: {} }),
  },
  // Everyone changes their own password (here to the same one: the table's sessions stay valid).
  'POST /api/me/password': {
    who: 'session',
    csrf: true,
    request: () => ({ body: { oldPassword: PASSWORD, newPassword: PASSWORD } }),
  },
  // The code is the credential: a wrong one is refused (400) to anyone, in both languages.
  'POST /api/password-reset': {
    who: 'public',
    answers: 400,
    request: () => ({ body: { phone: '0900000005', code: 'AAAA-BBBB-CCCC', password: PASSWORD } }),
  },
  // Kiosk commands need the hub's signing key (enrolment); this hub has none, so an allowed call gets 503.
  'POST /api/kiosks/:kiosk/commands': {
    who: ['officer'],
    csrf: true,
    answers: 503,
    request: () => ({ path: '/api/kiosks/k-001/commands', body: { command: 'selftest' } }),
  },
  'GET /api/kiosks/:kiosk/commands': {
    who: ['officer', 'site-owner'],
    answers: 503,
    request: () => ({ path: '/api/kiosks/k-001/commands' }),
  },
  'GET /api/kiosks/:kiosk/doctor': {
    who: ['officer', 'site-owner'],
    answers: 503,
    request: () => ({ path: '/api/kiosks/k-001/doctor' }),
  },
  // Software updates (routes/updates.ts; flows in rollouts.test.ts and integration/software-rollout.test.ts).
  'GET /api/releases': { who: ['admin'] },
  'GET /api/rollouts': { who: ['admin'] },
  // Printed passes (routes/passes.ts; their own tests: pass-http.test.ts). This hub has no signing key:
  // an allowed issue is refused for that (503), after access, csrf and the scope (s-001 is the officer's).
  'GET /api/passes': { who: ['officer'] },
  'POST /api/passes': {
    who: ['officer'],
    csrf: true,
    answers: 503,
    request: () => ({
      body: {
        idType: 'phone',
        id: '0912345678',
        name: 'Trần Văn Bình',
        scope: { kind: 'site', id: 's-001' },
      },
    }),
  },
  'POST /api/passes/csv': {
    who: ['officer'],
    csrf: true,
    answers: 503,
    request: () => ({
      body: {
        csv: 'id_type,id,name\nphone,0912345678,Trần Văn Bình\n',
        scope: { kind: 'site', id: 's-001' },
      },
    }),
  },
  'POST /api/passes/:passId/revoke': {
    who: ['officer'],
    csrf: true,
    answers: 404,
    request: () => ({ path: `/api/passes/${'ab'.repeat(10)}/revoke`, body: { reason: 'mất thẻ' } }),
  },
  'GET /passes/print': {
    who: ['officer'],
    page: true,
    answers: 404,
    request: () => ({ query: `ids=${'ab'.repeat(10)}` }),
  },
  // No release was added to this hub: an allowed start is refused for that (400), after access and csrf.
  'POST /api/rollouts': {
    who: ['admin'],
    csrf: true,
    answers: 400,
    request: () => ({ body: { version: '9.9.9', canary: ['k-001'] } }),
  },
  'POST /api/rollouts/:id/pause': {
    who: ['admin'],
    csrf: true,
    answers: 404,
    request: () => ({ path: '/api/rollouts/r-none/pause', body: {} }),
  },
  'POST /api/rollouts/:id/resume': {
    who: ['admin'],
    csrf: true,
    answers: 404,
    request: () => ({ path: '/api/rollouts/r-none/resume', body: {} }),
  },
  // Kiosks download without a session; only files `release add` recorded (none here: 404).
  'GET /releases/:file': {
    who: 'public',
    answers: 404,
    request: () => ({ path: '/releases/qrkiosk-9.9.9-linux-arm64.tar.gz' }),
  },
  // The one-time token is the credential (routes/enrol.ts; its own tests: enrolment.test.ts).
  'POST /api/enrol': {
    who: 'public',
    answers: 503,
    request: () => ({
      body: {
        schema: 'qrkiosk.enrol-request/1',
        token: 'A'.repeat(32),
        publicKey: 'MCowBQYDK2VuAyEA',
        software: 'matrix',
      },
    }),
  },
};
/** An area in and one out of each caller's scope (s-001 is in district 760, s-002 in 770). */
const AREAS: Record<HubRole, { in: string; out?: string }> = {
  admin: { in: 'district:770' },
  officer: { in: 'district:760', out: 'district:770' },
  'site-owner': { in: 'ward:27139', out: 'district:760' },
  tracer: { in: 'district:760' },
};

const allowed = (e: Entry, caller: Caller) =>
  e.who === 'public' ||
  (caller !== 'anonymous' && (e.who === 'session' || caller === 'admin' || e.who.includes(caller)));

describe.each(ENGINES)('authorisation matrix on %s', (engine) => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  const sessions = new Map<HubRole, { cookie: string; csrf: string }>();
  beforeAll(async () => {
    hub = await httpHub(engine, { loginsPerMinute: 1000 });
    await hub.store.registerSites([
      { site: 's-001', name: 'Chợ', district: '760', ward: '26743' },
      { site: 's-002', name: 'Siêu thị', district: '770', ward: '27139' },
    ]);
    await hub.store.setKioskState('s-001', 'k-001', 'online', new Date());
    for (const [role, u] of Object.entries(USERS) as Array<[HubRole, (typeof USERS)[HubRole]]>) {
      await hub.store.users.add(u.phone, PASSWORD, role, u.sites);
      sessions.set(role, await logIn(hub.address, u.phone, PASSWORD));
    }
  });
  afterAll(async () => hub?.stop());

  it('every registered route has a line in the table, and every line a route', () => {
    expect(registeredRoutes(hub.app)).toEqual(Object.keys(ROUTES).sort());
  });

  const call = async (key: string, caller: Caller, options: { csrf: boolean; area?: string }) => {
    const e = ROUTES[key] as Entry;
    const [method, route] = key.split(' ') as [string, string];
    let s = caller === 'anonymous' ? undefined : sessions.get(caller);
    if (s && e.endsSession) s = await logIn(hub.address, USERS[caller as HubRole].phone, PASSWORD);
    const r = e.request?.(options.area) ?? {};
    const path = r.path ?? route;
    if (e.websocket) return liveStatus(path, s?.cookie);
    const res = await fetch(`${hub.address}${path}${r.query ? `?${r.query}` : ''}`, {
      method,
      headers: {
        ...(s ? { cookie: s.cookie } : {}),
        ...(s && options.csrf ? { 'x-csrf-token': s.csrf } : {}),
        ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
      redirect: 'manual',
    });
    return res.status;
  };
  /** A WebSocket's answer as a status: 200 for a snapshot, 401 for a close with 4401. */
  const liveStatus = (path: string, cookie: string | undefined) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${hub.address.replace('http', 'ws')}${path}`, {
        headers: cookie ? { cookie } : {},
      });
      // Resolved once the socket is closed, never left open: a live socket still closing when the
      // suite ends kept the hub's close waiting past the hook timeout on a loaded machine.
      let answer = 0;
      ws.once('message', (data) => {
        answer = (JSON.parse(String(data)) as { type: string }).type === 'snapshot' ? 200 : -1;
        ws.close();
      });
      ws.once('close', (code) => resolve(answer > 0 ? answer : code === 4401 ? 401 : answer || code));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });

  it.each(Object.keys(ROUTES))(
    '%s: 401 without a session, 403 out of role, scope or without CSRF, 200 in',
    async (key) => {
      const e = ROUTES[key] as Entry;
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const caller of CALLERS) {
        const area = caller === 'anonymous' ? undefined : AREAS[caller];
        const refused = caller === 'anonymous' ? (e.page ? 303 : 401) : 403;
        const expected = !allowed(e, caller) ? refused : (e.answersFor?.[caller] ?? e.answers ?? 200);
        want[caller] = expected;
        got[caller] = await call(key, caller, { csrf: true, area: e.scoped ? area?.in : undefined });
        if (e.csrf && expected === 200) {
          want[`${caller} without CSRF`] = 403;
          got[`${caller} without CSRF`] = await call(key, caller, { csrf: false });
        }
        if (e.scoped && expected === 200 && area?.out) {
          want[`${caller} out of scope`] = 403;
          got[`${caller} out of scope`] = await call(key, caller, { csrf: true, area: area.out });
        }
      }
      expect(got).toEqual(want);
    },
  );
});
