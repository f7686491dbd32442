import {
  HUB_FILTERS,
  isId,
  kioskTopics,
  mqttOptions,
  PASS_CHECKIN_NOT_RECEIVED,
  PASS_ISSUED_SCHEMA_ID,
  type PassIssuedMessage,
  parsePassRequest,
  TOPIC_ROOT,
  vnDay,
  vnDayStart,
} from '@qrkiosk/protocol';
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { PassIssueError } from './passes/errors.js';
import type { PassListPublisher } from './passes/publisher.js';
import type { BrokerLogin } from './publish.js';
import { issuePass, type PassDeps, passCards } from './use-cases/passes.js';

/**
 * Reception's "print a pass" on a kiosk (issue #20, protocol/src/pass-request.ts): a kiosk names one of
 * its check-ins; the hub issues (or finds) the pass for that check-in's holder and answers with the
 * signed token. The holder's keyed hash and masked name come from the check-in the hub stored from
 * that same site and kiosk, never from the request. That is the whole protection, and it is narrow:
 * the kiosk wrote that check-in itself, so a kiosk (or a stolen kiosk login) CAN bind a card to any
 * hash it reports in a check-in (review 2 finding 2). What bounds it: only a hash this kiosk reported
 * within 24 h, a card scoped to its own site, every pass audited as `kiosk:<site>/<kiosk>`, and at most
 * hub.yaml passes.kioskDailyPasses cards per kiosk per Vietnam day (a refusal beyond it is logged as a
 * warning and audited: the hub's log and audit table; no page shows either yet). The pass is valid the hub's default
 * (passes.validDays), its issuer the site's register name.
 */
export interface PassRequestDeps extends PassDeps {
  /** Asks for a new signed pass list (the one publisher; not awaited: the card prints meanwhile). */
  publish: () => Promise<unknown>;
  log: Logger;
  /** hub.yaml passes.kioskDailyPasses: cards one kiosk's reception may get per Vietnam day (default 100). */
  kioskDailyPasses?: number;
  /** Kiosks already audited as over the cap today (`site/kiosk/day`): one audit row a day, not one a try. */
  capped?: Set<string>;
}

export const DEFAULT_KIOSK_DAILY_PASSES = 100;

/** A check-in older than this at the hub is no visit to print a card for "right after". */
export const PASS_REQUEST_WINDOW_MS = 24 * 3600_000;

type Refusal = { code: string; vi: string; en: string };
const REFUSALS = {
  notReceived: {
    code: PASS_CHECKIN_NOT_RECEIVED,
    vi: 'Trung tâm chưa nhận lượt check-in này — thử lại sau ít giây',
    en: 'The hub has not received this check-in yet — try again in a few seconds',
  },
  otherKiosk: {
    code: 'checkin-other-kiosk',
    vi: 'Lượt check-in này không phải của kiosk này',
    en: 'This check-in was not made at this kiosk',
  },
  tooOld: {
    code: 'checkin-too-old',
    vi: 'Lượt check-in đã quá 24 giờ: check-in lại rồi in thẻ',
    en: 'The check-in is more than 24 hours old: check the person in again, then print',
  },
  isPass: {
    code: 'checkin-is-pass',
    vi: 'Lượt này đã dùng thẻ QR in: in lại thẻ từ lượt check-in đầu tiên',
    en: 'This entry used a printed pass already: reprint from the first check-in',
  },
  capped: {
    code: 'kiosk-pass-cap',
    vi: 'Kiosk này đã in đủ số thẻ cho phép trong ngày — nhờ cán bộ cấp thẻ trên trang của trung tâm',
    en: "This kiosk has printed as many passes as it may today — ask an officer to issue the pass on the hub's page",
  },
  refused: {
    code: 'checkin-refused',
    vi: 'Người bị từ chối không được cấp thẻ',
    en: 'No pass for a refused check-in',
  },
  revoked: {
    code: 'pass-revoked',
    vi: 'Thẻ cấp cho lượt check-in này đã bị khóa: check-in lại cho khách rồi in thẻ mới',
    en: 'The pass issued for this check-in was revoked: check the visitor in again, then print a new one',
  },
  failed: {
    code: 'hub-error',
    vi: 'Trung tâm gặp lỗi khi cấp thẻ — thử lại sau',
    en: 'The hub failed to issue the pass — try again later',
  },
} satisfies Record<string, Refusal>;

