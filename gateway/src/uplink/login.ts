import { readFileSync } from 'node:fs';
import type { MqttLogin } from '@qrkiosk/protocol';
import type { Settings } from '../settings/schema.js';

/**
 * How this kiosk logs in to its broker: its user name and password, and for TLS the broker's CA and
 * a client certificate where the broker authenticates kiosks by it. The uplink and `qrkiosk doctor`
 * log in with the same, so the doctor's broker check answers for the daemon's own login.
 */
export function kioskLogin(mqtt: Settings['mqtt'], clientId: string, password?: string): MqttLogin {
  return {
    url: mqtt.url,
    protocolVersion: mqtt.protocolVersion,
    clientId,
    ...(mqtt.username ? { username: mqtt.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(mqtt.caFile ? { ca: readFileSync(mqtt.caFile) } : {}),
    ...(mqtt.certFile ? { cert: readFileSync(mqtt.certFile) } : {}),
    ...(mqtt.keyFile ? { key: readFileSync(mqtt.keyFile) } : {}),
  };
}

/** The uplink's client id. Another client with the same id would take the daemon's session over. */
export const kioskClientId = (kiosk: Settings['kiosk']) => `qrkiosk-${kiosk.site}-${kiosk.id}`;

/** Never log credentials embedded in a broker URL. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
