export { Dispatcher, type DispatchResult, RETRY_BASE_MS } from './dispatch.js';
export { Mailer, type SmtpSettings } from './mail.js';
export {
  alertHook,
  alertMail,
  alertView,
  type MailMessage,
  NOTICE_SCHEMA,
  reportHook,
  reportMail,
} from './messages.js';
export { alertNotices, type NoticePolicy, reportNotices } from './plan.js';
export { type QuietHours, releaseTime } from './quiet.js';
export * from './recipients.js';
export { SIGNATURE_HEADER, signBody, WebhookError, Webhooks } from './webhook.js';
