import { ID_PATTERN } from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HubStore } from '../store.js';
import { ADMIN_ONLY, type KioskCommand, type KioskCommands } from '../use-cases/kiosk-commands.js';
import { canSee, type Session } from '../users.js';
import { fail } from './access.js';
import { NoQuery } from './schemas.js';

/** What the page may ask (`purge` stays with the CLI). */
const WEB_COMMANDS = [
  'selftest',
  'resync',
  'doctor',
  'alert-level',
  'rotate-credentials',
  'revoke-enrolment',
  'config-set',
  'config-get',
  'clear-tightening',
] as const satisfies readonly KioskCommand[];

export const KioskParams = Type.Object(
  { kiosk: Type.String({ pattern: ID_PATTERN, maxLength: 64 }) },
  { additionalProperties: false },
);
export type KioskParams = Static<typeof KioskParams>;

export const CommandBody = Type.Object(
  {
    command: Type.Union(WEB_COMMANDS.map((c) => Type.Literal(c))),
    level: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    key: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-zA-Z][a-zA-Z.]{0,63}$' })),
    value: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer(), Type.Boolean()])),
  },
  { additionalProperties: false },
);
export type CommandBody = Static<typeof CommandBody>;

/**
 * The kiosk page's buttons (the UI's hub/public/app/views/kiosk.js): POST a command, GET the history and
 * the last doctor report. An officer acts on the kiosks of the sites in their scope; changing a kiosk's
 * login or ending its enrolment is an admin's. A kiosk outside the caller's scope is answered as unknown
 * (404), so the page cannot be used to learn which kiosks exist elsewhere. No commands (no signing key
 * in hub.yaml): 503.
 */
export function commandRoutes(
  app: FastifyInstance,
  store: HubStore,
  commands: KioskCommands | undefined,
): void {
  const officer = ['officer'] as const;
  /** The kiosk page's history and doctor report: also a site owner's, for their own kiosks. */
  const readers = ['officer', 'site-owner'] as const;
  /** The kiosk's site when the session may act on it; otherwise the reply is sent and null returned. */
  const reachable = async (s: Session, kiosk: string, reply: FastifyReply): Promise<string | null> => {
    if (!commands) {
      fail(
        reply,
        503,
        'Trung tâm chưa bật lệnh tới kiosk (enrolment.signingKeyFile)',
        'Kiosk commands are off (enrolment.signingKeyFile)',
      );
      return null;
    }
    const site = await commands.siteOf(kiosk);
    if (!site || !canSee(s.user, site, await store.siteDirectory())) {
      fail(reply, 404, `Không có kiosk ${kiosk}`, `No kiosk ${kiosk}`);
      return null;
    }
    return site;
  };

  app.post<{ Params: KioskParams; Body: CommandBody }>(
    '/api/kiosks/:kiosk/commands',
    {
      config: { access: { who: [...officer], csrf: true } },
      schema: { params: KioskParams, body: CommandBody, querystring: NoQuery },
    },
    async (req, reply) => {
      const s = req.hubSession as Session;
      const { kiosk } = req.params;
      const { command } = req.body;
      if (ADMIN_ONLY.has(command) && s.user.role !== 'admin')
        return fail(reply, 403, 'Chỉ quản trị viên được làm việc này', 'Only an admin may do this');
      if (!(await reachable(s, kiosk, reply)) || !commands) return reply;
      const outcome = await commands.run({
        kiosk,
        command,
        ...(req.body.level !== undefined ? { level: req.body.level } : {}),
        ...(req.body.key !== undefined ? { key: req.body.key } : {}),
        ...(req.body.value !== undefined ? { value: req.body.value } : {}),
        actor: s.user.phone,
      });
      if (outcome.ok) return { ok: true, result: outcome.result };
      if (outcome.status === 200)
        return {
          ok: false,
          error: outcome.error,
          ...('result' in outcome ? { result: outcome.result } : {}),
        };
      return reply.code(outcome.status).send({ error: outcome.error });
    },
  );

  app.get<{ Params: KioskParams }>(
    '/api/kiosks/:kiosk/commands',
    { config: { access: { who: [...readers] } }, schema: { params: KioskParams, querystring: NoQuery } },
    async (req, reply) => {
      const s = req.hubSession as Session;
      const site = await reachable(s, req.params.kiosk, reply);
      if (!site || !commands) return reply;
      // A site owner sees what was done to their kiosk, not the officers' phone numbers.
      return commands.history(site, req.params.kiosk, { maskActors: s.user.role === 'site-owner' });
    },
  );

  app.get<{ Params: KioskParams }>(
    '/api/kiosks/:kiosk/doctor',
    { config: { access: { who: [...readers] } }, schema: { params: KioskParams, querystring: NoQuery } },
    async (req, reply) => {
      const site = await reachable(req.hubSession as Session, req.params.kiosk, reply);
      if (!site || !commands) return reply;
      const last = await commands.doctor(site, req.params.kiosk);
      if (!last)
        return fail(
          reply,
          404,
          'Chưa có báo cáo doctor của kiosk này',
          'No doctor report from this kiosk yet',
        );
      return last;
    },
  );
}
