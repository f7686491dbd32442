import { existsSync } from 'node:fs';
import { installedTrustList } from '../dcc-trust.js';
import { builtinRules, loadSignedRules, RulesError } from '../decide/rules.js';
import { FactsCache } from '../lookup/index.js';
import { rulesFileOf } from '../policy.js';
import { installedRevocationHeader, loadRevocationList } from '../revocation/index.js';
import type { LoadedSettings, Settings } from '../settings/index.js';
import { ageSeconds, checked, humanAge, NO_FIX, type Said } from './check.js';

/**
 * Older than this, what the hub sends (cache, trust list, revocation list) is called stale: the hub
 * publishes changes as they come, so a week without one on a kiosk that is online is a kiosk that
 * stopped receiving. A judgement, not a measurement; docs/technician-guide.md says so.
 */
export const STALE_SECONDS = 7 * 86_400;

const RECEIVE: Said = {
  vi: 'kiểm tra dòng broker; trên trung tâm: gửi lại (qrkiosk-hub) hoặc cài tay',
  en: 'check the broker line; on the hub: publish again (qrkiosk-hub) or install by hand',
};

/** The facts cache: the version the hub signed and when it was applied (cache.db read only). */
export function cacheCheck(settings: Settings, now: Date) {
  const cache = new FactsCache(settings.data.dir);
  try {
    cache.openReadOnly();
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return checked(
      'cache',
      existsSync(cache.file) ? 'fail' : 'warn',
      {
        vi: existsSync(cache.file) ? `Không đọc được cache.db (${code})` : 'Chưa có dữ liệu (cache.db)',
        en: existsSync(cache.file) ? `Cannot read cache.db (${code})` : 'No facts cache yet (cache.db)',
      },
      {
        vi: 'khởi động dịch vụ (nó tạo cache.db) và chờ bản cập nhật từ trung tâm, hoặc: qrkiosk cache apply TỆP',
        en: 'start the service (it makes cache.db) and wait for the hub, or: qrkiosk cache apply FILE',
      },
      { file: cache.file, code },
    );
  }
  try {
    const s = cache.status();
    const age = ageSeconds(s.updatedAt, now);
    const values = {
      version: s.version,
      identities: s.identities,
      bytes: s.bytes,
      updatedAt: s.updatedAt,
      ageSeconds: age,
    };
    if (s.version === 0)
      return checked(
        'cache',
        'warn',
        {
          vi: `Dữ liệu chưa từng nhận từ trung tâm (${s.identities} định danh nhập tay)`,
          en: `Facts never received from the hub (${s.identities} identities imported locally)`,
        },
        RECEIVE,
        values,
      );
    const said = {
      vi: `Dữ liệu phiên bản ${s.version}, ${s.identities} định danh, cập nhật ${age === null ? '?' : humanAge(age)} trước`,
      en: `Facts version ${s.version}, ${s.identities} identities, updated ${age === null ? '?' : humanAge(age)} ago`,
    };
    return age !== null && age > STALE_SECONDS
      ? checked('cache', 'warn', said, RECEIVE, values)
      : checked('cache', 'ok', said, NO_FIX, values);
  } finally {
    cache.close();
  }
}

/** The rules in force at the next start: the signed file when it verifies, else the built-in rules. */
export function rulesCheck(loaded: LoadedSettings) {
  const file = rulesFileOf(loaded.settings);
  if (!existsSync(file)) {
    const { version } = builtinRules();
    return checked(
      'rules',
      'ok',
      {
        vi: `Quy tắc có sẵn (phiên bản ${version}), chưa có tệp từ trung tâm`,
        en: `Built-in rules (version ${version}), none from the hub`,
      },
      NO_FIX,
      { version, source: 'built-in', file },
    );
  }
  try {
    const rules = loadSignedRules(file, loaded.secrets.hubKeys);
    return checked(
      'rules',
      'ok',
      { vi: `Quy tắc phiên bản ${rules.version} (${file})`, en: `Rules version ${rules.version} (${file})` },
      NO_FIX,
      { version: rules.version, source: file, file },
    );
  } catch (err) {
    if (!(err instanceof RulesError)) throw err;
    return checked(
      'rules',
      'fail',
      {
        vi: `Tệp quy tắc bị từ chối (${err.message}): kiosk dùng quy tắc cũ hoặc có sẵn`,
        en: `Rules file refused (${err.message}): the kiosk keeps older or built-in rules`,
      },
      {
        vi: 'cần tệp quy tắc và chữ ký (.sig) mới từ trung tâm, ký bằng khóa trong updates.publicKeyFiles',
        en: 'get a fresh rules file and .sig from the hub, signed by a key in updates.publicKeyFiles',
      },
      { version: null, source: 'refused', file },
    );
  }
}

