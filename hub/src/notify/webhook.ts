import { createHmac } from 'node:crypto';
import { readSecretFile } from '@qrkiosk/protocol';
import { secretOf } from './secret-file.js';

export const SIGNATURE_HEADER = 'x-qrkiosk-signature';

/** `sha256=<hex>` of the exact body bytes, as GitHub's X-Hub-Signature-256 (the receiver recomputes it). */
export function signBody(body: string, key: Buffer): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/**
 * JSON POSTs (Zalo/Telegram bridges). A 2xx answer is delivered; anything else, a timeout or a
 * refused connection throws, and the dispatcher retries later with back-off.
 */
export class Webhooks {
  /** url → HMAC key (read once at start: a missing key file fails the start, not each call). */
  private readonly keys = new Map<string, Buffer>();

  constructor(
    hooks: ReadonlyArray<{ url: string; secretFile?: string }>,
    private readonly timeoutMs: number,
  ) {
    for (const h of hooks)
      if (h.secretFile)
        this.keys.set(
          h.url,
          Buffer.from(
            secretOf(h.secretFile, { vi: 'tệp khóa webhook', en: 'webhook key file' }, readSecretFile),
          ),
        );
  }

  async send(url: string, body: string): Promise<void> {
    const key = this.keys.get(url);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...(key ? { [SIGNATURE_HEADER]: signBody(body, key) } : {}),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw new WebhookError(`webhook ${url}: ${(err as Error).message}`);
    }
    // The answer body is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new WebhookError(`webhook ${url}: HTTP ${res.status}`, res.status);
  }
}
