import { readFileSync } from 'node:fs';
import { MIN_DEPLOYMENT_KEY_BYTES, readDeploymentKey } from '@qrkiosk/protocol';
import { readSigningKey } from './publish.js';
import type { HubSettings } from './settings/index.js';
import type { Text } from './text.js';
import type { EnrolmentKeys } from './use-cases/enrolment.js';

/** Enrolment cannot run: what is missing, in both languages. */
export class EnrolmentSetupError extends Error {
  constructor(readonly text: Text) {
    super(text.en);
  }
}

/** Whether hub.yaml asks for enrolment at all (a hub without the section runs with it off). */
export const enrolmentWanted = (s: HubSettings): boolean =>
  Boolean(s.enrolment.publicUrl || s.enrolment.signingKeyFile || s.enrolment.brokerUrl);

/**
 * The keys and addresses enrolment needs, read from hub.yaml's `enrolment:` section and
 * privacy.hashKeyFile; throws EnrolmentSetupError naming each missing setting or unreadable file.
 */
export function enrolmentKeys(s: HubSettings): EnrolmentKeys {
  const e = s.enrolment;
  const missing = [
    ...(e.publicUrl ? [] : ['enrolment.publicUrl']),
    ...(e.brokerUrl ? [] : ['enrolment.brokerUrl']),
    ...(e.signingKeyFile ? [] : ['enrolment.signingKeyFile']),
    ...(s.privacy.hashKeyFile ? [] : ['privacy.hashKeyFile']),
  ];
  if (missing.length > 0)
    throw new EnrolmentSetupError({
      vi: `Chưa cấu hình đăng ký kiosk: thiếu ${missing.join(', ')} trong hub.yaml (hoặc biến QRKIOSK_HUB_…)`,
      en: `Kiosk enrolment is not configured: ${missing.join(', ')} missing from hub.yaml (or QRKIOSK_HUB_… env)`,
    });
  const read = <T>(file: string, what: Text, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new EnrolmentSetupError({
        vi: `Không đọc được ${what.vi} ${file} (${code})`,
        en: `Cannot read the ${what.en} ${file} (${code})`,
      });
    }
  };
  const hashKeyFile = s.privacy.hashKeyFile as string;
  const hashKey = read(hashKeyFile, { vi: 'khóa triển khai', en: 'deployment key' }, () =>
    readDeploymentKey(hashKeyFile),
  );
  if (hashKey.length < MIN_DEPLOYMENT_KEY_BYTES)
    throw new EnrolmentSetupError({
      vi: `Khóa triển khai ${hashKeyFile} quá ngắn (${hashKey.length} byte)`,
      en: `The deployment key ${hashKeyFile} is too short (${hashKey.length} bytes)`,
    });
  const signingFile = e.signingKeyFile as string;
  const caFile = e.brokerCaFile;
  return {
    publicUrl: (e.publicUrl as string).replace(/\/+$/, ''),
    brokerUrl: e.brokerUrl as string,
    ...(caFile
      ? {
          brokerCa: read(caFile, { vi: 'CA của broker', en: 'broker CA' }, () =>
            readFileSync(caFile, 'utf8'),
          ),
        }
      : {}),
    signing: read(signingFile, { vi: 'khóa ký', en: 'signing key' }, () => readSigningKey(signingFile)),
    hashKey,
    codeHours: e.codeHours,
  };
}

/**
 * A warning when codes send kiosks to the hub over plain http to a host that is not this machine: an
 * active man in the middle on that path can put its own key in the kiosk's request and so receive the
 * deployment's hash key and the kiosk's broker password. Not refused — LAN hubs often have no
 * certificate, and a kiosk cannot check a private CA — but said at start and on every `kiosk add`.
 */
export function plainHttpWarning(publicUrl: string): Text | undefined {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return undefined;
  return {
    vi: `Cảnh báo: enrolment.publicUrl (${publicUrl}) dùng http không mã hóa — ai chen được vào đường mạng lúc kiosk đăng ký có thể thay khóa của kiosk và lấy khóa băm định danh cùng mật khẩu broker của kiosk. Dùng https, hoặc chỉ đăng ký kiosk trên mạng LAN tin cậy.`,
    en: `Warning: enrolment.publicUrl (${publicUrl}) is plain http — someone able to intercept and alter the traffic while a kiosk enrols can swap the kiosk's key and receive the identity hash key and the kiosk's broker password. Use https, or enrol kiosks only on a trusted LAN segment.`,
  };
}