/** The hub's DCC trust list installed in <data.dir>/dcc-trust/. */
export function trustListCheck(settings: Settings, now: Date) {
  const { version, createdAt } = installedTrustList(settings.data.dir);
  const age = ageSeconds(createdAt, now);
  const values = { version, createdAt, ageSeconds: age, trustFiles: settings.dcc.trustFiles.length };
  if (version === 0)
    return checked(
      'trust-list',
      settings.dcc.trustFiles.length > 0 ? 'ok' : 'warn',
      settings.dcc.trustFiles.length > 0
        ? {
            vi: `Chưa có danh sách tin cậy từ trung tâm; dùng ${settings.dcc.trustFiles.length} tệp dcc.trustFiles`,
            en: `No trust list from the hub; using ${settings.dcc.trustFiles.length} dcc.trustFiles`,
          }
        : {
            vi: 'Chưa có danh sách tin cậy: không kiểm tra được chữ ký hộ chiếu vắc-xin EU',
            en: 'No trust list: EU vaccine-passport signatures cannot be checked',
          },
      settings.dcc.trustFiles.length > 0 ? NO_FIX : RECEIVE,
      values,
    );
  const said = {
    vi: `Danh sách tin cậy phiên bản ${version}, lập ${age === null ? '?' : humanAge(age)} trước`,
    en: `Trust list version ${version}, made ${age === null ? '?' : humanAge(age)} ago`,
  };
  return age !== null && age > STALE_SECONDS
    ? checked('trust-list', 'warn', said, RECEIVE, values)
    : checked('trust-list', 'ok', said, NO_FIX, values);
}

/** The hub's DCC revocation list (<data.dir>/revocation.qrkr), verified as the daemon verifies it at start. */
export function revocationListCheck(loaded: LoadedSettings, now: Date) {
  const dir = loaded.settings.data.dir;
  const header = installedRevocationHeader(dir);
  if (!header)
    return checked(
      'revocation-list',
      'warn',
      { vi: 'Chưa có danh sách thu hồi', en: 'No revocation list installed' },
      RECEIVE,
      { version: 0, createdAt: null, ageSeconds: null },
    );
  const age = ageSeconds(header.createdAt, now);
  const values = { version: header.version, createdAt: header.createdAt, ageSeconds: age };
  try {
    loadRevocationList(dir, loaded.secrets.hubKeys);
  } catch (err) {
    return checked(
      'revocation-list',
      'fail',
      {
        vi: `Danh sách thu hồi bị từ chối (${(err as Error).message}): không chứng nhận nào được kiểm tra thu hồi`,
        en: `Revocation list refused (${(err as Error).message}): no certificate is checked against it`,
      },
      {
        vi: 'cài lại danh sách từ trung tâm: qrkiosk revocation apply TỆP',
        en: 'install the list from the hub again: qrkiosk revocation apply FILE',
      },
      values,
    );
  }
  const said = {
    vi: `Danh sách thu hồi phiên bản ${header.version}, lập ${age === null ? '?' : humanAge(age)} trước`,
    en: `Revocation list version ${header.version}, made ${age === null ? '?' : humanAge(age)} ago`,
  };
  return age !== null && age > STALE_SECONDS
    ? checked('revocation-list', 'warn', said, RECEIVE, values)
    : checked('revocation-list', 'ok', said, NO_FIX, values);
}
