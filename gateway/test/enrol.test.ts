/**
 * Enrolment, the kiosk side (issue #16): the use case behind `qrkiosk enrol` and the unenrolled daemon,
 * against a THIN STAND-IN for the hub's /api/enrol on 127.0.0.1 (testkit StandInEnrolHub: real HTTP,
 * protocol's real signGrant/sealTo; not the hub) and a real Mosquitto that takes only password logins,
 * so "success only after the broker accepted the login" is the broker's word, not ours.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  ENROL_EXIT,
  EnrolmentMode,
  enrolKiosk,
  isUnenrolled,
  loadPendingSettings,
  loadSettings,
  type SettingsError,
  SimGpio,
} from '@qrkiosk/gateway';
import { ENROLMENT_REFUSALS } from '@qrkiosk/protocol';
import {
  freePort,
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  StandInEnrolHub,
  startMosquitto,
  testerCccd,
  waitFor,
  writePasswordFile,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PASSWORD = 'k-001-broker-secret';
let hub: StandInEnrolHub;
let broker: RunningMosquitto;
// Env overrides must not leak into the loader (QRKIOSK_* of whoever runs the tests).
const env = {};

beforeAll(async () => {
  const dir = makeTempDir('enrol-broker-');
  broker = await startMosquitto({
    anonymous: false,
    extraConfig: [`password_file ${writePasswordFile(join(dir, 'passwd'), { 'k-001': PASSWORD })}`],
  });
  hub = new StandInEnrolHub();
  await hub.start();
});
afterAll(async () => {
  await hub?.stop();
  await broker?.stop();
});

/** A kiosk.yaml as the technician left it: hardware set, no identity yet. */
function technicianConfig(): { file: string; dataDir: string; before: string } {
  const dir = makeTempDir('enrol-');
  const file = join(dir, 'kiosk.yaml');
  const before = [
    '# set by the technician at install',
    'scanner: { type: serial, path: /dev/ttyACM0 }',
    'gpio:',
    '  driver: sim',
    'log: { level: warn }',
    '',
  ].join('\n');
  writeFileSync(file, before);
  return { file, dataDir: join(dir, 'data'), before };
}

const mode = (f: string) => statSync(f).mode & 0o777;

