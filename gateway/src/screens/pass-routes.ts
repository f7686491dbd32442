import { isCheckinId, passCardsPage } from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import { ReceptionPassError, type ReceptionPasses } from '../passes/reception.js';
import type { ScreensGuard } from './guard.js';

/** `POST /api/pass`: one of today's check-ins to print a pass for. */
const PassBody = Type.Object({ checkinId: Type.String({ maxLength: 64 }) });
type PassBody = Static<typeof PassBody>;

/**
 * Reception's pass routes (issue #20): `POST /api/pass {checkinId}` asks the hub (passes/reception.ts)
 * behind the same token and Origin checks as a manual entry (not its per-minute cap: a reprint is no
 * new entry), and `GET /reception/pass/<passId>` is the A6 card to print — protocol's renderer, the
 * hub's layout. Cards live in the daemon's RAM only, and the page serves one only within PASS_PRINT_MS of
 * the hub's last answer for it (a reload, a history visit or the link later gets a 404, so a card revoked
 * since is not fetched anew; a tab already showing it can still print it); after that or a restart, the
 * button asks the hub again (the same pass comes back for the same check-in).
 */
export function passRoutes(
  app: FastifyInstance,
  guard: ScreensGuard,
  passes: ReceptionPasses | undefined,
  log: Logger,
): void {
  app.post<{ Body: PassBody }>(
    '/api/pass',
    { schema: { body: PassBody }, attachValidation: true },
    async (req, reply) => {
      if (!guard.staffAllowed(req, reply)) return reply;
      if (req.validationError || !isCheckinId(req.body.checkinId))
        return reply.code(400).send({
          error: { vi: 'Cần một lượt check-in hôm nay', en: "One of today's check-ins is required" },
          code: 'bad-checkin-id',
        });
      if (!passes)
        return reply.code(503).send({
          error: { vi: 'Kiosk này không nối với trung tâm', en: 'This kiosk has no link to the hub' },
          code: 'hub-offline',
        });
      try {
        const card = await passes.issue(req.body.checkinId);
        return {
          passId: card.passId,
          validUntil: card.validUntil,
          issuer: card.issuer,
          nameMasked: card.nameMasked,
        };
      } catch (err) {
        if (err instanceof ReceptionPassError)
          return reply.code(err.status).send({ error: err.text, code: err.code });
        log.error({ err }, 'printing a pass failed');
        return reply
          .code(500)
          .send({ error: { vi: 'Lỗi cấp thẻ', en: 'Could not issue the pass' }, code: 'pass-failed' });
      }
    },
  );
  app.get<{ Params: { passId: string } }>('/reception/pass/:passId', async (req, reply) => {
    const card = /^[0-9a-f]{20}$/.test(req.params.passId) ? passes?.card(req.params.passId) : undefined;
    if (!card)
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(
          'Không còn thẻ này trên kiosk: bấm "In thẻ QR" lại ở trang lễ tân\nThis card is no longer on the kiosk: press "Print pass" again on the reception page\n',
        );
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(await passCardsPage([card], 'a6'));
  });
}
