import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { CheckinMessage } from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { reason } from '../decide/index.js';
import type { Text } from '../i18n.js';

/** `POST /api/pin`'s body. */
export const PinBody = Type.Object({ pin: Type.String({ maxLength: 200 }) });
export type PinBody = Static<typeof PinBody>;
/**
 * Manual entries accepted per minute. A receptionist types one in 15 s or more; a forging script
 * put 300 in 0.49 s. Twenty a minute leaves a desk room and an attacker nothing worth the noise.
 */
export const MANUAL_PER_MINUTE = 20;
/** Wrong reception PINs tolerated per minute before the PIN form waits. */
const PIN_TRIES_PER_MINUTE = 5;
export const PIN_COOKIE = 'qrk_reception';

/**
 * What the reception page (staff only) shows of a check-in: masked name and number and the specific
 * reason (F0, F1, card colour), never the identity hash. The public verdict screen never gets these.
 */
export interface ScreenCheckin {
  id: string;
  at: string;
  direction: CheckinMessage['direction'];
  verdict: CheckinMessage['verdict'];
  reason: Text & { code: string };
  /** A repeat inside the duplicate window: the earlier check-in's time (nothing new was journaled). */
  repeatOf?: string;
  document: { kind: string; nameMasked: string | null; numberMasked: string | null };
}
/** A manual entry's reason is not a rule's (decide's fallback would read "refused by rule manual-entry"). */
const MANUAL: Text = { vi: 'Nhập tay tại lễ tân', en: 'Entered by hand at reception' };
export const screenCheckin = (c: CheckinMessage): ScreenCheckin => ({
  id: c.id,
  at: c.at,
  direction: c.direction,
  verdict: c.verdict,
  reason: { code: c.reason, ...(c.reason === 'manual-entry' ? MANUAL : reason(c.reason).text) },
  document: {
    kind: c.document.kind,
    nameMasked: c.document.nameMasked,
    numberMasked: c.document.numberMasked,
  },
});

/** The kiosk's own display connects from the loopback address itself (not the rest of 127/8). */
const isThisMachine = (ip: string | undefined) =>
  ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';

/** Counts events in a sliding minute. */
class PerMinute {
  private readonly times: number[] = [];
  constructor(private readonly max: number) {}
  /** Seconds to wait, or 0 when the event is allowed (and counted). */
  take(now: number): number {
    while (this.times.length > 0 && (this.times[0] ?? 0) <= now - 60_000) this.times.shift();
    if (this.times.length >= this.max) return Math.ceil(((this.times[0] ?? now) + 60_000 - now) / 1000);
    this.times.push(now);
    return 0;
  }
}

const refuse = (reply: FastifyReply, status: number, error: Text, extra: Record<string, unknown> = {}) =>
  reply.code(status).send({ error, ...extra });

/**
 * What protects the screens when they listen beyond the kiosk (`ui.host: 0.0.0.0` for a reception PC):
 * - a token the reception page carries (embedded when it is served), required on `/api/manual`,
 *   with the request's Origin matching its Host: another site open in the PC's browser can neither
 *   read the token nor send a same-origin request, so it cannot forge a check-in;
 * - the WebSocket refuses a page from another origin (it would otherwise read every scan);
 * - a per-minute cap on manual entries (MANUAL_PER_MINUTE);
 * - with `ui.receptionPinFile`, every request from another machine needs the reception PIN once
 *   (a cookie for this run of the daemon); the kiosk's own display (loopback) does not.
 */
export class ScreensGuard {
  /** The reception page's anti-forgery token (new at each start). */
  readonly token = randomBytes(24).toString('hex');
  /** The cookie value a correct PIN earns (new at each start). */
  private readonly pass = randomBytes(24).toString('hex');
  private readonly manual: PerMinute;
  private readonly pins = new PerMinute(PIN_TRIES_PER_MINUTE);

  constructor(
    private readonly pin: string | undefined,
    manualPerMinute = MANUAL_PER_MINUTE,
  ) {
    this.manual = new PerMinute(manualPerMinute);
  }

  get pinRequired(): boolean {
    return this.pin !== undefined;
  }

  /** The Origin header names this server (the Host the browser used). Absent: not same-origin. */
  sameOrigin(req: FastifyRequest): boolean {
    const origin = req.headers.origin;
    if (!origin) return false;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  /** PIN check for requests from other machines; sends 401 and returns false when it fails. */
  admitted(req: FastifyRequest, reply: FastifyReply): boolean {
    if (!this.pin || isThisMachine(req.socket.remoteAddress)) return true;
    const cookie = /(?:^|;\s*)qrk_reception=([0-9a-f]{48})/.exec(req.headers.cookie ?? '')?.[1];
    if (cookie && timingSafeEqual(Buffer.from(cookie), Buffer.from(this.pass))) return true;
    void refuse(reply, 401, { vi: 'Cần mã PIN lễ tân', en: 'Reception PIN required' }, { pin: true });
    return false;
  }

  /** `POST /api/pin {pin}` (body schema PinBody): a correct PIN sets the reception cookie. */
  async login(req: FastifyRequest, reply: FastifyReply) {
    const wait = this.pins.take(Date.now());
    if (wait > 0)
      return refuse(reply.header('retry-after', String(wait)), 429, {
        vi: `Nhập sai quá nhiều lần; thử lại sau ${wait} giây`,
        en: `Too many tries; try again in ${wait} s`,
      });
    // The route's schema (screens/index.ts) leaves a body that is not {pin: string} as a validation
    // error: counted as a wrong PIN, like any other.
    const pin = req.validationError ? '' : (req.body as PinBody).pin;
    const given = Buffer.from(pin);
    const want = Buffer.from(this.pin ?? '');
    if (!this.pin || given.length !== want.length || !timingSafeEqual(given, want))
      return refuse(reply, 401, { vi: 'Sai mã PIN', en: 'Wrong PIN' }, { pin: true });
    return reply
      .header('set-cookie', `${PIN_COOKIE}=${this.pass}; HttpOnly; SameSite=Strict; Path=/`)
      .send({ ok: true });
  }

  /** Origin, token and rate checks of a manual entry; sends the refusal and returns false. */
  manualAllowed(req: FastifyRequest, reply: FastifyReply): boolean {
    if (!this.staffAllowed(req, reply)) return false;
    const wait = this.manual.take(Date.now());
    if (wait > 0) {
      void refuse(reply.header('retry-after', String(wait)), 429, {
        vi: `Quá nhiều lượt nhập tay trong một phút; thử lại sau ${wait} giây`,
        en: `Too many manual entries in a minute; try again in ${wait} s`,
      });
      return false;
    }
    return true;
  }

  /** Origin and token checks of a reception action (manual entry, outcome); sends the 403 and returns false. */
  staffAllowed(req: FastifyRequest, reply: FastifyReply): boolean {
    const token = req.headers['x-qrkiosk-token'];
    if (
      !this.sameOrigin(req) ||
      typeof token !== 'string' ||
      token.length !== this.token.length ||
      !timingSafeEqual(Buffer.from(token), Buffer.from(this.token))
    ) {
      void refuse(reply, 403, {
        vi: 'Yêu cầu không đến từ trang lễ tân; tải lại trang',
        en: 'The request did not come from the reception page; reload it',
      });
      return false;
    }
    return true;
  }
}
