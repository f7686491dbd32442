import { ENROL_PATH, EnrolRequest } from '@qrkiosk/protocol';
import type { FastifyError, FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import { KioskAccountConflict } from '../dynsec-accounts.js';
import { type Enrolment, refused } from '../use-cases/enrolment.js';
import type { Session } from '../users.js';
import { addressBucket, fail } from './access.js';
import { EnrolmentCodeBody, NoQuery } from './schemas.js';

export interface EnrolRouteOptions {
  /** Redemptions allowed per address (IPv6: per /64) per minute (default 10). */
  enrolsPerMinute?: number;
}

/**
 * POST /api/enrol — a kiosk redeems its code (protocol/src/enrolment.ts). Public: the one-time token
 * is the credential. Answers 200 with a SignedGrant, or 4xx/5xx with an EnrolmentRefused (400 bad
 * request, 404 unknown code, 410 used/expired/withdrawn, 429 too many attempts, 502 broker failed,
 * 503 enrolment off). Guessing is bounded twice: 160-bit tokens, and per address by @fastify/rate-limit.
 * The body is a few hundred bytes; 4 KiB is refused before it is parsed.
 */
export function enrolRoute(
  app: FastifyInstance,
  enrolment: Enrolment | undefined,
  options: EnrolRouteOptions = {},
): void {
  app.post<{ Body: EnrolRequest }>(
    ENROL_PATH,
    {
      bodyLimit: 4096,
      // A malformed body is answered in the contract's shape (bad-request), not the hub's generic 400.
      attachValidation: true,
      config: {
        access: { who: 'public' },
        rateLimit: {
          max: options.enrolsPerMinute ?? 10,
          timeWindow: '1 minute',
          keyGenerator: (req) => addressBucket(req.ip),
          errorResponseBuilder: () =>
            Object.assign(new Error('too many enrolment attempts'), {
              statusCode: 429,
              refusal: refused('too-many-attempts').body,
            }),
        },
      },
      schema: { body: EnrolRequest },
      // Bodies refused before the handler (not JSON, over 4 KiB, another media type) and the rate limit
      // answer in the contract's shape too, so the kiosk shows the sentence that fits; a server fault
      // goes on to the hub's handler (logged, generic 500).
      errorHandler: (error: FastifyError & { refusal?: unknown }, _req, reply) => {
        const status = error.statusCode ?? 500;
        if (error.refusal) return reply.code(status).send(error.refusal);
        if (status >= 400 && status < 500) return reply.code(status).send(refused('bad-request').body);
        throw error;
      },
    },
    async (req, reply) => {
      if (!enrolment) return reply.code(503).send(refused('enrolment-off').body);
      if (req.validationError) return reply.code(400).send(refused('bad-request').body);
      const r = await enrolment.redeem(req.body, req.ip);
      return reply.code(r.status).send(r.body);
    },
  );
}

/**
 * POST /api/kiosk-codes — an admin makes a code on the page, through the same use case as
 * `qrkiosk-hub kiosk add`; the answer carries the code, its expiry and the code as an SVG QR (made
 * here with `qrcode`, so the page loads no script) for the technician to scan with the kiosk.
 */
export function enrolmentCodeRoute(
  app: FastifyInstance,
  enrolment: Enrolment | undefined,
  onError: (err: unknown) => void,
): void {
  app.post<{ Body: EnrolmentCodeBody }>(
    '/api/kiosk-codes',
    {
      config: { access: { who: ['admin'], csrf: true } },
      schema: { querystring: NoQuery, body: EnrolmentCodeBody },
    },
    async (req, reply) => {
      if (!enrolment)
        return fail(
          reply,
          503,
          'Trung tâm chưa bật đăng ký kiosk (hub.yaml: enrolment)',
          'Kiosk enrolment is off on this hub (hub.yaml: enrolment)',
        );
      const s = req.hubSession as Session;
      const b = req.body;
      let issued: Awaited<ReturnType<Enrolment['issue']>>;
      try {
        issued = await enrolment.issue({
          kiosk: b.kiosk,
          site: b.site,
          direction: b.direction ?? 'in',
          ...(b.hours !== undefined ? { hours: b.hours } : {}),
          by: s.user.phone,
        });
      } catch (err) {
        if (err instanceof KioskAccountConflict) return fail(reply, 409, err.text.vi, err.text.en);
        onError(err);
        return fail(
          reply,
          502,
          'Broker không tạo được tài khoản cho kiosk — xem nhật ký trung tâm',
          'The broker did not make the kiosk’s login — see the hub’s log',
        );
      }
      const svg = await QRCode.toString(issued.code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { code: issued.code, expiresAt: issued.expiresAt, svg };
    },
  );
}
