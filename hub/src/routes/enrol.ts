import { ENROL_PATH, EnrolRequest } from '@qrkiosk/protocol';
import type { FastifyInstance } from 'fastify';
import { type Enrolment, refused } from '../use-cases/enrolment.js';
import { addressBucket } from './access.js';

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
    },
    async (req, reply) => {
      if (!enrolment) return reply.code(503).send(refused('enrolment-off').body);
      if (req.validationError) return reply.code(400).send(refused('bad-request').body);
      const r = await enrolment.redeem(req.body, req.ip);
      return reply.code(r.status).send(r.body);
    },
  );
}
