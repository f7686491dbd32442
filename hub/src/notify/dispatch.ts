import type { Logger } from 'pino';
import type { AlertStorage, NoticeRow } from '../storage/index.js';
import type { Mailer } from './mail.js';
import { maskedError, maskTarget } from './mask.js';
import type { MailMessage } from './messages.js';
import type { Webhooks } from './webhook.js';

/** First retry after 30 s, then doubling: 30 s, 1, 2, 4, 8 min… (hub.yaml notify.attempts tries in all). */
export const RETRY_BASE_MS = 30_000;
/**
 * The longest one e-mail may take before it counts as failed: the Mailer's own waits (connect 15 s,
 * greeting 15 s, 30 s without a byte) bound each step; this bounds a server that trickles.
 */
export const MAIL_SEND_LIMIT_MS = 90_000;
/** A lease outlives its send by this much (the marking after it, a slow database). */
const LEASE_MARGIN_MS = 30_000;

/** A send that outlasted sendLimitMs (its own timeouts did not end it). */
class SendLimitError extends Error {
  override name = 'SendLimitError';
}

export interface DispatchResult {
  sent: number;
  failed: number;
}

export interface DispatchOptions {
  /** The longest one send may take (setup.ts: the larger of the webhook timeout and MAIL_SEND_LIMIT_MS). */
  sendLimitMs?: number;
  /** Milliseconds now (tests move it); only differences are used. */
  clock?: () => number;
}

/**
 * Sends due notices, one at a time: each is leased just before its send (storage: one process
 * takes it) for longer than that send may last, then marked. Not a batch leased at once: with a
 * slow mail server the last of a batch was sent after its lease had run out, and another hub
 * process sent it too. A failure is retried with back-off until `attempts` tries, then given up
 * and kept with its error. A process that dies between sending and marking leaves the lease to
 * expire and the notice is sent again: at-least-once for that crash, exactly-once otherwise.
 */
export class Dispatcher {
  private readonly sendLimitMs: number;
  private readonly leaseMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly store: AlertStorage,
    private readonly channels: { mail?: Mailer; webhooks: Webhooks },
    private readonly attempts: number,
    private readonly log: Logger,
    options: DispatchOptions = {},
  ) {
    this.sendLimitMs = options.sendLimitMs ?? MAIL_SEND_LIMIT_MS;
    this.leaseMs = this.sendLimitMs + LEASE_MARGIN_MS;
    this.clock = options.clock ?? Date.now;
  }

  private stopped = false;

  /**
   * No notice is taken after this (the hub is stopping): the one being sent finishes, the rest stay
   * due for the next start or another hub process. Without it a stop during a mail outage waited
   * for every due notice's send limit in turn.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Sends what is due at `now`; the lease of each notice counts from when it is taken (`now` moved on by the time spent). */
  async run(now = new Date(this.clock())): Promise<DispatchResult> {
    const started = this.clock();
    const at = () => new Date(now.getTime() + (this.clock() - started));
    const result: DispatchResult = { sent: 0, failed: 0 };
    for (;;) {
      if (this.stopped) return result;
      const takenAt = at();
      const [n] = await this.store.take(takenAt, this.leaseMs, 1);
      if (!n) return result;
      if (await this.sendOne(n, takenAt, at)) result.sent++;
      else result.failed++;
    }
  }

  /** The retry counts from `takenAt`, when this try began. */
  private async sendOne(n: NoticeRow, takenAt: Date, at: () => Date): Promise<boolean> {
    try {
      await this.withinLimit(
        n.channel === 'mail'
          ? this.mail().send(n.target, JSON.parse(n.payload) as MailMessage)
          : this.channels.webhooks.send(n.target, n.payload),
      );
      await this.store.sent(n.id, at());
      return true;
    } catch (err) {
      const giveUp = n.attempts >= this.attempts;
      // A send cut off by the limit may still be going on: not retried before its lease would have ended.
      const backOff = RETRY_BASE_MS * 2 ** (n.attempts - 1);
      const wait = err instanceof SendLimitError ? Math.max(backOff, this.leaseMs) : backOff;
      const retryAt = giveUp ? null : new Date(takenAt.getTime() + wait);
      // Masked: the key and the error name the recipient's address or the bridge's URL (its token).
      this.log.error(
        { err: maskedError(err), notice: maskTarget(n.key), attempts: n.attempts, retryAt },
        giveUp ? 'notice given up' : 'notice failed, will retry',
      );
      await this.store.failed(n.id, at(), (err as Error).message.slice(0, 500), retryAt);
      return false;
    }
  }

  private mail(): Mailer {
    if (!this.channels.mail) throw new Error('no SMTP server set (notify.smtp.host)');
    return this.channels.mail;
  }

  /** The send, or a failure once sendLimitMs has passed (the lease is longer, so no other process has it yet). */
  private async withinLimit(send: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SendLimitError(`the send did not finish in ${this.sendLimitMs} ms`)),
        this.sendLimitMs,
      );
    });
    try {
      await Promise.race([send, limit]);
    } finally {
      clearTimeout(timer);
    }
  }
}
