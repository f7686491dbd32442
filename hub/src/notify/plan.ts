import type { DailyReport } from '../report-model.js';
import { scopeReport } from '../report-view.js';
import type { WebhookEntry } from '../settings/alerts-schema.js';
import type { AlertRow, NewNotice, SiteInfo } from '../storage/index.js';
import { alertHook, alertMail, reportHook, reportMail } from './messages.js';
import { type QuietHours, releaseTime } from './quiet.js';
import { alertRecipients, covers, type Recipient, type Subscriptions, wants } from './recipients.js';

/**
 * Which notices an event makes: one per destination (an address, a webhook URL), each with a key
 * that names the event and the destination — queued twice (two hub processes, a restart between
 * queueing and marking), it is still sent once.
 */
export interface NoticePolicy {
  subscriptions: Subscriptions;
  webhooks: ReadonlyArray<WebhookEntry>;
  quietHours: QuietHours;
  /** False when no SMTP server is set: e-mail notices are not made at all. */
  mail: boolean;
}

export function alertNotices(
  a: AlertRow,
  event: 'raise' | 'clear',
  recipients: ReadonlyArray<Recipient>,
  directory: ReadonlyMap<string, SiteInfo>,
  policy: NoticePolicy,
  now: Date,
): NewNotice[] {
  // A clear follows its alert: a critical one's all-clear may wake the same people, a warning's waits.
  const dueAt = releaseTime(now, policy.quietHours, a.severity === 'critical');
  const out: NewNotice[] = [];
  if (policy.mail) {
    const mail = JSON.stringify(alertMail(a, event, directory));
    for (const r of alertRecipients(recipients, policy.subscriptions, a.rule, a.site, directory))
      out.push({
        key: `alert:${a.id}:${event}:mail:${r.email.toLowerCase()}`,
        channel: 'mail',
        target: r.email,
        payload: mail,
        dueAt,
      });
  }
  const body = JSON.stringify(alertHook(a, event, directory));
  for (const h of policy.webhooks)
    if (wants(h.events, a.rule) && covers(h.areas, a.site, directory))
      out.push({
        key: `alert:${a.id}:${event}:hook:${h.url}`,
        channel: 'webhook',
        target: h.url,
        payload: body,
        dueAt,
      });
  return out;
}

/**
 * The daily report for each recipient subscribed to `report`, narrowed to the sites their scope
 * covers (nothing covered: nothing sent), and per webhook, narrowed to its areas.
 */
export function reportNotices(
  report: DailyReport,
  recipients: ReadonlyArray<Recipient>,
  directory: ReadonlyMap<string, SiteInfo>,
  policy: NoticePolicy,
  now: Date,
): NewNotice[] {
  const dueAt = releaseTime(now, policy.quietHours, false);
  const out: NewNotice[] = [];
  if (policy.mail)
    for (const r of recipients) {
      if (!wants(policy.subscriptions[r.role] ?? [], 'report')) continue;
      const mine = scopeReport(report, (site) => covers(r.sites, site, directory));
      if (mine.sites.length === 0) continue;
      out.push({
        key: `report:${report.day}:mail:${r.email.toLowerCase()}`,
        channel: 'mail',
        target: r.email,
        payload: JSON.stringify(reportMail(mine, directory)),
        dueAt,
      });
    }
  for (const h of policy.webhooks) {
    if (!wants(h.events, 'report')) continue;
    const part = scopeReport(report, (site) => covers(h.areas, site, directory));
    if (part.sites.length === 0) continue;
    out.push({
      key: `report:${report.day}:hook:${h.url}`,
      channel: 'webhook',
      target: h.url,
      payload: JSON.stringify(reportHook(part, directory)),
      dueAt,
    });
  }
  return out;
}
