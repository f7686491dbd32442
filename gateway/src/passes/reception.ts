import { randomUUID } from 'node:crypto';
import {
  type CheckinMessage,
  kioskTopics,
  type OutcomeMessage,
  PASS_CHECKIN_NOT_RECEIVED,
  PASS_REQUEST_SCHEMA_ID,
  type PassCard,
  type PassIssuedMessage,
  parsePassIssued,
  passValidity,
  verifyPass,
  vnDay,
} from '@qrkiosk/protocol';
import type { MqttClient } from 'mqtt';
import { type Clock, monotonicNow } from '../clock.js';
import type { Text } from '../i18n.js';
import type { Logger } from '../log.js';
import type { LoadedSettings } from '../settings/index.js';

/** A refusal reception shows as is: HTTP status, a code, vi/en text. */
export class ReceptionPassError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: Text,
  ) {
    super(`${code}: ${text.en}`);
  }
}

/** How long reception waits for the hub in all (a check-in just made may still be on its way to it). */
export const PASS_WAIT_MS = 10_000;
/** Between two requests the hub answered "check-in not received yet". */
export const PASS_RETRY_MS = 1_500;
/** Cards kept in RAM for a reprint (a day's reception at a busy site, far below a Pi's memory). */
const KEPT_CARDS = 500;
/**
 * The print page serves a kept card this long after the hub last answered for it (review 2, finding 6):
 * time to print and reprint a jammed sheet. After it a reload, a history visit or the link opened later
 * gets a 404 and reception presses the button again, which asks the hub (a card revoked since is not
 * fetched anew); a tab already showing the card can still print it (review 3 finding 5).
 */
export const PASS_PRINT_MS = 10 * 60_000;

export interface ReceptionPassParts {
  loaded: LoadedSettings;
  clock: Clock;
  log: Logger;
  /** A journaled check-in with its outcomes (RecordKeeper-guarded: undefined when the journal fails). */
  checkin: (id: string) => { checkin: CheckinMessage; outcomes: OutcomeMessage[] } | undefined;
  verifyOnly: () => boolean;
  waitMs?: number;
  retryMs?: number;
}

const refused = (status: number, code: string, vi: string, en: string) =>
  new ReceptionPassError(status, code, { vi, en });

/**
 * Reception's "In thẻ QR / Print pass" on a kiosk (issue #20): asks the hub over the kiosk's MQTT link
 * (protocol/src/pass-request.ts), checks the signed token the hub sends back with the hub keys the kiosk
 * trusts and that it is scoped to this kiosk's site, and keeps the card in RAM for a reprint. The hub
 * signs: a card is useful at other kiosks only once the hub has its holder in the pass list. Offline,
 * reception is told it cannot issue now, never given a card that works nowhere.
 */
export class ReceptionPasses {
  private client: MqttClient | undefined;
  private readonly waiting = new Map<string, (answer: PassIssuedMessage) => void>();
  /** Cards issued since start, for the print page (the latest KEPT_CARDS). */
  private readonly cards = new Map<string, PassCard>();
  /** When the hub last answered for each kept card (monotonic ms: a wall-clock jump moves nothing). */
  private readonly answeredAt = new Map<string, number>();
  private readonly byCheckin = new Map<string, string>();
  private readonly topics: ReturnType<typeof kioskTopics>;

  constructor(private readonly p: ReceptionPassParts) {
    const { kiosk } = p.loaded.settings;
    this.topics = kioskTopics(kiosk.site, kiosk.id);
  }

  /** The uplink's client (uplink/index.ts): answers arrive on `…/pass`, subscribed at every connect. */
  attach(client: MqttClient): void {
    this.client = client;
    client.on('connect', () => client.subscribe(this.topics.pass, { qos: 1 }));
    client.on('message', (topic, payload) => {
      if (topic !== this.topics.pass) return;
      const answer = parsePassIssued(payload);
      if (!answer.ok) {
        this.p.log.warn({ errors: answer.errors }, 'pass answer from the hub ignored: not an answer');
        return;
      }
      this.waiting.get(answer.value.requestId)?.(answer.value);
    });
  }

  /** A card the hub answered for within PASS_PRINT_MS, for the print page. */
  card(passId: string): PassCard | undefined {
    const at = this.answeredAt.get(passId);
    if (at === undefined || this.mono() - at > PASS_PRINT_MS) return undefined;
    return this.cards.get(passId);
  }

  private mono(): number {
    return (this.p.clock.monotonic?.() ?? monotonicNow()).ms;
  }