const refuse = (requestId: string, r: Refusal): PassIssuedMessage => ({
  schema: PASS_ISSUED_SCHEMA_ID,
  requestId,
  ok: false,
  code: r.code,
  text: { vi: r.vi, en: r.en },
});

/** `qrkiosk/v1/<site>/<kiosk>/pass-request` → its site and kiosk, or null. */
function whereOf(topic: string): { site: string; kiosk: string } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[4] !== 'pass-request')
    return null;
  const [, , site, kiosk] = parts as [string, string, string, string];
  return isId(site) && isId(kiosk) ? { site, kiosk } : null;
}

/**
 * One request: the answer and the topic it goes to, or null when the message is not a request we can
 * answer (no valid request id or topic: logged). Refusals are answers (`ok: false`), never throws.
 */
export async function answerPassRequest(
  deps: PassRequestDeps,
  topic: string,
  payload: Buffer,
): Promise<{ topic: string; answer: PassIssuedMessage } | null> {
  const where = whereOf(topic);
  const request = parsePassRequest(payload);
  if (!where || !request.ok) {
    deps.log.warn(
      { topic: topic.slice(0, 120), errors: request.ok ? undefined : request.errors },
      'pass request ignored: not a pass request',
    );
    return null;
  }
  const { requestId, checkinId } = request.value;
  const answer = await decide(deps, where, requestId, checkinId).catch((err: unknown) => {
    if (err instanceof PassIssueError)
      return { ...refuse(requestId, { code: err.code, ...err.text }) } satisfies PassIssuedMessage;
    deps.log.error({ err, ...where, checkinId }, 'pass request failed');
    return refuse(requestId, REFUSALS.failed);
  });
  deps.log.info(
    {
      ...where,
      checkinId,
      ok: answer.ok,
      ...(answer.ok ? { passId: answer.passId } : { code: answer.code }),
    },
    'pass request',
  );
  return { topic: kioskTopics(where.site, where.kiosk).pass, answer };
}

async function decide(
  deps: PassRequestDeps,
  where: { site: string; kiosk: string },
  requestId: string,
  checkinId: string,
): Promise<PassIssuedMessage> {
  const passes = deps.store.repo.passes;
  const now = deps.now?.() ?? new Date();
  const stored = await passes.storedCheckin(checkinId);
  if (!stored) return refuse(requestId, REFUSALS.notReceived);
  if (stored.site !== where.site || stored.kiosk !== where.kiosk)
    return refuse(requestId, REFUSALS.otherKiosk);
  if (now.getTime() - Date.parse(stored.receivedAt) > PASS_REQUEST_WINDOW_MS)
    return refuse(requestId, REFUSALS.tooOld);
  const { document, verdict } = stored.checkin;
  if (document.kind === 'pass') return refuse(requestId, REFUSALS.isPass);
  // As the kiosk (gateway/src/passes/reception.ts): a REVIEW the guard denied is refused too.
  if (
    verdict === 'REFUSE' ||
    (await deps.store.repo.outcomesOf(checkinId)).some((o) => o.outcome === 'denied')
  )
    return refuse(requestId, REFUSALS.refused);
  // One pass per check-in: asked again (a retry, a reprint), the same pass, signed again.
  let passId = await passes.passOfCheckin(checkinId);
  if (!passId) {
    if (await overCap(deps, where, now)) return refuse(requestId, REFUSALS.capped);
    const issued = await issuePass(deps, {
      idHash: document.idHash,
      // Every key the scanned document has: the card is looked up by them all, as the document is.
      links: document.links ?? [],
      nameMasked: document.nameMasked,
      scope: { kind: 'site', id: where.site },
      issuedBy: `kiosk:${where.site}/${where.kiosk}`,
    });
    passId = issued.passId;
    if (!(await passes.claimCheckin(checkinId, passId, now))) {
      // Another hub process issued one for this check-in first: that one stands, this one is withdrawn.
      await passes.revoke(passId, now, 'hub', 'duplicate reception request');
      passId = (await passes.passOfCheckin(checkinId)) ?? passId;
    }
    deps
      .publish()
      .catch((err: unknown) => deps.log.error({ err }, 'pass list not published after a reception pass'));
  }
  const row = await passes.get(passId);
  if (!row) throw new Error(`pass ${passId} vanished`);
  // A lost card's check-in never prints it again: a new visit gets a new pass.
  if (row.revokedAt) return refuse(requestId, REFUSALS.revoked);
  const [card] = await passCards(deps, [row]);
  if (!card) throw new Error(`no card for pass ${passId}`);
  return {
    schema: PASS_ISSUED_SCHEMA_ID,
    requestId,
    ok: true,
    passId: card.passId,
    token: card.token,
    validUntil: card.validUntil,
    issuer: card.issuer.slice(0, 120),
    nameMasked: card.nameMasked,
  };
}

