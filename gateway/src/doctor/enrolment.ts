import { statSync } from 'node:fs';
import type { LoadedSettings } from '../settings/index.js';
import { checked, NO_FIX, type Said } from './check.js';

/**
 * What enrolment gives a kiosk (`qrkiosk enrol` writes it): its broker login (mqtt.username and
 * mqtt.passwordFile, or a client certificate), the deployment hash key (privacy.hashKeyFile) and the
 * hub's public keys (updates.publicKeyFiles). Files the settings name were read by the loader
 * already (an unreadable one fails `config`); here: what is missing, and secrets others can read.
 */
export function enrolmentCheck(loaded: LoadedSettings) {
  const { settings, secrets } = loaded;
  const { mqtt, kiosk, privacy, updates } = settings;
  const problems: Array<{ said: Said; fix: Said }> = [];
  if (!mqtt.username && !mqtt.certFile)
    problems.push({
      said: { vi: 'chưa có tài khoản MQTT (mqtt.username)', en: 'no MQTT login (mqtt.username)' },
      fix: { vi: 'ghi danh kiosk: qrkiosk enrol', en: 'enrol the kiosk: qrkiosk enrol' },
    });
  if (mqtt.username && mqtt.username !== kiosk.id)
    problems.push({
      said: {
        vi: `mqtt.username (${mqtt.username}) khác kiosk.id (${kiosk.id}): ACL của broker sẽ chặn`,
        en: `mqtt.username (${mqtt.username}) differs from kiosk.id (${kiosk.id}): the broker's ACL will refuse it`,
      },
      fix: { vi: 'đặt mqtt.username bằng kiosk.id', en: 'set mqtt.username to kiosk.id' },
    });
  if (mqtt.username && !mqtt.passwordFile && !mqtt.certFile)
    problems.push({
      said: { vi: 'có tên MQTT nhưng không có mật khẩu', en: 'an MQTT user name but no password' },
      fix: { vi: 'đặt mqtt.passwordFile (qrkiosk enrol)', en: 'set mqtt.passwordFile (qrkiosk enrol)' },
    });
  for (const [name, file] of [
    ['mqtt.passwordFile', mqtt.passwordFile],
    ['privacy.hashKeyFile', privacy.hashKeyFile],
    ['mqtt.keyFile', mqtt.keyFile],
  ] as const) {
    if (!file) continue;
    try {
      if ((statSync(file).mode & 0o077) !== 0)
        problems.push({
          said: { vi: `${name} ai cũng đọc được (${file})`, en: `${name} is readable by others (${file})` },
          fix: { vi: `chmod 600 ${file}`, en: `chmod 600 ${file}` },
        });
    } catch {
      // read by the loader a moment ago; a file gone since is the next run's news
    }
  }
  if (!secrets.hashKey)
    problems.push({
      said: {
        vi: 'chưa có khóa băm của triển khai (privacy.hashKeyFile): trung tâm không truy vết được',
        en: 'no deployment hash key (privacy.hashKeyFile): the hub cannot trace contacts',
      },
      fix: { vi: 'ghi danh kiosk: qrkiosk enrol', en: 'enrol the kiosk: qrkiosk enrol' },
    });
  if (updates.publicKeyFiles.length === 0)
    problems.push({
      said: {
        vi: 'chưa có khóa công khai của trung tâm (updates.publicKeyFiles): mọi cập nhật có chữ ký bị từ chối',
        en: 'no hub public key (updates.publicKeyFiles): every signed update is refused',
      },
      fix: { vi: 'ghi danh kiosk: qrkiosk enrol', en: 'enrol the kiosk: qrkiosk enrol' },
    });
  const values = {
    username: mqtt.username ?? null,
    passwordFile: mqtt.passwordFile ?? null,
    clientCertificate: mqtt.certFile !== undefined,
    hashKeyFile: privacy.hashKeyFile ?? null,
    hubKeys: updates.publicKeyFiles.length,
  };
  if (problems.length === 0)
    return checked(
      'enrolment',
      'ok',
      {
        vi: `Đã ghi danh: MQTT ${mqtt.username ?? '(chứng chỉ)'}, khóa băm, ${updates.publicKeyFiles.length} khóa trung tâm`,
        en: `Enrolled: MQTT ${mqtt.username ?? '(certificate)'}, hash key, ${updates.publicKeyFiles.length} hub key(s)`,
      },
      NO_FIX,
      values,
    );
  return checked(
    'enrolment',
    'warn',
    { vi: problems.map((p) => p.said.vi).join('; '), en: problems.map((p) => p.said.en).join('; ') },
    {
      vi: [...new Set(problems.map((p) => p.fix.vi))].join('; '),
      en: [...new Set(problems.map((p) => p.fix.en))].join('; '),
    },
    values,
  );
}
