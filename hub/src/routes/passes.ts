import type { KeyObject } from 'node:crypto';
import {
  FactsCsvError,
  hashIdentity,
  maskName,
  parseFactsCsvIdentity,
  passCardsPage,
} from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PassIssueError, passError } from '../passes/errors.js';
import type { SiteInfo } from '../storage/index.js';
import { officerPass, type PassQuery } from '../storage/passes.js';
import type { PassRow } from '../storage/repository.js';
import type { HubStore } from '../store.js';
import {
  issuePass,
  issuePassesFromCsv,
  MAX_PASS_DAYS,
  type PassDeps,
  passCards,
  revokePass,
} from '../use-cases/passes.js';
import { canSee, type Session, type User } from '../users.js';
import { NoQuery } from './schemas.js';

export interface PassRouteOptions {
  signing?: { privateKey: KeyObject; publicKey: KeyObject };
  hashKey?: Buffer;
  /** hub.yaml passes.province and passes.validDays (use-cases/passes.ts). */
  province?: string | null;
  validDays?: number;
  /**
   * The daemon's pass-list publisher (passes/publisher.ts), asked after every issue and revoke; it logs
   * its own failures. None: `qrkiosk-hub pass publish` does.
   */
  publisher?: { request(): Promise<{ version: number }> };
  onError?: (err: unknown) => void;
  /** How long a revoke waits for its list to reach the broker before answering (default 10 s). */
  revokeWaitMs?: number;
}

/**
 * A revoke's list, awaited up to `ms` so the officer is told whether kiosks have been sent it (review 2
 * finding 5), and why not (review 3 finding 3): still being sent (the wait ran out: it very likely
 * arrives), the broker out of reach (the publisher asks again within a minute), a list the hub cannot
 * make (its own vi/en reason: no retry fixes it), or no publisher in this process.
 */
async function revokeSent(
  publisher: PassRouteOptions['publisher'],
  ms: number,
): Promise<{ sent: boolean; version?: number; text: { vi: string; en: string } }> {
  if (!publisher)
    return {
      sent: false,
      text: {
        vi: 'Hub này không tự gửi danh sách thẻ: chạy "qrkiosk-hub pass publish" để kiosk nhận được',
        en: 'This hub does not send the pass list itself: run "qrkiosk-hub pass publish" for kiosks to get it',
      },
    };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const r = await Promise.race([
    publisher.request().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
    late,
  ]).finally(() => clearTimeout(timer));
  if (r === 'late')
    return {
      sent: false,
      text: {
        vi: 'Đã khóa; danh sách thẻ ĐANG được gửi đến kiosk (máy chủ tin nhắn trả lời chậm). Tải lại trang sau ít phút để kiểm tra',
        en: 'Revoked; the pass list is STILL being sent to kiosks (the broker is slow to answer). Reload the page in a few minutes to check',
      },
    };
  if (r instanceof PassIssueError)
    return {
      sent: false,
      text: {
        vi: `Đã khóa nhưng KHÔNG tạo được danh sách thẻ: ${r.text.vi}. Kiosk chưa nhận việc khóa này cho đến khi lỗi được sửa`,
        en: `Revoked but the pass list could NOT be made: ${r.text.en}. Kiosks will not get this revoke until that is fixed`,
      },
    };
  if (r instanceof Error)
    return {
      sent: false,
      text: {
        vi: 'Đã khóa nhưng CHƯA gửi được danh sách thẻ đến kiosk (mất kết nối máy chủ tin nhắn); trung tâm thử lại sau khoảng 1 phút. Cho đến khi gửi được, kiosk vẫn nhận thẻ này',
        en: 'Revoked but the pass list has NOT reached kiosks yet (broker unreachable); the hub tries again in about a minute. Until then kiosks still accept this card',
      },
    };
  return {
    sent: true,
    version: r.version,
    text: {
      vi: `Đã khóa và đã gửi danh sách thẻ ${r.version} đến các kiosk; kiosk đang kết nối nhận được trong vài giây`,
      en: `Revoked and pass list ${r.version} sent to kiosks; connected kiosks have it within seconds`,
    },
  };
}

