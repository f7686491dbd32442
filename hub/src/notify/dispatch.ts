import type { Logger } from 'pino';
import type { AlertStorage, NoticeRow } from '../storage/index.js';
import type { Mailer } from './mail.js';
import type { MailMessage } from './messages.js';
import type { Webhooks } from './webhook.js';

/** First retry after 30 s, then doubling: 30 s, 1, 2, 4, 8 min… (hub.yaml notify.attempts tries in all). */
export const RETRY_BASE_MS = 30_000;
/** How long a taken notice is this process's: longer than an SMTP or webhook call can last. */
const LEASE_MS = 120_000;
const BATCH = 50;

export interface DispatchResult {
  sent: number;
  failed: number;
}

/**
 * Sends due notices. Each is leased first (storage: one process takes it), then sent, then marked;
 * a failure is retried with back-off until `attempts` tries, then given up and kept with its error.
 * A process that dies between sending and marking leaves the lease to expire and the notice is sent
 * again: at-least-once for that crash, exactly-once otherwise.
 */
export class Dispatcher {
  constructor(
    private readonly store: AlertStorage,
    private readonly channels: { mail?: Mailer; webhooks: Webhooks },
    private readonly attempts: number,
    private readonly log: Logger,
  ) {}

  async run(now: Date): Promise<DispatchResult> {
    const result: DispatchResult = { sent: 0, failed: 0 };
    for (;;) {
      const batch = await this.store.take(now, LEASE_MS, BATCH);
      for (const n of batch) {
        if (await this.sendOne(n, now)) result.sent++;
        else result.failed++;
      }
      if (batch.length < BATCH) return result;
    }
  }

  private async sendOne(n: NoticeRow, now: Date): Promise<boolean> {
    try {
      if (n.channel === 'mail') {
        if (!this.channels.mail) throw new Error('no SMTP server set (notify.smtp.host)');
        await this.channels.mail.send(n.target, JSON.parse(n.payload) as MailMessage);
      } else await this.channels.webhooks.send(n.target, n.payload);
      await this.store.sent(n.id, new Date());
      return true;
    } catch (err) {
      const giveUp = n.attempts >= this.attempts;
      const retryAt = giveUp ? null : new Date(now.getTime() + RETRY_BASE_MS * 2 ** (n.attempts - 1));
      this.log.error(
        { err, notice: n.key, attempts: n.attempts, retryAt },
        giveUp ? 'notice given up' : 'notice failed, will retry',
      );
      await this.store.failed(n.id, new Date(), (err as Error).message.slice(0, 500), retryAt);
      return false;
    }
  }
}