  /**
   * The pass for one of today's check-ins, asked of the hub every time (a card revoked since must not be
   * printed again from memory; the hub answers a repeat with the same pass), verified.
   */
  async issue(checkinId: string): Promise<PassCard> {
    this.eligible(checkinId);
    const waitMs = this.p.waitMs ?? PASS_WAIT_MS;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const answer = await this.ask(checkinId, deadline - Date.now());
      if (answer.ok) return this.keep(checkinId, this.verified(answer));
      if (answer.code === 'pass-revoked') this.forget(checkinId);
      if (
        answer.code !== PASS_CHECKIN_NOT_RECEIVED ||
        Date.now() + (this.p.retryMs ?? PASS_RETRY_MS) >= deadline
      )
        throw new ReceptionPassError(
          answer.code === PASS_CHECKIN_NOT_RECEIVED ? 503 : 409,
          answer.code,
          answer.text,
        );
      await new Promise((r) => setTimeout(r, this.p.retryMs ?? PASS_RETRY_MS));
    }
  }

  /** Today's recorded check-in of a person (a manual entry or a document), not refused, not a pass. */
  private eligible(checkinId: string): void {
    if (this.p.verifyOnly())
      throw refused(
        409,
        'verify-only',
        'Địa điểm chỉ kiểm tra, không lưu danh sách: không cấp thẻ',
        'This site verifies only and keeps no register: no passes',
      );
    const found = this.p.checkin(checkinId);
    const now = this.p.clock.now();
    if (!found || vnDay(new Date(found.checkin.at)) !== vnDay(now))
      throw refused(404, 'no-checkin', 'Không có lượt check-in này hôm nay', 'No such check-in today');
    const { checkin, outcomes } = found;
    if (checkin.document.kind === 'pass')
      throw refused(
        409,
        'checkin-is-pass',
        'Người này đã dùng thẻ QR in: in lại từ lượt check-in đầu tiên',
        'This person used a printed pass: reprint from the first check-in',
      );
    if (checkin.verdict === 'REFUSE' || outcomes.some((o) => o.outcome === 'denied'))
      throw refused(
        409,
        'checkin-refused',
        'Người bị từ chối không được cấp thẻ',
        'No pass for a refused check-in',
      );
  }

  /** One request and its answer; offline or silent past `ms`: 503 with vi/en text. */
  private async ask(checkinId: string, ms: number): Promise<PassIssuedMessage> {
    const client = this.client;
    const offline = refused(
      503,
      'hub-offline',
      'Không liên lạc được trung tâm: chưa cấp thẻ được lúc này — khách vẫn check-in bình thường, in thẻ sau',
      'The hub cannot be reached: no pass can be issued now — the visitor is checked in; print the card later',
    );
    if (!client?.connected || ms <= 0) throw offline;
    const requestId = randomUUID();
    try {
      return await new Promise<PassIssuedMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(offline), ms);
        this.waiting.set(requestId, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        const body = { schema: PASS_REQUEST_SCHEMA_ID, requestId, checkinId };
        client.publish(this.topics.passRequest, JSON.stringify(body), { qos: 1 }, (err) => {
          if (!err) return;
          clearTimeout(timer);
          reject(offline);
        });
      });
    } finally {
      this.waiting.delete(requestId);
    }
  }

  /** The token signed by a hub key this kiosk trusts, for this site, valid today, as the answer says. */
  private verified(answer: Extract<PassIssuedMessage, { ok: true }>): PassCard {
    const site = this.p.loaded.settings.kiosk.site;
    const bad = (why: string) => {
      this.p.log.error({ passId: answer.passId, why }, 'pass from the hub refused');
      return refused(
        502,
        'pass-not-verified',
        'Thẻ trung tâm gửi không hợp lệ với máy này — báo kỹ thuật viên',
        'The pass the hub sent does not verify on this kiosk — call the technician',
      );
    };
    let pass: ReturnType<typeof verifyPass>;
    try {
      pass = verifyPass(answer.token, this.p.loaded.secrets.hubKeys);
    } catch (err) {
      throw bad((err as Error).message);
    }
    if (pass.passId !== answer.passId || pass.validUntil !== answer.validUntil) throw bad('fields differ');
    if (pass.scope.kind !== 'site' || pass.scope.id !== site)
      throw bad(`scope ${pass.scope.kind}:${pass.scope.id}`);
    if (passValidity(pass, vnDay(this.p.clock.now())) !== 'valid') throw bad('not valid today');
    const { token, passId, nameMasked, issuer, validUntil } = answer;
    return { token, passId, nameMasked, issuer, validUntil };
  }

  private forget(checkinId: string): void {
    const passId = this.byCheckin.get(checkinId);
    if (passId) {
      this.cards.delete(passId);
      this.answeredAt.delete(passId);
    }
    this.byCheckin.delete(checkinId);
  }

  private keep(checkinId: string, card: PassCard): PassCard {
    // Re-inserted so the map's order is the answers' order: the oldest answer is dropped first.
    this.cards.delete(card.passId);
    this.cards.set(card.passId, card);
    this.answeredAt.set(card.passId, this.mono());
    this.byCheckin.set(checkinId, card.passId);
    if (this.cards.size > KEPT_CARDS) {
      const oldest = this.cards.keys().next().value as string;
      this.cards.delete(oldest);
      this.answeredAt.delete(oldest);
      for (const [c, id] of this.byCheckin) if (id === oldest) this.byCheckin.delete(c);
    }
    this.p.log.info({ passId: card.passId, checkin: checkinId }, 'pass issued by the hub');
    return card;
  }
}
