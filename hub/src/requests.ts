import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { kioskTopics, mqttOptions, requestBody, signRequest } from '@qrkiosk/protocol';
import { connectAsync } from 'mqtt';
import type { BrokerLogin } from './publish.js';

export interface KioskResponse {
  tid: string | null;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/**
 * Sends one signed request to a kiosk (docs/protocol.md, "Requests") and waits for its answer.
 * Never retained: a kiosk ignores retained requests, and one kept by the broker would outlive its
 * expiry anyway. Resolves null when no answer came within `timeoutMs`.
 */
export async function sendRequest(
  login: BrokerLogin,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
  where: { site: string; kiosk: string },
  command: string,
  fields: { action?: string; key?: string; value?: unknown } = {},
  timeoutMs = 10_000,
): Promise<KioskResponse | null> {
  const tid = randomBytes(12).toString('base64url');
  const topics = kioskTopics(where.site, where.kiosk);
  const payload = signRequest(requestBody(where, command, { tid, ...fields }, new Date()), signing);
  const client = await connectAsync(login.url, mqttOptions({ ...login, protocolVersion: 5 }));
  try {
    const answer = new Promise<KioskResponse | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      client.on('message', (_topic, p) => {
        try {
          const r = JSON.parse(p.toString('utf8')) as KioskResponse;
          if (r.tid === tid) {
            clearTimeout(timer);
            resolve(r);
          }
        } catch {
          // not an answer to us
        }
      });
    });
    await client.subscribeAsync(topics.response(command), { qos: 1 });
    await client.publishAsync(topics.request(command), payload, { qos: 1, retain: false });
    return await answer;
  } finally {
    await client.endAsync();
  }
}