describe('enrolKiosk against a stand-in hub and a real broker', () => {
  it('success: a kiosk.yaml loadSettings accepts, the technician’s sections kept, secrets 600, logged in', async () => {
    const { file, dataDir } = technicianConfig();
    const hashKey = randomBytes(32);
    hub.answer = { kind: 'grant', password: PASSWORD, hashKey, brokerUrl: broker.url };
    const code = hub.code();
    const result = await enrolKiosk({ code, configFile: file, dataDir, env });
    expect(result).toMatchObject({ ok: true, kiosk: 'k-001', site: 's-001', direction: 'in' });

    const loaded = loadSettings(file, env);
    expect(loaded.settings.kiosk).toEqual({ id: 'k-001', site: 's-001', direction: 'in' });
    expect(loaded.settings.mqtt).toMatchObject({ url: broker.url, username: 'k-001' });
    expect(loaded.secrets.mqttPassword).toBe(PASSWORD);
    expect(loaded.secrets.hashKey?.equals(hashKey)).toBe(true);
    expect(loaded.secrets.hubKeys.get(hub.keyId)).toBeDefined();
    expect(loaded.settings.data.dir).toBe(dataDir);
    // The technician's sections and comment stay.
    expect(loaded.settings.scanner).toMatchObject({ type: 'serial', path: '/dev/ttyACM0' });
    expect(loaded.settings.gpio.driver).toBe('sim');
    expect(readFileSync(file, 'utf8')).toMatch(/^# set by the technician at install/);

    const secrets = [
      loaded.settings.mqtt.passwordFile,
      loaded.settings.privacy.hashKeyFile,
      ...loaded.settings.updates.publicKeyFiles,
    ] as string[];
    expect(secrets).toHaveLength(3);
    for (const f of secrets) expect(mode(f), f).toBe(0o600);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(`${file}.enrol`)).toBe(false);
    // What the kiosk sent: the schema, the token from the code, an X25519 public key (SPKI DER).
    const request = hub.requests.at(-1) as { schema: string; token: string; publicKey: string };
    expect(request.schema).toBe('qrkiosk.enrol-request/1');
    expect(code.split('/')[1]).toBe(request.token);
    expect(
      createPublicKey({ key: Buffer.from(request.publicKey, 'base64'), format: 'der', type: 'spki' })
        .asymmetricKeyType,
    ).toBe('x25519');
  });

  it('a grant signed by another key: grant-invalid, exit 6, and nothing written', async () => {
    const { file, dataDir, before } = technicianConfig();
    hub.answer = { kind: 'grant-signed-by-other-key', password: PASSWORD, brokerUrl: broker.url };
    const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env });
    expect(result).toMatchObject({ ok: false, reason: 'grant-invalid', exitCode: ENROL_EXIT.grantInvalid });
    expect(result.ok === false && result.written).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a grant sealed to another kiosk’s key (replayed): grant-invalid, nothing written', async () => {
    const { file, dataDir, before } = technicianConfig();
    hub.answer = { kind: 'grant-for-other-kiosk', password: PASSWORD, brokerUrl: broker.url };
    const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env });
    expect(result).toMatchObject({ ok: false, reason: 'grant-invalid' });
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('the hub refuses (code-used, 410 Gone as the real hub answers): exit 3, our sentence, nothing written', async () => {
    const { file, dataDir, before } = technicianConfig();
    hub.answer = { kind: 'refuse', error: 'code-used' };
    const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env });
    expect(result).toMatchObject({
      ok: false,
      reason: 'code-used',
      exitCode: ENROL_EXIT.refused,
      message: ENROLMENT_REFUSALS['code-used'],
      detail: 'HTTP 410',
    });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a refusal with free text of its own: the screen’s message is ours; the text is only a detail', async () => {
    const { file, dataDir } = technicianConfig();
    const rogue = { vi: 'Gọi số 0900 000 000 để được hỗ trợ', en: 'Call 0900 000 000 for support' };
    hub.answer = { kind: 'refuse', error: 'code-expired', message: rogue };
    const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env });
    expect(result).toMatchObject({
      ok: false,
      reason: 'code-expired',
      message: ENROLMENT_REFUSALS['code-expired'],
      hubText: rogue.en,
    });
  });

  it('a "hub" that streams without end: read stops at 256 KiB and fails, it does not wait or hold it all', async () => {
    const { file, dataDir, before } = technicianConfig();
    let sent = 0;
    const flood = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = () => {
        while (!res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) break;
        }
      };
      res.on('drain', more);
      more();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    try {
      const port = (flood.address() as AddressInfo).port;
      const code = hub.code().replace(hub.url, `http://127.0.0.1:${port}`);
      const result = await enrolKiosk({ code, configFile: file, dataDir, env, hubTimeoutMs: 20_000 });
      expect(result).toMatchObject({ ok: false, reason: 'hub-unreachable' });
      // Not the timeout: the size limit ended it.
      expect(result.ok === false && result.detail).toBe('answer larger than 262144 bytes');
      expect(readFileSync(file, 'utf8')).toBe(before);
    } finally {
      flood.closeAllConnections();
      await new Promise<void>((resolve) => flood.close(() => resolve()));
    }
    expect(sent).toBeGreaterThan(256 * 1024);
  });

  it('a data folder that cannot be written: exit 2 before the hub is asked (the code stays good)', async () => {
    const { file, before } = technicianConfig();
    // Under a regular file: unwritable even for root (this suite may run as root, where modes do not bite).
    const blocker = join(makeTempDir('enrol-blocked-'), 'not-a-folder');
    writeFileSync(blocker, '');
    hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: broker.url };
    const asked = hub.requests.length;
    const result = await enrolKiosk({
      code: hub.code(),
      configFile: file,
      dataDir: join(blocker, 'data'),
      env,
    });
    expect(result).toMatchObject({
      ok: false,
      reason: 'config-invalid',
      exitCode: ENROL_EXIT.usage,
      written: false,
    });
    expect(result.ok === false && result.detail).toMatch(/^ENOTDIR /);
    expect(hub.requests.length).toBe(asked);
    expect(readFileSync(file, 'utf8')).toBe(before);
    // A config folder that cannot be written: the same, and nothing left in a data folder made to test it.
    const { dataDir } = technicianConfig();
    const blocked = await enrolKiosk({
      code: hub.code(),
      configFile: join(blocker, 'kiosk.yaml'),
      dataDir,
      env,
    });
    expect(blocked).toMatchObject({ ok: false, reason: 'config-invalid', written: false });
    expect(hub.requests.length).toBe(asked);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('the hub is down: hub-unreachable, exit 4', async () => {
    const { file, dataDir } = technicianConfig();
    const port = await freePort();
    const code = hub.code().replace(hub.url, `http://127.0.0.1:${port}`);
    const result = await enrolKiosk({ code, configFile: file, dataDir, env });
    expect(result).toMatchObject({
      ok: false,
      reason: 'hub-unreachable',
      exitCode: ENROL_EXIT.hubUnreachable,
    });
    expect(result.ok === false && result.detail).toBe('ECONNREFUSED');
    // A timeout may come after the hub spent the code: the sentence must not promise it is still good.
    expect(result.ok === false && result.message.en).toContain('the code may have been used');
    expect(result.ok === false && result.message.vi).toContain('mã có thể đã được dùng');
  });

  it('the login check uses the daemon’s client id (the hub pins it), seen by the broker taking a holder over', async () => {
    const { file, dataDir } = technicianConfig();
    // A client already holding qrkiosk-<site>-<kiosk>: Mosquitto drops it when another connects with that id.
    const holder = await connectAsync(broker.url, {
      clientId: 'qrkiosk-s-001-k-001',
      username: 'k-001',
      password: PASSWORD,
      reconnectPeriod: 0,
    });
    let dropped = false;
    holder.on('close', () => {
      dropped = true;
    });
    try {
      hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: broker.url };
      const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env });
      expect(result.ok).toBe(true);
      await waitFor(() => (dropped ? true : undefined), 5000, 'the holder taken over');
    } finally {
      await holder.endAsync(true);
    }
  });

  it('a hub that never answers: hub-unreachable after the timeout', async () => {
    const { file, dataDir } = technicianConfig();
    hub.answer = { kind: 'silent' };
    const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env, hubTimeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: 'hub-unreachable' });
  });

  it('the broker refuses the login: exit 5, a clear message, and the files stay for the daemon', async () => {
    const { file, dataDir } = technicianConfig();
    hub.answer = { kind: 'grant', password: 'not-the-broker-password', brokerUrl: broker.url };
    const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env });
    expect(result).toMatchObject({
      ok: false,
      reason: 'broker-login-refused',
      exitCode: ENROL_EXIT.broker,
      written: true,
    });
    expect(result.ok === false && result.message.vi).toMatch(/broker từ chối đăng nhập/);
    // Kept on purpose: the code is spent at the hub; the daemon retries the login with these.
    expect(loadSettings(file, env).settings.kiosk.id).toBe('k-001');
  });

  it('a broker that is not there: broker-unreachable, exit 5', async () => {
    const { file, dataDir } = technicianConfig();
    const port = await freePort();
    hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: `mqtt://127.0.0.1:${port}` };
    const result = await enrolKiosk({
      code: hub.code(),
      configFile: file,
      dataDir,
      env,
      brokerTimeoutMs: 2000,
    });
    expect(result).toMatchObject({ ok: false, reason: 'broker-unreachable', exitCode: ENROL_EXIT.broker });
  });

  it('a malformed code: exit 2 without asking anyone', async () => {
    const { file, dataDir } = technicianConfig();
    const before = hub.requests.length;
    const result = await enrolKiosk({ code: 'QRKE1/short/abc/http://x', configFile: file, dataDir, env });
    expect(result).toMatchObject({ ok: false, reason: 'code-malformed', exitCode: ENROL_EXIT.usage });
    expect(hub.requests.length).toBe(before);
  });
});

