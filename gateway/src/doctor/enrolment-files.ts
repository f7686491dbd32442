import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENROLMENT_FILES } from '../enrolment/write-config.js';
import type { Settings } from '../settings/index.js';
import type { Said } from './check.js';

export interface FileProblem {
  level: 'warn' | 'fail';
  said: Said;
  fix: Said;
}

/** A file kiosk.yaml names for what enrolment gives; secrets must stay the service's alone. */
export interface NamedFile {
  setting: string;
  path: string;
  secret: boolean;
}

const ENROL_AGAIN: Said = {
  vi: 'đăng ký lại kiosk bằng một mã mới từ trung tâm y tế: qrkiosk enrol MÃ',
  en: 'enrol the kiosk again with a new code from the health office: qrkiosk enrol CODE',
};

/** The files `qrkiosk enrol` writes (enrolment/write-config.ts) as kiosk.yaml names them now. */
export function namedFiles(settings: Settings): NamedFile[] {
  const { mqtt, privacy, updates } = settings;
  const files: NamedFile[] = [];
  const add = (setting: string, path: string | undefined, secret: boolean) => {
    if (path) files.push({ setting, path, secret });
  };
  add('mqtt.passwordFile', mqtt.passwordFile, true);
  add('privacy.hashKeyFile', privacy.hashKeyFile, true);
  add('mqtt.keyFile', mqtt.keyFile, true);
  add('mqtt.caFile', mqtt.caFile, false);
  add('mqtt.certFile', mqtt.certFile, false);
  updates.publicKeyFiles.forEach((f, i) => {
    add(`updates.publicKeyFiles[${i}]`, f, false);
  });
  return files;
}

/**
 * Present, readable, and for a secret: mode 600 or narrower, and owned by the data folder's owner —
 * the service's user, whom `sudo qrkiosk enrol` gives the files to. The doctor runs as root, which reads
 * any file: a root-owned 600 secret passes `open` here and still fails the service.
 */
export function inspectFile(f: NamedFile, dataDirOwner: number | null): FileProblem[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(f.path);
    closeSync(openSync(f.path, 'r'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return [
      {
        level: 'fail',
        said:
          code === 'ENOENT'
            ? { vi: `${f.setting}: thiếu tệp ${f.path}`, en: `${f.setting}: ${f.path} is missing` }
            : {
                vi: `${f.setting}: không đọc được ${f.path} (${code})`,
                en: `${f.setting}: cannot read ${f.path} (${code})`,
              },
        fix: code === 'ENOENT' ? ENROL_AGAIN : { vi: 'chạy doctor bằng sudo', en: 'run doctor with sudo' },
      },
    ];
  }
  if (!f.secret) return [];
  const problems: FileProblem[] = [];
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  if ((st.mode & 0o177) !== 0)
    problems.push({
      level: 'warn',
      said: {
        vi: `${f.setting}: ${f.path} có quyền ${mode}, rộng hơn 600 (người khác đọc được bí mật)`,
        en: `${f.setting}: ${f.path} has mode ${mode}, wider than 600 (others can read the secret)`,
      },
      fix: { vi: `chmod 600 ${f.path}`, en: `chmod 600 ${f.path}` },
    });
  if (dataDirOwner !== null && st.uid !== dataDirOwner && (st.mode & 0o044) === 0)
    problems.push({
      level: 'fail',
      said: {
        vi: `${f.setting}: ${f.path} thuộc uid ${st.uid}, dịch vụ (chủ thư mục dữ liệu, uid ${dataDirOwner}) không đọc được`,
        en: `${f.setting}: ${f.path} belongs to uid ${st.uid}; the service (owner of the data folder, uid ${dataDirOwner}) cannot read it`,
      },
      fix: {
        vi: `chown --reference=THƯ_MỤC_DỮ_LIỆU ${f.path}`,
        en: `chown --reference=DATA_FOLDER ${f.path}`,
      },
    });
  return problems;
}

/** The data folder's owner (the service's user), null when the folder is not there. */
export function ownerOf(dir: string): number | null {
  try {
    return statSync(dir).uid;
  } catch {
    return null;
  }
}

/**
 * Secrets enrolment left in the data folder that kiosk.yaml no longer names (a hand edit lost a line):
 * the kiosk runs without them, so the fix is the line back, not a new enrolment. Only the two files every
 * enrolment writes: a broker-ca.pem or hub-key-*.pem may rightly outlive the grant that brought it (a
 * later grant without a CA, a rotated hub key), and enrolment leaves them in place.
 */
export function unnamedEnrolmentFiles(settings: Settings): FileProblem[] {
  const dir = resolve(settings.data.dir);
  const problems: FileProblem[] = [];
  const expect = (setting: string, name: string, named: string | undefined) => {
    const path = join(dir, name);
    if (!named && existsSync(path))
      problems.push({
        level: 'warn',
        said: {
          vi: `có ${path} do đăng ký ghi, nhưng kiosk.yaml không có ${setting}`,
          en: `${path} from enrolment is there, but kiosk.yaml has no ${setting}`,
        },
        fix: { vi: `đặt ${setting}: ${path} trong kiosk.yaml`, en: `set ${setting}: ${path} in kiosk.yaml` },
      });
  };
  expect('mqtt.passwordFile', ENROLMENT_FILES.password, settings.mqtt.passwordFile);
  expect('privacy.hashKeyFile', ENROLMENT_FILES.hashKey, settings.privacy.hashKeyFile);
  return problems;
}