/**
 * The kiosk's new card would pass its daily cap: a warning in the log and (once a day per kiosk and
 * process) an audit row `pass-kiosk-cap` as that kiosk (the alert rules, a pure function of kiosk telemetry and
 * scan counts, have no pass counts to judge). Two hub
 * processes each count the database, so together they may overshoot by the requests in flight.
 */
async function overCap(
  deps: PassRequestDeps,
  where: { site: string; kiosk: string },
  now: Date,
): Promise<boolean> {
  const cap = deps.kioskDailyPasses ?? DEFAULT_KIOSK_DAILY_PASSES;
  const day = vnDay(now);
  const since = vnDayStart(day);
  const count = await deps.store.repo.passes.issuedByKioskSince(where.site, where.kiosk, since);
  if (count < cap) return false;
  deps.log.warn({ ...where, count, cap }, 'reception pass refused: the kiosk reached its daily cap');
  const key = `${where.site}/${where.kiosk}/${day}`;
  // Earlier days' keys go: the set holds today's capped kiosks, not one key a kiosk a day for ever.
  for (const k of deps.capped ?? []) if (!k.endsWith(`/${day}`)) deps.capped?.delete(k);
  if (!deps.capped?.has(key)) {
    deps.capped?.add(key);
    await deps.store.audit(`kiosk:${where.site}/${where.kiosk}`, 'pass-kiosk-cap', { count, cap, day }, now);
  }
  return true;
}

/**
 * The hub's desk for reception pass requests: one connection of its own (as commands have), a shared
 * subscription so that of several hub processes one answers each request, requests handled one at a
 * time in this process (a kiosk's retry never races its first request here). start()/stop().
 */
export class PassRequestDesk {
  private client: MqttClient | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly login: BrokerLogin,
    private readonly deps: PassRequestDeps,
  ) {}

  /** Resolves once subscribed (as the ingest's lanes are ready); reconnects and resubscribes by itself. */
  async start(): Promise<void> {
    const client = connect(
      this.login.url,
      mqttOptions({ ...this.login, protocolVersion: 5 }, { reconnectPeriod: 2000 }),
    );
    this.client = client;
    const filter = `$share/qrkiosk-passes/${HUB_FILTERS.passRequest}`;
    const subscribed = new Promise<void>((resolve) => {
      client.on('connect', () =>
        client.subscribe(filter, { qos: 1 }, (err) => {
          if (err)
            this.deps.log.error({ err }, 'pass requests: cannot subscribe; check the hub role in the broker');
          resolve();
        }),
      );
    });
    client.on('error', (err) => this.deps.log.warn({ err }, 'pass requests: broker connection failed'));
    client.on('message', (topic, payload, packet) => {
      // A retained request would be answered again on every reconnect: kiosks never retain one. Reachable:
      // the Mosquitto the tests run does send retained messages to this $share subscription (pass-desk.test.ts
      // fails without this line; review 3 finding 7 thought it could not happen).
      if (packet.retain) return;
      this.queue = this.queue.then(async () => {
        const done = await answerPassRequest(this.deps, topic, payload);
        if (done) await client.publishAsync(done.topic, JSON.stringify(done.answer), { qos: 1 });
      });
      this.queue = this.queue.catch((err: unknown) => this.deps.log.error({ err }, 'pass answer not sent'));
    });
    await subscribed;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await this.queue;
    await client?.endAsync();
  }
}

/**
 * The daemon's desk over the hub's broker login: issues as the page does (the publisher's key, province and
 * validity) and asks the one publisher for the new list; hub.yaml passes.kioskDailyPasses caps each
 * kiosk. None without a publisher (no signing key).
 */
export async function startPassDesk(
  publisher: PassListPublisher | undefined,
  login: BrokerLogin,
  log: Logger,
  settings?: { kioskDailyPasses?: number },
): Promise<PassRequestDesk | undefined> {
  const kioskDailyPasses = settings?.kioskDailyPasses;
  if (!publisher) return undefined;
  const desk = new PassRequestDesk(login, {
    ...publisher.options.deps,
    publish: () => publisher.request(),
    log,
    capped: new Set(),
    ...(kioskDailyPasses ? { kioskDailyPasses } : {}),
  });
  await desk.start();
  return desk;
}
