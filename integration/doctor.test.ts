/**
 * `qrkiosk doctor` as a technician runs it: the compiled CLI as a process, a real pty serial scanner
 * (firmware-sim) that scans when asked — or does not — and the kiosk's broker up, then down. Program
 * option `--lang en` is given after the command, as a technician types it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { type DoctorReport, validateDoctorReport } from '@qrkiosk/protocol';
import { Cleanups, kioskYaml, makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { secureBroker } from './secure-broker.js';

const CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé|20042021';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Runs the CLI; `onPrompt` hears its stderr (where it asks for the scan) while it runs. */
function doctor(
  args: string[],
  onPrompt: (text: string) => void = () => undefined,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, 'doctor', ...args]);
    cleanups.push(() => child.kill());
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      onPrompt(stderr);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function config(lines: string[]): string {
  const file = join(makeTempDir('doctor-cli-'), 'kiosk.yaml');
  writeFileSync(file, kioskYaml({ lines: ['ui: { port: 0 }', ...lines] }));
  return file;
}

async function plugScanner(): Promise<VirtualSerialScanner> {
  const device = new VirtualSerialScanner();
  await device.plugIn();
  cleanups.push(() => device.unplug());
  return device;
}

const parse = (stdout: string): DoctorReport => {
  const report = JSON.parse(stdout) as unknown;
  const v = validateDoctorReport(report);
  if (!v.ok) throw new Error(v.errors.join('; '));
  return v.value;
};
const byId = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id);

describe('qrkiosk doctor (the CLI, a pty scanner, a real broker)', () => {
  it('a scanner that scans when asked passes; the broker up passes; --json is a valid qrkiosk.doctor/1', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const device = await plugScanner();
    const pass = join(makeTempDir('doctor-pass-'), 'mqtt.pass');
    writeFileSync(pass, 'pass-001', { mode: 0o600 });
    let scanned = false;
    const run = await doctor(
      [
        '--config',
        config([
          `scanner: { type: serial, path: "${device.path}" }`,
          `mqtt: { url: "${broker.url}", username: k-001, passwordFile: "${pass}" }`,
        ]),
        '--json',
        '--scan-timeout',
        '10',
        '--lang',
        'en',
      ],
      (stderr) => {
        if (!scanned && stderr.includes('Scan any code')) {
          scanned = true;
          void device.scan(CCCD);
        }
      },
    );
    const report = parse(run.stdout);
    expect(report.checks.map((c) => c.id)).toEqual([
      'config',
      'service',
      'scanner',
      'gpio',
      'broker',
      'enrolment',
      'cache',
      'rules',
      'trust-list',
      'revocation-list',
      'pass-list',
      'freshness',
      'clock',
      'disk',
      'sd-writes',
      'outbox',
      'tracing',
    ]);
    expect(byId(report, 'scanner')).toMatchObject({
      status: 'ok',
      values: { via: 'input', connected: true, codeLength: CCCD.length },
    });
    // The code is a person's document: its length is reported, never its text.
    expect(run.stdout).not.toContain('Nguyễn');
    expect(byId(report, 'broker')?.status).toBe('ok');
    // Nothing from the office installed yet: no age, nothing stale.
    expect(byId(report, 'freshness')).toMatchObject({ status: 'ok', values: { rulesAgeSeconds: null } });
    expect(report.kiosk).toBe('k-001');
    // Nothing here fails (no systemd: the service skips; simulated lights only warn; assumeSynced warns).
    expect(report.status).toBe('warn');
    expect(run.code).toBe(0);
  });

  it('a scanner that does not scan, and a broker that is down, fail clearly: exit 1', async () => {
    const broker = await secureBroker();
    await broker.stop();
    const device = await plugScanner();
    const run = await doctor([
      '--config',
      config([`scanner: { type: serial, path: "${device.path}" }`, `mqtt: { url: "${broker.url}" }`]),
      '--scan-timeout',
      '2',
      '--lang',
      'en',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\[FAIL\] scanner +Scanner open, but no code read within 2 s/);
    expect(run.stdout).toMatch(
      new RegExp(`\\[FAIL\\] broker +Broker ${broker.url} unreachable \\(ECONNREFUSED\\)`),
    );
    expect(run.stdout).toContain('Fix: check the network (ping the broker host), that the broker runs');
    expect(run.stderr).toContain(`Scan any code into ${device.path} (waiting 2 s)`);
  });

  it('a scanner path with nothing plugged in fails as "cannot open"; Vietnamese by default', async () => {
    const device = await plugScanner();
    const path = device.path;
    await device.unplug();
    const run = await doctor([
      '--config',
      config([`scanner: { type: serial, path: "${path}" }`]),
      '--scan-timeout',
      '2',
      '--json',
    ]);
    const s = byId(parse(run.stdout), 'scanner');
    expect(s).toMatchObject({ status: 'fail', values: { connected: false } });
    expect(s?.message.vi).toContain('Không mở được máy quét');
    expect(run.stderr).toContain('Hãy quét một mã bất kỳ');
  });

  it('an unenrolled kiosk.yaml (no kiosk: section): config OK, enrolment FAIL with the way to enrol, exit 1', async () => {
    const dir = makeTempDir('doctor-unenrolled-');
    mkdirSync(join(dir, 'data'));
    const file = join(dir, 'kiosk.yaml');
    writeFileSync(file, `data: { dir: "${join(dir, 'data')}" }\ngpio: { driver: sim }\nui: { port: 0 }\n`);
    const vi = await doctor(['--config', file, '--no-scan']);
    expect(vi.code).toBe(1);
    expect(vi.stdout).toMatch(/\[OK {2}\] config +Cấu hình hợp lệ, kiosk chưa đăng ký/);
    expect(vi.stdout).toMatch(/\[FAIL\] enrolment +Kiosk chưa đăng ký/);
    expect(vi.stdout).toContain(
      'Cách sửa: quét mã đăng ký từ trung tâm y tế bằng máy quét của kiosk này, hoặc chạy: qrkiosk enrol MÃ',
    );
    expect(vi.stdout).not.toContain('kiosk.id');

    const en = await doctor(['--config', file, '--no-scan', '--json', '--lang', 'en']);
    expect(en.code).toBe(1);
    const report = parse(en.stdout);
    expect(report.kiosk).toBeNull();
    expect(report.status).toBe('fail');
    expect(byId(report, 'config')).toMatchObject({ status: 'ok', values: { enrolled: false } });
    expect(byId(report, 'enrolment')).toMatchObject({
      status: 'fail',
      fix: {
        en: "scan the enrolment code from the health office on this kiosk's scanner, or run: qrkiosk enrol CODE",
      },
    });
    expect(byId(report, 'broker')).toMatchObject({
      status: 'skip',
      message: { en: expect.stringContaining('not enrolled') },
    });
    for (const id of ['gpio', 'clock', 'disk']) expect(byId(report, id)?.status, id).not.toBe('skip');
  });

  it('a broken kiosk.yaml: exit 2 as `config check`, the loader lines on the config line', async () => {
    const file = join(makeTempDir('doctor-bad-'), 'kiosk.yaml');
    writeFileSync(file, 'kiosk: { id: k-001, site: s-001 }\nmqtt: { url: "http://nope" }\n');
    const run = await doctor(['--config', file, '--no-scan', '--lang', 'en']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('[FAIL] config');
    expect(run.stdout).toContain(`${file}:2`);
    expect(run.stdout).toMatch(/\[SKIP\] broker +the config did not load/);
    // A wrong option is a bad invocation, not a failed check.
    expect((await doctor(['--scan-timeout', 'soon'])).code).toBe(2);
  });
});
