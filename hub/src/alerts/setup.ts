import type { Logger } from 'pino';
import { Dispatcher, MAIL_SEND_LIMIT_MS } from '../notify/dispatch.js';
import { Mailer } from '../notify/mail.js';
import {
  AllRecipients,
  ListedRecipients,
  type RecipientSource,
  UserRecipients,
} from '../notify/recipients.js';
import { Webhooks } from '../notify/webhook.js';
import type { AlertsSettings, NotifySettings } from '../settings/alerts-schema.js';
import type { HubStore } from '../store.js';
import { AlertEngine } from './engine.js';

export interface AlertParts {
  engine: AlertEngine;
  /** Milliseconds between ticks. */
  everyMs: number;
  /** Takes no more notices to send (the hub is stopping); the one in flight finishes. */
  stopSending(): void;
  close(): void;
}

/**
 * The alert engine from hub.yaml's `alerts:` and `notify:`. `recipients` defaults to the hub's
 * users who have an e-mail, then the listed mailboxes (notify.recipients).
 */
export function alertParts(
  store: HubStore,
  alerts: AlertsSettings,
  notify: NotifySettings,
  log: Logger,
  recipients: RecipientSource = new AllRecipients([
    new UserRecipients(store.users),
    new ListedRecipients(notify.recipients),
  ]),
): AlertParts {
  const mail = notify.smtp.host ? new Mailer(notify.smtp) : undefined;
  const webhookMs = notify.webhookTimeoutSeconds * 1000;
  const webhooks = new Webhooks(notify.webhooks, webhookMs);
  const dispatcher = new Dispatcher(
    store.repo.alerts,
    { ...(mail ? { mail } : {}), webhooks },
    notify.attempts,
    log,
    { sendLimitMs: Math.max(webhookMs, MAIL_SEND_LIMIT_MS) },
  );
  const { everySeconds, ...thresholds } = alerts;
  const engine = new AlertEngine(
    store,
    everySeconds > 0 ? thresholds : null,
    {
      subscriptions: notify.subscriptions,
      webhooks: notify.webhooks,
      quietHours: notify.quietHours,
      mail: mail !== undefined,
    },
    recipients,
    dispatcher,
    log,
  );
  // Alerts off still sends notices (the daily report) on the default beat.
  return {
    engine,
    everyMs: (everySeconds || 30) * 1000,
    stopSending: () => dispatcher.stop(),
    close: () => mail?.close(),
  };
}