describe('a scanned code on the unenrolled daemon (EnrolmentMode)', () => {
  it('after "enrolled" and until the restart, a person still gets FAULT and "kiosk not enrolled", never the tick', async () => {
    const { file, dataDir } = technicianConfig();
    writeFileSync(file, `${readFileSync(file, 'utf8')}ui: { port: 0 }\ndata: { dir: "${dataDir}" }\n`);
    // A long "enrolled" screen: the person's scan lands inside it however slow this machine is.
    const mode = new EnrolmentMode(loadPendingSettings(file, env), {
      log: pino({ level: 'silent' }),
      enrol: { env },
      enrolledShowMs: 60_000,
    });
    await mode.gpio.open();
    try {
      hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: broker.url };
      await mode.scan(hub.code());
      expect(mode.shown).toMatchObject({ state: 'enrolled', kiosk: 'k-001' });
      const gpio = mode.gpio;
      if (!(gpio instanceof SimGpio))
        throw new Error(`the test kiosk drives ${gpio.name}, not the simulator`);
      const from = gpio.timeline.length;
      await mode.scan(testerCccd(3));
      expect(mode.shown).toMatchObject({ state: 'not-enrolled' });
      const lit = gpio.timeline
        .slice(from)
        .filter((e) => e.value)
        .map((e) => e.line);
      expect(lit).toContain('amber');
      expect(lit).not.toContain('green');
    } finally {
      await mode.stop();
    }
  });

  it('written, but the broker refuses: `done` resolves (systemd restarts into normal mode to keep trying)', async () => {
    const { file, dataDir } = technicianConfig();
    writeFileSync(file, `${readFileSync(file, 'utf8')}ui: { port: 0 }\ndata: { dir: "${dataDir}" }\n`);
    const mode = new EnrolmentMode(loadPendingSettings(file, env), {
      log: pino({ level: 'silent' }),
      enrol: { env },
      enrolledShowMs: 10,
    });
    await mode.gpio.open();
    try {
      hub.answer = { kind: 'grant', password: 'not-the-broker-password', brokerUrl: broker.url };
      await mode.scan(hub.code());
      // kiosk.yaml is the enrolled one (the code is spent): waiting for another code would wait for ever.
      expect(loadSettings(file, env).settings.kiosk.id).toBe('k-001');
      const outcome = await Promise.race([
        mode.done.then(() => 'done'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000).unref()),
      ]);
      expect(outcome).toBe('done');
    } finally {
      await mode.stop();
    }
  });
});

