import type { LoadedSettings } from '../settings/index.js';
import { checked, NO_FIX } from './check.js';

/**
 * The deployment tracing key (privacy.tracingPublicKeyFile). Without it check-ins carry masked fields only:
 * the kiosk works, but a tracer can never reveal who was at this site — a warning, not a failure. A key file
 * that does not load never gets here: the settings refuse it (config check).
 */
export function tracingCheck(loaded: LoadedSettings) {
  const key = loaded.secrets.tracingKey;
  const file = loaded.settings.privacy.tracingPublicKeyFile ?? null;
  if (!key)
    return checked(
      'tracing',
      'warn',
      {
        vi: 'chưa có khóa công khai truy vết (privacy.tracingPublicKeyFile): danh sách tiếp xúc của kiosk này không mở được danh tính',
        en: "no tracing public key (privacy.tracingPublicKeyFile): contacts of this kiosk's visitors cannot be revealed",
      },
      {
        vi: 'chép tracing.pub của trung tâm (qrkiosk-hub tracing-key init) lên kiosk và đặt privacy.tracingPublicKeyFile',
        en: "copy the hub's tracing.pub (qrkiosk-hub tracing-key init) to the kiosk and set privacy.tracingPublicKeyFile",
      },
      { tracingPublicKeyFile: null, kid: null },
    );
  return checked(
    'tracing',
    'ok',
    {
      vi: `Danh tính được niêm phong bằng khóa truy vết ${key.kid}`,
      en: `Identities are sealed to tracing key ${key.kid}`,
    },
    NO_FIX,
    { tracingPublicKeyFile: file, kid: key.kid },
  );
}
