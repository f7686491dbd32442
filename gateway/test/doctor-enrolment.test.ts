/**
 * `qrkiosk doctor` and enrolment: an unenrolled kiosk.yaml (no `kiosk:` section) read as `run` reads it,
 * and the enrolment check of a kiosk whose files were written by the real enrolment writer
 * (enrolment/write-config.ts, the code `qrkiosk enrol` runs once the hub's grant is verified), then
 * spoiled as a technician or a bad copy would: mode 644, a file gone, an owner the service is not.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EnrolmentGrant, keyId, validateDoctorReport } from '@qrkiosk/protocol';
import { freePort, makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { builtinRules, signRules } from '../src/decide/index.js';
import { enrolmentCheck } from '../src/doctor/enrolment.js';
import { inspectFile } from '../src/doctor/enrolment-files.js';
import { doctorExitCode, runDoctor } from '../src/doctor/index.js';
import { ENROLMENT_FILES, EnrolmentScreen, writeEnrolledConfig } from '../src/enrolment/index.js';
import { createLogger } from '../src/log.js';
import { loadSettings } from '../src/settings/index.js';

const quick = { scanTimeoutMs: 0, blink: false, brokerTimeoutMs: 1000, env: {} };
const hub = generateKeyPairSync('ed25519');
const hubPem = hub.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/**
 * The file a freshly flashed kiosk has: hardware set, no identity. The data folder exists, empty, as
 * systemd's StateDirectory= makes it; assumeSynced so that the clock of this machine only warns.
 */
function unenrolled(): { file: string; dataDir: string } {
  const dir = makeTempDir('doctor-unenrolled-');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const file = join(dir, 'kiosk.yaml');
  writeFileSync(
    file,
    `data: { dir: "${dataDir}" }\ngpio: { driver: sim }\nui: { port: 0 }\nclock: { assumeSynced: true }\n`,
  );
  return { file, dataDir };
}

/** Rules signed by the hub's key, as a technician might copy them in before enrolling. */
function signedRules(dataDir: string): void {
  const bytes = Buffer.from(JSON.stringify({ ...builtinRules(), version: 'province-2026-11-01' }));
  writeFileSync(join(dataDir, 'rules.json'), bytes);
  writeFileSync(
    join(dataDir, 'rules.json.sig'),
    JSON.stringify(signRules(bytes, hub.privateKey, keyId(hub.publicKey))),
  );
}

/** What `qrkiosk enrol` writes for a grant (the grant's fields that the writer reads). */
function enrol(file: string, dataDir: string, withCa = true): void {
  const grant = {
    kiosk: 'k-001',
    site: 's-001',
    direction: 'in',
    broker: { url: 'mqtts://broker.invalid:8883', ...(withCa ? { ca: hubPem } : {}) },
    username: 'k-001',
    hubPublicKeys: [hubPem],
  } as unknown as EnrolmentGrant;
  const doc = parseDocument(`gpio: { driver: sim }\nui: { port: 0 }\n`);
  const r = { grant, password: 'broker-secret', hashKey: randomBytes(32) };
  const w = writeEnrolledConfig(file, dataDir, doc as never, r, {});
  if (!w.ok) throw new Error(w.detail);
}

const byId = (r: Awaited<ReturnType<typeof runDoctor>>, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no ${id} check`);
  return c;
};

describe('doctor on an unenrolled kiosk (no kiosk: section)', () => {
  it('config valid, enrolment fails with the way to enrol, broker skipped, hardware and disk still checked: exit 1', async () => {
    const { file, dataDir } = unenrolled();
    const report = await runDoctor({ config: file, ...quick }, { roots: { sys: makeTempDir('sys-') } });
    expect(validateDoctorReport(report).ok).toBe(true);
    expect(byId(report, 'config')).toMatchObject({
      status: 'ok',
      values: { enrolled: false, kiosk: null },
      message: { en: 'Config valid, kiosk not enrolled yet (no kiosk: section)' },
    });
    const e = byId(report, 'enrolment');
    expect(e.status).toBe('fail');
    expect(e.fix.vi).toBe(
      'quét mã đăng ký từ trung tâm y tế bằng máy quét của kiosk này, hoặc chạy: qrkiosk enrol MÃ',
    );
    expect(e.fix.en).toBe(
      "scan the enrolment code from the health office on this kiosk's scanner, or run: qrkiosk enrol CODE",
    );
    expect(byId(report, 'broker')).toMatchObject({ status: 'skip', message: { en: /not enrolled/ } });
    for (const id of ['cache', 'trust-list', 'revocation-list', 'pass-list', 'outbox'])
      expect(byId(report, id), id).toMatchObject({
        status: 'skip',
        message: { en: /^Skipped: not enrolled/ },
      });
    expect(byId(report, 'rules')).toMatchObject({ status: 'ok', values: { source: 'built-in' } });
    // The hardware and the data folder are checked as on any kiosk.
    expect(byId(report, 'gpio')).toMatchObject({ status: 'warn', values: { driver: 'sim' } });
    expect(byId(report, 'clock')).toMatchObject({ status: 'warn', values: { assumeSynced: true } });
    expect(byId(report, 'disk')).toMatchObject({ values: { dir: dataDir } });
    expect(byId(report, 'disk').values.freeBytes).toBeTypeOf('number');
    // The one failure is the one a technician has to act on.
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['enrolment']);
    // The placeholder identity never shows as a kiosk id.
    expect(report.kiosk).toBeNull();
    expect(report.site).toBeNull();
    expect(doctorExitCode(report)).toBe(1);
  });

  it('what is there is still read: signed rules are a warning before enrolment brings the key, ok after', async () => {
    const { file, dataDir } = unenrolled();
    signedRules(dataDir);
    const before = await runDoctor({ config: file, ...quick });
    const rules = byId(before, 'rules');
    expect(rules.status).toBe('warn');
    expect(rules.message.en).toContain('not enrolled, so no hub key to verify it with yet');

    enrol(file, dataDir);
    const after = await runDoctor({ config: file, ...quick });
    expect(byId(after, 'config').values).toMatchObject({ enrolled: true, kiosk: 'k-001' });
    expect(byId(after, 'rules')).toMatchObject({ status: 'ok', values: { version: 'province-2026-11-01' } });
    expect(byId(after, 'enrolment').status).toBe('ok');
    expect(byId(after, 'broker').status).toBe('fail'); // broker.invalid: asked, not skipped
    expect(after.kiosk).toBe('k-001');
  });
  it('while the unenrolled service holds the scanner (its screen answers), the scan is not asked for: skip with why', async () => {
    const { file, dataDir } = unenrolled();
    const port = await freePort();
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}ui: { port: ${port}, host: 127.0.0.1 }\n`.replace(
        'ui: { port: 0 }\n',
        '',
      ),
    );
    // The unenrolled daemon's own screen server (enrolment/screen.ts), as `run` starts it.
    const screen = new EnrolmentScreen(createLogger('silent'));
    await screen.start(port, '127.0.0.1');
    try {
      const prompts: string[] = [];
      const report = await runDoctor(
        { config: file, ...quick, scanTimeoutMs: 5000 },
        { say: (s) => prompts.push(s.en) },
      );
      expect(byId(report, 'scanner')).toMatchObject({ status: 'skip', values: { via: null } });
      expect(byId(report, 'scanner').message.en).toContain(
        'the screen saying "kiosk not enrolled" means the scanner reads',
      );
      expect(prompts).toEqual([]);
      expect(byId(report, 'disk').values.dir).toBe(dataDir);
    } finally {
      await screen.stop();
    }
  });
});