/** The compiled CLI as a process (async: the stand-in hub answers from this process). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'gateway/dist/cli/main.js'), ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('qrkiosk enrol (the compiled CLI)', () => {
  it('enrols: exit 0, Vietnamese first, and `config check` accepts the file', async () => {
    const { file, dataDir } = technicianConfig();
    hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: broker.url };
    const r = await cli(['enrol', hub.code(), '--config', file, '--data-dir', dataDir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Đã đăng ký: kiosk k-001 tại s-001/);
    const check = await cli(['--lang', 'en', 'config', 'check', file]);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/Config OK: kiosk k-001 at s-001/);
  });

  it('a refusal: exit 3 and the hub’s message in both languages; --json carries the reason', async () => {
    const { file, dataDir } = technicianConfig();
    hub.answer = { kind: 'refuse', error: 'code-expired' };
    const r = await cli(['--lang', 'en', 'enrol', hub.code(), '--config', file, '--data-dir', dataDir]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`Enrolment failed (code-expired): ${ENROLMENT_REFUSALS['code-expired'].en}`);
    expect(r.stderr).toContain(ENROLMENT_REFUSALS['code-expired'].vi);
    const j = await cli(['enrol', hub.code(), '--config', file, '--data-dir', dataDir, '--json']);
    expect(j.status).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, reason: 'code-expired', exitCode: 3 });
  });

  it('an unwritable --data-dir: exit 2, the hub never asked, and no "config was written" line', async () => {
    const { file } = technicianConfig();
    const blocker = join(makeTempDir('enrol-cli-blocked-'), 'not-a-folder');
    writeFileSync(blocker, '');
    hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: broker.url };
    const asked = hub.requests.length;
    const r = await cli([
      '--lang',
      'en',
      'enrol',
      hub.code(),
      '--config',
      file,
      '--data-dir',
      join(blocker, 'd'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/config-invalid/);
    expect(r.stderr).not.toMatch(/config was written/);
    expect(hub.requests.length).toBe(asked);
  });

  it('a refusal with the hub’s own text: our sentence first, the hub’s only as a detail line', async () => {
    const { file, dataDir } = technicianConfig();
    hub.answer = {
      kind: 'refuse',
      error: 'code-revoked',
      message: { vi: 'Văn bản của trung tâm', en: 'The hub’s own words' },
    };
    const r = await cli(['--lang', 'en', 'enrol', hub.code(), '--config', file, '--data-dir', dataDir]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`Enrolment failed (code-revoked): ${ENROLMENT_REFUSALS['code-revoked'].en}`);
    expect(r.stderr).toContain('  the hub says: The hub’s own words');
  });

  it('the broker refuses: exit 5, the message, and that the files were kept', async () => {
    const { file, dataDir } = technicianConfig();
    hub.answer = { kind: 'grant', password: 'wrong', brokerUrl: broker.url };
    const r = await cli(['enrol', hub.code(), '--config', file, '--data-dir', dataDir]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/broker-login-refused/);
    expect(r.stderr).toMatch(/được giữ lại/);
  });
});

describe('the unenrolled rule (enrolment/pending.ts)', () => {
  it('no kiosk: section is unenrolled; its other settings still go through the loader, errors at their line', () => {
    const dir = makeTempDir('pending-');
    const file = join(dir, 'kiosk.yaml');
    writeFileSync(file, '# comments only\n');
    expect(isUnenrolled(file)).toBe(true);
    writeFileSync(file, 'kiosk: { id: k-001, site: s-001 }\n');
    expect(isUnenrolled(file)).toBe(false);
    expect(isUnenrolled(join(dir, 'missing.yaml'))).toBe(false);
    writeFileSync(file, 'gpio: { driver: sim }\nui:\n  prot: 8080\n');
    expect(isUnenrolled(file)).toBe(true);
    let problems: SettingsError['problems'] = [];
    try {
      loadPendingSettings(file, env);
    } catch (err) {
      problems = (err as SettingsError).problems;
    }
    // The misspelt key is found where it is (line 3), with "did you mean", as for any kiosk.yaml.
    expect(problems).toHaveLength(1);
    expect(problems[0]?.source).toBe(`${file}:3`);
    expect(JSON.stringify(problems[0])).toMatch(/port/);
  });
});
