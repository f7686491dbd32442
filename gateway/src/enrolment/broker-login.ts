import { mqttOptions } from '@qrkiosk/protocol';
import { connect } from 'mqtt';
import type { LoadedSettings } from '../settings/index.js';
import { kioskClientId, kioskLogin } from '../uplink/login.js';

export type BrokerLogin =
  | { ok: true }
  | { ok: false; reason: 'broker-login-refused' | 'broker-unreachable'; detail: string };

/**
 * Logs in to the broker once with the kiosk's settings, through protocol's mqttOptions as the uplink does
 * (same client id, login, CA, certificate, MQTT version), and says whether a CONNACK accepted it. No
 * retries: the technician is standing there; the daemon retries for ever on its own.
 *
 * The client id is the daemon's own (kioskClientId): the hub pins each kiosk's login to it and refuses
 * any other at CONNACK. Clean start, as the uplink itself connects (uplink/index.ts, clean: true): the
 * daemon keeps no broker session to lose — its outbox is the journal, resent from there on every connect
 * — so a clean start here wipes nothing it needs. (Were the uplink ever to keep a session, this must
 * connect with clean: false and the same session expiry.) If the daemon is online, this login takes its
 * connection over for a moment; it reconnects by itself.
 */
export function tryBrokerLogin(loaded: LoadedSettings, timeoutMs = 10_000): Promise<BrokerLogin> {
  const { mqtt, kiosk } = loaded.settings;
  const password = loaded.secrets.mqttPassword;
  const options = mqttOptions(kioskLogin(mqtt, kioskClientId(kiosk), password), {
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
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
