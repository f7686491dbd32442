import type { LoadedSettings } from '../settings/index.js';
import { checked, NO_FIX } from './check.js';
import {
  type FileProblem,
  inspectFile,
  namedFiles,
  ownerOf,
  unnamedEnrolmentFiles,
} from './enrolment-files.js';

const ENROL = {
  vi: 'đăng ký kiosk: qrkiosk enrol MÃ',
  en: 'enrol the kiosk: qrkiosk enrol CODE',
};

/**
 * A kiosk.yaml without `kiosk:` (enrolment/pending.ts): the normal state of a freshly flashed kiosk, and
 * the one thing in the way of its work — so this check fails, with the way out.
 */
export function unenrolledCheck(loaded: LoadedSettings) {
  return checked(
    'enrolment',
    'fail',
    {
      vi: 'Kiosk chưa đăng ký: chưa có mã kiosk, tài khoản broker, khóa băm và khóa trung tâm; kiosk chưa kiểm tra ai',
      en: 'Kiosk not enrolled: no kiosk id, broker login, hash key or hub keys yet; it checks nobody',
    },
    {
      vi: 'quét mã đăng ký từ trung tâm y tế bằng máy quét của kiosk này, hoặc chạy: qrkiosk enrol MÃ',
      en: "scan the enrolment code from the health office on this kiosk's scanner, or run: qrkiosk enrol CODE",
    },
    { enrolled: false, dataDir: loaded.settings.data.dir },
  );
}

/**
 * What enrolment gives a kiosk (`qrkiosk enrol`, enrolment/write-config.ts): its broker login
 * (mqtt.username and mqtt.passwordFile, or a client certificate), the broker's CA (mqtt.caFile), the
 * deployment hash key (privacy.hashKeyFile) and the hub's public keys (updates.publicKeyFiles). Each
 * file kiosk.yaml names: present and readable (else fail: the kiosk cannot log in or verify); secrets
 * mode 600 or narrower (else warn, with the chmod) and readable by the service's user.
 */
export function enrolmentCheck(loaded: LoadedSettings) {
  const { settings, secrets } = loaded;
  const { mqtt, kiosk, updates } = settings;
  const problems: FileProblem[] = [];
  const warn = (said: FileProblem['said'], fix: FileProblem['fix'] = ENROL) =>
    problems.push({ level: 'warn', said, fix });
  if (!mqtt.username && !mqtt.certFile)
    warn({ vi: 'chưa có tài khoản MQTT (mqtt.username)', en: 'no MQTT login (mqtt.username)' });
  if (mqtt.username && mqtt.username !== kiosk.id)
    warn(
      {
        vi: `mqtt.username (${mqtt.username}) khác kiosk.id (${kiosk.id}): ACL của broker sẽ chặn`,
        en: `mqtt.username (${mqtt.username}) differs from kiosk.id (${kiosk.id}): the broker's ACL will refuse it`,
      },
      { vi: 'đặt mqtt.username bằng kiosk.id', en: 'set mqtt.username to kiosk.id' },
    );
  if (mqtt.username && !mqtt.passwordFile && !mqtt.certFile)
    warn(
      { vi: 'có tên MQTT nhưng không có mật khẩu', en: 'an MQTT user name but no password' },
      { vi: 'đặt mqtt.passwordFile (qrkiosk enrol)', en: 'set mqtt.passwordFile (qrkiosk enrol)' },
    );
  if (!secrets.hashKey)
    warn({
      vi: 'chưa có khóa băm của triển khai (privacy.hashKeyFile): trung tâm không truy vết được',
      en: 'no deployment hash key (privacy.hashKeyFile): the hub cannot trace contacts',
    });
  if (updates.publicKeyFiles.length === 0)
    warn({
      vi: 'chưa có khóa công khai của trung tâm (updates.publicKeyFiles): mọi cập nhật có chữ ký bị từ chối',
      en: 'no hub public key (updates.publicKeyFiles): every signed update is refused',
    });
  const files = namedFiles(settings);
  const owner = ownerOf(settings.data.dir);
  for (const f of files) problems.push(...inspectFile(f, owner));
  problems.push(...unnamedEnrolmentFiles(settings));
  const values = {
    username: mqtt.username ?? null,
    passwordFile: mqtt.passwordFile ?? null,
    caFile: mqtt.caFile ?? null,
    clientCertificate: mqtt.certFile !== undefined,
    hashKeyFile: settings.privacy.hashKeyFile ?? null,
    hubKeys: updates.publicKeyFiles.length,
    files: files.length,
  };
  if (problems.length === 0)
    return checked(
      'enrolment',
      'ok',
      {
        vi: `Đã đăng ký: MQTT ${mqtt.username ?? '(chứng chỉ)'}, khóa băm, ${updates.publicKeyFiles.length} khóa trung tâm; ${files.length} tệp đọc được, bí mật chỉ chủ đọc`,
        en: `Enrolled: MQTT ${mqtt.username ?? '(certificate)'}, hash key, ${updates.publicKeyFiles.length} hub key(s); ${files.length} files readable, secrets owner-only`,
      },
      NO_FIX,
      values,
    );
  return checked(
    'enrolment',
    problems.some((p) => p.level === 'fail') ? 'fail' : 'warn',
    { vi: problems.map((p) => p.said.vi).join('; '), en: problems.map((p) => p.said.en).join('; ') },
    {
      vi: [...new Set(problems.map((p) => p.fix.vi))].join('; '),
      en: [...new Set(problems.map((p) => p.fix.en))].join('; '),
    },
    values,
  );
}
