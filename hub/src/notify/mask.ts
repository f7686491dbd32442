/**
 * Destinations as they may appear in the log: an e-mail address is personal data and a webhook URL
 * often carries its bridge's token (Telegram puts the bot token in the path), so log lines name a
 * destination by its domain or origin only. The notice row keeps the full target for the admin.
 */

const EMAIL = /[^\s<>"'(),;:@]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const URL_RE = /\bhttps?:\/\/[^\s"'<>]+/gi;

/** `can-bo@qrkiosk.vn` → `***@qrkiosk.vn`; `https://bridge.vn/bot123:abc/x` → `https://bridge.vn/***`. */
export function maskTarget(target: string): string {
  return target
    .replace(URL_RE, (u) => {
      try {
        return `${new URL(u).origin}/***`;
      } catch {
        return '***';
      }
    })
    .replace(EMAIL, (_m, domain: string) => `***@${domain}`);
}

/**
 * The error with every address and URL masked in its message and stack (nodemailer names the
 * refused recipient, WebhookError the URL), keeping its name, code and stack for the log.
 */
export function maskedError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(maskTarget(String(err)));
  const e = new Error(maskTarget(err.message));
  e.name = err.name;
  e.stack = err.stack ? maskTarget(err.stack) : e.stack;
  const code = (err as { code?: unknown }).code;
  const status = (err as { status?: unknown }).status;
  const responseCode = (err as { responseCode?: unknown }).responseCode;
  Object.assign(e, {
    ...(code !== undefined ? { code } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(responseCode !== undefined ? { responseCode } : {}),
  });
  return e;
}
