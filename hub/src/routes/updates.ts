import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HubStore } from '../store.js';
import { UpdatesError } from '../updates/errors.js';
import { BUNDLE_NAME } from '../updates/releases.js';
import { Rollouts } from '../updates/rollouts.js';
import type { Session } from '../users.js';
import { fail } from './access.js';
import { NoBody, NoQuery } from './schemas.js';

const Kiosk = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const RolloutBody = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 64 }),
    canary: Type.Array(Kiosk, { minItems: 1, maxItems: 100 }),
    after: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 20 })),
    minHealthy: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
type RolloutBody = Static<typeof RolloutBody>;
const IdParams = Type.Object(
  { id: Type.String({ pattern: '^r-[0-9a-z-]{1,40}$' }) },
  { additionalProperties: false },
);
const FileParams = Type.Object({ file: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

/**
 * Releases and rollouts over HTTP, for admins (the same use case as `qrkiosk-hub rollout …`), and the bundles
 * themselves at GET /releases/<file>: public, since kiosks download without a session and check the release
 * signature and sha256 themselves — but only files `release add` recorded, so nothing else in the folder leaks.
 */
export function updateRoutes(app: FastifyInstance, store: HubStore, releasesDir: string | undefined): void {
  const rollouts = new Rollouts(store);
  const admin = { access: { who: ['admin' as const] } };
  const change = { access: { who: ['admin' as const], csrf: true } };
  const answer = (reply: FastifyReply, err: unknown) => {
    if (err instanceof UpdatesError) return fail(reply, err.status, err.text.vi, err.text.en);
    throw err;
  };

  app.get('/api/releases', { config: admin, schema: { querystring: NoQuery } }, () =>
    store.repo.releases.list(),
  );
  app.get('/api/rollouts', { config: admin, schema: { querystring: NoQuery } }, () => rollouts.list());
  app.post<{ Body: RolloutBody }>(
    '/api/rollouts',
    { config: change, schema: { body: RolloutBody } },
    async (req, reply) => {
      const s = req.hubSession as Session;
      try {
        return await rollouts.start(
          {
            version: req.body.version,
            canary: req.body.canary,
            ...(req.body.after ? { after: req.body.after } : {}),
            ...(req.body.minHealthy ? { minHealthy: req.body.minHealthy } : {}),
          },
          s.user.phone,
        );
      } catch (err) {
        return answer(reply, err);
      }
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(
      `/api/rollouts/:id/${action}`,
      { config: change, schema: { params: IdParams, body: NoBody } },
      async (req, reply) => {
        const s = req.hubSession as Session;
        try {
          return await rollouts[action](req.params.id, s.user.phone);
        } catch (err) {
          return answer(reply, err);
        }
      },
    );
  }

  app.get<{ Params: Static<typeof FileParams> }>(
    '/releases/:file',
    { config: { access: { who: 'public' } }, schema: { params: FileParams, querystring: NoQuery } },
    async (req, reply) => {
      const sig = req.params.file.endsWith('.sig');
      const file = sig ? req.params.file.slice(0, -4) : req.params.file;
      const known =
        releasesDir &&
        BUNDLE_NAME.test(file) &&
        (await store.repo.releases.list()).some((r) => r.file === file);
      const path = known ? join(releasesDir, req.params.file) : '';
      if (!known || !existsSync(path))
        return fail(reply, 404, 'Không có bản phát hành này', 'No such release');
      return reply
        .type(sig ? 'application/octet-stream' : 'application/gzip')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(createReadStream(path));
    },
  );
}