const Scope = Type.Object(
  {
    kind: Type.Union([Type.Literal('site'), Type.Literal('ward'), Type.Literal('province')]),
    id: Type.String({ minLength: 1, maxLength: 32 }),
  },
  { additionalProperties: false },
);
// The issuer printed on the card: required for a ward or province (use-cases/passes.ts says so in vi/en).
const Issuer = Type.Optional(Type.String({ maxLength: 80 }));
// No holder hash from a browser: an officer names a person by their document, never binds a card to
// an arbitrary hash (review finding 7). A technician's `pass issue --id-hash` is audited with it.
const IssueBody = Type.Object(
  {
    idType: Type.String({ minLength: 1, maxLength: 16 }),
    id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    scope: Scope,
    validDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PASS_DAYS })),
    issuer: Issuer,
  },
  { additionalProperties: false },
);
const CsvBody = Type.Object(
  {
    csv: Type.String({ minLength: 1, maxLength: 1_000_000 }),
    scope: Scope,
    validDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PASS_DAYS })),
    issuer: Issuer,
  },
  { additionalProperties: false },
);
const PassParams = Type.Object(
  { passId: Type.String({ pattern: '^[0-9a-f]{20}$' }) },
  { additionalProperties: false },
);
const RevokeBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const ListQuery = Type.Object({ all: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const PrintQuery = Type.Object(
  {
    ids: Type.String({ pattern: '^[0-9a-f]{20}(,[0-9a-f]{20}){0,199}$' }),
    layout: Type.Optional(Type.Union([Type.Literal('a6'), Type.Literal('a4')])),
  },
  { additionalProperties: false },
);

/**
 * Whether a user may issue or revoke passes of a scope: a site they see; a ward they hold (ward:<id>)
 * or whose sites are in a district they hold; a province only with every site (`*`).
 */
export function mayIssue(user: User, kind: string, id: string, dir: ReadonlyMap<string, SiteInfo>): boolean {
  if (user.role === 'admin' || user.sites.includes('*')) return true;
  if (kind === 'site') return canSee(user, id, dir);
  if (kind === 'ward')
    return (
      user.sites.includes(`ward:${id}`) ||
      [...dir.values()].some((s) => s.ward === id && user.sites.includes(`district:${s.district}`))
    );
  return false;
}

/**
 * mayIssue as a query filter (storage/passes.ts `visible`): the sites and wards whose passes a user
 * sees; undefined: all of them. Filtered in SQL, before the LIMIT (review finding 5).
 */
export function visibleTo(user: User, dir: ReadonlyMap<string, SiteInfo>): PassQuery['visible'] {
  if (user.role === 'admin' || user.sites.includes('*')) return undefined;
  const sites = [...dir.keys()].filter((site) => canSee(user, site, dir));
  const wards = new Set(user.sites.filter((s) => s.startsWith('ward:')).map((s) => s.slice(5)));
  for (const s of dir.values()) if (user.sites.includes(`district:${s.district}`)) wards.add(s.ward);
  return {
    sites: [...new Set([...sites, ...user.sites.filter((s) => !s.includes(':'))])],
    wards: [...wards],
  };
}

const refuseScope = () =>
  passError('bad-scope', 'Phạm vi này nằm ngoài quyền của bạn', 'this scope is outside your own');

/**
 * Printed passes on the hub (issue #20), over the use case the CLI uses (use-cases/passes.ts): an
 * officer (or admin) issues one pass or a CSV batch for an area they hold, lists and revokes them,
 * and opens the print page. A PassIssueError reaches the error handler with its status and {vi, en}.
 */
export function passRoutes(app: FastifyInstance, store: HubStore, options: PassRouteOptions): void {
  const officer = { access: { who: ['officer' as const] } };
  const officerChange = { access: { who: ['officer' as const], csrf: true } };
  const deps: PassDeps = {
    store,
    ...(options.signing ? { signing: options.signing } : {}),
    ...(options.hashKey ? { hashKey: options.hashKey } : {}),
    ...(options.province !== undefined ? { province: options.province } : {}),
    ...(options.validDays ? { validDays: options.validDays } : {}),
  };
  const user = (s: Session | null) => (s as Session).user;
  const check = async (s: Session | null, kind: string, id: string) => {
    if (!mayIssue(user(s), kind, id, await store.siteDirectory())) throw refuseScope();
  };
  // The list goes out in the background (the publisher logs a failure): until a kiosk has it, the
  // card there is REVIEW pass-unlisted, and a revoked one still its holder's.
  const publish = () => {
    options.publisher?.request().catch(() => undefined);
  };

  app.post<{ Body: Static<typeof IssueBody> }>(
    '/api/passes',
    { config: officerChange, schema: { querystring: NoQuery, body: IssueBody } },
    async (req, reply) => {
      const b = req.body;
      await check(req.hubSession, b.scope.kind, b.scope.id);
      if (!options.hashKey)
        throw passError(
          'no-key',
          'Hub chưa có khóa băm (privacy.hashKeyFile)',
          'the hub has no hash key (privacy.hashKeyFile)',
        );
      let idHash: string;
      try {
        const who = parseFactsCsvIdentity([b.idType, b.id], { id_type: 0, id: 1 });
        idHash = hashIdentity(options.hashKey, who.type, who.id).toString('hex');
      } catch (err) {
        if (err instanceof FactsCsvError)
          throw passError(
            'bad-hash',
            `Số giấy tờ không hợp lệ: ${err.message}`,
            `bad document number: ${err.message}`,
          );
        throw err;
      }
      const issued = await issuePass(deps, {
        idHash,
        nameMasked: maskName(b.name),
        scope: b.scope,
        ...(b.validDays ? { validDays: b.validDays } : {}),
        ...(b.issuer ? { issuer: b.issuer } : {}),
        issuedBy: user(req.hubSession).phone,
      });
      publish();
      void reply.code(201);
      return issued;
    },
  );

  app.post<{ Body: Static<typeof CsvBody> }>(
    '/api/passes/csv',
    // 1,000,000 characters of Vietnamese are up to 3 bytes each in UTF-8 (ắ, ộ, ữ: U+1E00–U+1EFF),
    // plus JSON's escapes of quotes and line ends: the schema, not the byte limit, refuses a long file.
    { config: officerChange, bodyLimit: 3_300_000, schema: { querystring: NoQuery, body: CsvBody } },
    async (req, reply) => {
      const b = req.body;
      await check(req.hubSession, b.scope.kind, b.scope.id);
      const r = await issuePassesFromCsv(deps, b.csv, {
        scope: b.scope,
        ...(b.validDays ? { validDays: b.validDays } : {}),
        ...(b.issuer ? { issuer: b.issuer } : {}),
        issuedBy: user(req.hubSession).phone,
      });
      if (r.problems.length)
        return reply.code(400).send({
          error: {
            vi: `${r.problems.length} dòng lỗi: không cấp thẻ nào`,
            en: `${r.problems.length} bad rows: no pass issued`,
          },
          problems: r.problems,
        });
      publish();
      void reply.code(201);
      return r;
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/passes',
    { config: officer, schema: { querystring: ListQuery } },
    async (req) => {
      const visible = visibleTo(user(req.hubSession), await store.siteDirectory());
      const rows = await store.repo.passes.list({
        revoked: req.query.all ?? false,
        ...(visible ? { visible } : {}),
      });
      // Keyed hashes (the holder's, the links) stay in the database.
      return rows.map(officerPass);
    },
  );

  app.post<{ Params: Static<typeof PassParams>; Body: Static<typeof RevokeBody> }>(
    '/api/passes/:passId/revoke',
    { config: officerChange, schema: { params: PassParams, querystring: NoQuery, body: RevokeBody } },
    async (req) => {
      const row = await store.repo.passes.get(req.params.passId);
      if (!row) throw passError('no-pass', 'Không có thẻ này', 'no such pass');
      await check(req.hubSession, row.scopeKind, row.scopeId);
      // Reaches kiosks in the next pass list, sent now and awaited (revoked entries travel in it).
      const r = await revokePass(deps, {
        passId: row.passId,
        reason: req.body.reason,
        revokedBy: user(req.hubSession).phone,
      });
      if (!r.revoked) return { revoked: false, revokedAt: r.pass.revokedAt };
      const list = await revokeSent(options.publisher, options.revokeWaitMs ?? 10_000);
      return { revoked: true, revokedAt: r.pass.revokedAt, list };
    },
  );

  app.get<{ Querystring: Static<typeof PrintQuery> }>(
    '/passes/print',
    { config: { access: { who: ['officer' as const], page: true } }, schema: { querystring: PrintQuery } },
    async (req, reply) => {
      const dir = await store.siteDirectory();
      const u = user(req.hubSession);
      const rows: PassRow[] = [];
      for (const id of req.query.ids.split(',')) {
        const r = await store.repo.passes.get(id);
        if (r && !r.revokedAt && mayIssue(u, r.scopeKind, r.scopeId, dir)) rows.push(r);
      }
      if (rows.length === 0) throw passError('no-pass', 'Không có thẻ nào để in', 'no pass to print');
      const html = await passCardsPage(await passCards(deps, rows), req.query.layout ?? 'a6');
      // As the report page: no script at all, the inline style and the inline SVG QR only.
      return reply
        .header('cache-control', 'no-store')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .type('text/html; charset=utf-8')
        .send(html);
    },
  );
}
