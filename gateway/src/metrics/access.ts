import { timingSafeEqual } from 'node:crypto';
import type { Text } from '../i18n.js';

/** Who may read a kiosk's `/metrics`: this machine always; another one with the bearer token, if one is set. */
export interface MetricsAccess {
  /** ui.metricsTokenFile's content; none: only this machine may read the metrics. */
  token?: string;
}

const isThisMachine = (ip: string | undefined) =>
  ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';

/**
 * The screens listen on the LAN when a reception PC uses them (`ui.host: 0.0.0.0`). The metrics hold
 * no personal data but say how busy a site is and what is broken, so they are not the reception's:
 * the kiosk's own machine reads them (a local agent, a technician's curl), and a Prometheus server
 * elsewhere sends `Authorization: Bearer <token>` (Prometheus: `authorization.credentials_file`).
 * The reception PIN does not open them. Returns null when allowed, else the status and reason.
 */
export function metricsAllowed(
  access: MetricsAccess,
  remoteAddress: string | undefined,
  authorization: string | undefined,
): null | { status: 401 | 403; error: Text } {
  if (isThisMachine(remoteAddress)) return null;
  if (access.token === undefined)
    return {
      status: 403,
      error: {
        vi: 'Số liệu chỉ đọc được từ chính máy kiosk; đặt ui.metricsTokenFile để máy khác đọc bằng mã',
        en: 'Metrics are served to this machine only; set ui.metricsTokenFile for other machines to use a token',
      },
    };
  const given = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(access.token);
  if (a.length === b.length && timingSafeEqual(a, b)) return null;
  return { status: 401, error: { vi: 'Cần mã đọc số liệu (Bearer)', en: 'Metrics token required (Bearer)' } };
}
