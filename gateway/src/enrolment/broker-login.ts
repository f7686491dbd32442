import { readFileSync } from 'node:fs';
import { mqttOptions } from '@qrkiosk/protocol';
import { connect } from 'mqtt';
import type { LoadedSettings } from '../settings/index.js';

export type BrokerLogin =
  | { ok: true }
  | { ok: false; reason: 'broker-login-refused' | 'broker-unreachable'; detail: string };

/**
 * Logs in to the broker once with the kiosk's settings, through protocol's mqttOptions as the uplink does
 * (same client id, login, CA, certificate, MQTT version), and says whether a CONNACK accepted it. No
 * retries: the technician is standing there; the daemon retries for ever on its own.
 */
export function tryBrokerLogin(loaded: LoadedSettings, timeoutMs = 10_000): Promise<BrokerLogin> {
  const { mqtt, kiosk } = loaded.settings;
  const password = loaded.secrets.mqttPassword;
  const options = mqttOptions(
    {
      url: mqtt.url,
      protocolVersion: mqtt.protocolVersion,
      clientId: `qrkiosk-${kiosk.site}-${kiosk.id}`,
      ...(mqtt.username ? { username: mqtt.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(mqtt.caFile ? { ca: readFileSync(mqtt.caFile) } : {}),
      ...(mqtt.certFile ? { cert: readFileSync(mqtt.certFile) } : {}),
      ...(mqtt.keyFile ? { key: readFileSync(mqtt.keyFile) } : {}),
    },
    { clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs },
  );
  return new Promise((resolve) => {
    const client = connect(mqtt.url, options);
    let settled = false;
    const done = (result: BrokerLogin) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ ok: false, reason: 'broker-unreachable', detail: `no CONNACK in ${timeoutMs} ms` }),
      timeoutMs + 1000,
    );
    client.once('connect', () => done({ ok: true }));
    client.on('error', (err: Error & { code?: unknown }) =>
      // A CONNACK refusal carries its return/reason code as a number (3.1.1: 4–5, MQTT 5: ≥ 0x80);
      // a socket or TLS failure has a string code (ECONNREFUSED, CERT_…) or none.
      done({
        ok: false,
        reason: typeof err.code === 'number' ? 'broker-login-refused' : 'broker-unreachable',
        detail: err.message,
      }),
    );
    client.once('close', () =>
      done({ ok: false, reason: 'broker-unreachable', detail: 'connection closed before CONNACK' }),
    );
  });
}