describe('doctor: the enrolment check reads what `qrkiosk enrol` wrote', () => {
  const enrolled = (withCa = true) => {
    const dir = makeTempDir('doctor-enrolled-');
    const file = join(dir, 'kiosk.yaml');
    const dataDir = join(dir, 'data');
    enrol(file, dataDir, withCa);
    return { file, dataDir };
  };

  it('fresh from enrolment: every file present, secrets 600: ok', () => {
    const { file, dataDir } = enrolled();
    const c = enrolmentCheck(loadSettings(file, {}));
    expect(c).toMatchObject({
      status: 'ok',
      values: {
        username: 'k-001',
        passwordFile: join(dataDir, ENROLMENT_FILES.password),
        caFile: join(dataDir, ENROLMENT_FILES.ca),
        hashKeyFile: join(dataDir, ENROLMENT_FILES.hashKey),
        hubKeys: 1,
        files: 4,
      },
    });
    expect(c.message.en).toContain('4 files readable, secrets owner-only');
  });

  it('a secret wider than 600 warns with the chmod; a missing CA fails with "enrol again"', () => {
    const { file, dataDir } = enrolled();
    const key = join(dataDir, ENROLMENT_FILES.hashKey);
    chmodSync(key, 0o644);
    const wide = enrolmentCheck(loadSettings(file, {}));
    expect(wide.status).toBe('warn');
    expect(wide.message.en).toBe(
      `privacy.hashKeyFile: ${key} has mode 644, wider than 600 (others can read the secret)`,
    );
    expect(wide.fix).toEqual({ vi: `chmod 600 ${key}`, en: `chmod 600 ${key}` });

    const ca = join(dataDir, ENROLMENT_FILES.ca);
    rmSync(ca);
    const gone = enrolmentCheck(loadSettings(file, {}));
    expect(gone.status).toBe('fail');
    expect(gone.message.en).toContain(`mqtt.caFile: ${ca} is missing`);
    expect(gone.fix.en).toContain('enrol the kiosk again with a new code from the health office');
    expect(gone.fix.vi).toContain('đăng ký lại kiosk');
  });

  it('a secret the service (the data folder owner) cannot read fails; kiosk.yaml that lost a line warns', () => {
    const { file, dataDir } = enrolled(false);
    const pass = join(dataDir, ENROLMENT_FILES.password);
    // The owner is handed in: a real 600 file, and a service user other than the file's owner.
    const problems = inspectFile(
      { setting: 'mqtt.passwordFile', path: pass, secret: true },
      statSync(pass).uid + 1,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      level: 'fail',
      fix: { en: `chown --reference=DATA_FOLDER ${pass}` },
    });
    expect(
      inspectFile({ setting: 'mqtt.passwordFile', path: pass, secret: true }, statSync(pass).uid),
    ).toEqual([]);

    // A hand edit dropped privacy.hashKeyFile; enrolment's hash-key is still in the data folder.
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.deleteIn(['privacy', 'hashKeyFile']);
    writeFileSync(file, doc.toString());
    const lost = enrolmentCheck(loadSettings(file, {}));
    expect(lost.status).toBe('warn');
    const key = join(dataDir, ENROLMENT_FILES.hashKey);
    expect(lost.message.en).toContain(
      `${key} from enrolment is there, but kiosk.yaml has no privacy.hashKeyFile`,
    );
    expect(lost.fix.en).toContain(`set privacy.hashKeyFile: ${key} in kiosk.yaml`);
  });
});
