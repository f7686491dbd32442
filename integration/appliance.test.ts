/**
 * The appliance recipe (issue #16): hardware/cloud-init/user-data checked by Debian's own tools, not by
 * ours — `cloud-init schema` (cloud-init's JSON schema of every module) and `systemd-analyze verify` for
 * every unit it installs or changes — and each file it takes from the release bundle's hardware/ folder
 * exists in this repository's hardware/, which is what the bundle ships. The card holds nothing per kiosk:
 * its kiosk.yaml is an unenrolled one (no `kiosk:` section) that the gateway's own CLI accepts, and that the
 * gateway's own enrolment completes in place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enrolKiosk, isUnenrolled, loadSettings } from '@qrkiosk/gateway';
import { makeTempDir, REPO_ROOT, StandInEnrolHub, startMosquitto, writePasswordFile } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import {
  type CloudConfig,
  cloudConfig,
  cloudConfigFile,
  cloudInitSchema,
  HARDWARE,
  scriptFile,
  textFile,
  USER_DATA,
  userDataText,
  verifyUnits,
  writtenFile,
} from './appliance-recipe.js';

const CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const SCRIPTS = ['/usr/local/sbin/qrkiosk-firstboot', '/usr/local/sbin/qrkiosk-install-bundle'];

describe('cloud-init accepts the recipe', () => {
  it('cloud-init schema: the user-data is valid cloud-config', () => {
    const r = cloudInitSchema(USER_DATA);
    expect(r.output).toContain('Valid cloud-config');
    expect(r.status).toBe(0);
  });

  it('cloud-init schema rejects broken copies (the check can fail)', () => {
    const broken: Array<[string, (c: CloudConfig) => void, RegExp]> = [
      ['packages as one string', (c) => Object.assign(c, { packages: 'nodejs cage' }), /packages/],
      ['reboot mode misspelt', (c) => Object.assign(c, { power_state: { mode: 'rebot' } }), /power_state/],
      ['a file with no path', (c) => c.write_files.push({ content: 'x' } as never), /write_files/],
      ['a user without a name', (c) => c.users.push({ groups: ['dialout'] } as never), /users/],
    ];
    for (const [what, breakIt, key] of broken) {
      const config = cloudConfig();
      breakIt(config);
      const r = cloudInitSchema(cloudConfigFile(config, 'user-data'));
      expect(r.status, `${what}: ${r.output}`).not.toBe(0);
      expect(r.output, what).toMatch(key);
    }
    // Without its header line cloud-init does not read the file as cloud-config at all.
    const headless = textFile(userDataText().replace('#cloud-config\n', ''), 'user-data');
    expect(cloudInitSchema(headless).status).not.toBe(0);
  });
});

describe('what the recipe sets up', () => {
  const config = cloudConfig();

  it('users: qrkiosk (dialout, gpio; its own group for the udev rule) and a display user', () => {
    const qrkiosk = config.users.find((u) => u.name === 'qrkiosk');
    expect(qrkiosk).toMatchObject({ system: true, groups: expect.arrayContaining(['dialout', 'gpio']) });
    expect(config.users.find((u) => u.name === 'qrkiosk-screen')?.groups).toEqual(
      expect.arrayContaining(['video', 'render', 'input']),
    );
    // The udev rule's group is the daemon's own; the unit's user and groups are the ones created.
    const rules = readFileSync(join(HARDWARE, '99-qrkiosk-scanner.rules'), 'utf8');
    expect(rules).toMatch(/GROUP="qrkiosk"/);
    const unit = readFileSync(join(HARDWARE, 'qrkiosk.service'), 'utf8');
    expect(unit).toMatch(/^User=qrkiosk$/m);
    expect(readFileSync(join(HARDWARE, 'qrkiosk-screen.service'), 'utf8')).toMatch(/^User=qrkiosk-screen$/m);
  });

  it('packages: Debian nodejs, cage, chromium, libusb; the scripts run and are valid bash', () => {
    expect(config.packages).toEqual(expect.arrayContaining(['nodejs', 'cage', 'chromium', 'libusb-1.0-0']));
    expect(config.runcmd).toEqual([['/usr/local/sbin/qrkiosk-firstboot']]);
    for (const path of SCRIPTS) {
      expect(writtenFile(config, path).permissions).toBe('0755');
      const r = spawnSync('bash', ['-n', scriptFile(config, path)], { encoding: 'utf8' });
      expect(r.stderr, path).toBe('');
      expect(r.status, path).toBe(0);
    }
  });

  it('every file taken from the bundle’s hardware/ exists in hardware/', () => {
    const firstboot = writtenFile(config, SCRIPTS[0] as string).content;
    const taken = [...firstboot.matchAll(/"\$hw\/([\w.-]+)"/g)].map((m) => m[1] as string);
    expect(taken).toEqual(
      expect.arrayContaining([
        '99-qrkiosk-scanner.rules',
        'qrkiosk.service',
        'qrkiosk-screen.service',
        'qrkiosk-screen.pam',
      ]),
    );
    for (const file of taken) expect(existsSync(join(HARDWARE, file)), file).toBe(true);
  });

  it('the kiosk.yaml it writes passes `qrkiosk config check` as an unenrolled kiosk (the check the first boot runs)', () => {
    const file = textFile(writtenFile(config, '/etc/qrkiosk/kiosk.yaml').content, 'kiosk.yaml');
    const check = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, 'config', 'check', file, ...args], {
        encoding: 'utf8',
        env: { ...process.env, QRKIOSK_LANG: 'en' },
      });
    // The gateway's own rule (isUnenrolled: no `kiosk:` section) as the CLI reports it.
    const text = check();
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain('not enrolled yet');
    expect(text.status).toBe(0);
    const json = check('--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, enrolled: false });
    expect(json.status).toBe(0);
    // The same file with a section the schema refuses fails the same check (the check can fail).
    const broken = textFile(`${readFileSync(file, 'utf8')}gpio2: {}\nscanner2: 1\n`, 'kiosk.yaml');
    const bad = spawnSync(process.execPath, [CLI, 'config', 'check', broken], { encoding: 'utf8' });
    expect(bad.stderr).toContain('gpio2');
    expect(bad.status).toBe(2);
    // The screen unit opens the port and page the daemon serves (ui.port, `/`).
    expect(readFileSync(file, 'utf8')).toMatch(/^ {2}port: 8080$/m);
    expect(readFileSync(join(HARDWARE, 'qrkiosk-screen.service'), 'utf8')).toMatch(
      /^Environment=QRKIOSK_UI_PORT=8080$[\s\S]*http:\/\/127\.0\.0\.1:\$\{QRKIOSK_UI_PORT\}\/$/m,
    );
  });

  it('the card holds nothing per kiosk: no `kiosk:` section, no broker login, no password', () => {
    const yaml = writtenFile(config, '/etc/qrkiosk/kiosk.yaml').content;
    expect(yaml).not.toMatch(/^\s*kiosk:/m);
    expect(yaml).not.toMatch(/^\s*mqtt:/m);
    expect(config.write_files.map((f) => f.path)).not.toContain('/etc/qrkiosk/mqtt.pass');
    const text = userDataText();
    expect(text).not.toMatch(/^\s*kiosk:/m);
    expect(text).not.toMatch(
      /passwordFile|mqtt\.pass|username:|chpasswd|plain_text_passwd|hashed_passwd|^\s*passwd:/m,
    );
    // The only placeholders left: the release key (required) and the SSH key (optional, removed if left).
    const placeholders = config.write_files.filter((f) => f.content.includes('THAY-DOI')).map((f) => f.path);
    expect(placeholders).toEqual(expect.arrayContaining(['/etc/qrkiosk/release-public.pem']));
    expect(placeholders.filter((p) => !p.startsWith('/usr/local/sbin/'))).toEqual([
      '/etc/qrkiosk/release-public.pem',
    ]);
    for (const u of config.users) expect(u.lock_passwd ?? true, u.name).toBe(true);
  });

  it('the enrolment writer can replace kiosk.yaml: /etc/qrkiosk is the qrkiosk group’s, setgid, group-writable', () => {
    const entry = writtenFile(config, '/etc/qrkiosk/kiosk.yaml');
    expect(entry).toMatchObject({ owner: 'root:qrkiosk', permissions: '0664', defer: true });
    const firstboot = writtenFile(config, SCRIPTS[0] as string).content;
    expect(firstboot).toMatch(/^ *chown root:qrkiosk \/etc\/qrkiosk /m);
    expect(firstboot).toMatch(/^ *chmod 2770 \/etc\/qrkiosk$/m);
    // Only the release key stops the first boot; the SSH placeholder is removed, not fatal.
    expect(firstboot).toMatch(/grep -l 'THAY-DOI' \/etc\/qrkiosk\/release-public\.pem/);
    expect(firstboot).not.toMatch(/kiosk\.yaml \/etc\/qrkiosk\/mqtt\.pass/);
    expect(firstboot).toMatch(/sed -i '\/THAY-DOI\/d' "\$home\/\.ssh\/authorized_keys"/);
    // hardware/qrkiosk.service lets the daemon write there.
    expect(readFileSync(join(HARDWARE, 'qrkiosk.service'), 'utf8')).toMatch(
      /^ReadWritePaths=.*\/etc\/qrkiosk\b/m,
    );
  });
});

describe('enrolling the kiosk the recipe set up', () => {
  // The enrolment use case itself (gateway's enrolKiosk, as the scanned code runs it) against a THIN STAND-IN
  // for the hub's /api/enrol (testkit StandInEnrolHub: real HTTP, protocol's signGrant) and a real Mosquitto
  // that takes only password logins: the recipe's file is one the real writer completes.
  it('the recipe’s kiosk.yaml is enrolled in place: identity and broker added, the hardware sections kept', async () => {
    const dir = makeTempDir('appliance-enrol-');
    const password = 'k-001-broker-secret';
    const broker = await startMosquitto({
      anonymous: false,
      extraConfig: [`password_file ${writePasswordFile(join(dir, 'passwd'), { 'k-001': password })}`],
    });
    const hub = new StandInEnrolHub();
    await hub.start();
    try {
      const file = join(dir, 'kiosk.yaml');
      writeFileSync(file, writtenFile(cloudConfig(), '/etc/qrkiosk/kiosk.yaml').content);
      expect(isUnenrolled(file)).toBe(true);
      hub.answer = { kind: 'grant', password, brokerUrl: broker.url };
      // The data folder moved to where this test can write it (on the kiosk: /var/lib/qrkiosk).
      const dataDir = join(dir, 'data');
      const result = await enrolKiosk({ code: hub.code(), configFile: file, dataDir, env: {} });
      expect(result).toMatchObject({ ok: true, kiosk: 'k-001' });
      expect(isUnenrolled(file)).toBe(false);
      const { settings, secrets } = loadSettings(file, {});
      expect(settings.kiosk.id).toBe('k-001');
      expect(secrets.mqttPassword).toBe(password);
      expect(settings.scanner).toMatchObject({ type: 'serial', path: '/dev/qrkiosk-scanner' });
      expect(settings.ui.port).toBe(8080);
      expect(settings.mqtt.passwordFile?.startsWith(dataDir)).toBe(true);
      const r = spawnSync(process.execPath, [CLI, 'config', 'check', file], {
        encoding: 'utf8',
        env: { ...process.env, QRKIOSK_LANG: 'en' },
      });
      expect(r.stdout).toContain('Config OK: kiosk k-001');
      expect(r.status).toBe(0);
    } finally {
      await hub.stop();
      await broker.stop();
    }
  });
});

describe('systemd accepts the units', () => {
  const config = cloudConfig();
  const fromHardware = (f: string) => readFileSync(join(HARDWARE, f), 'utf8');
  const dropIns = config.write_files.filter((f) => f.path.startsWith('/etc/systemd/system/'));

  it('systemd-analyze verify: qrkiosk.service, qrkiosk-screen.service and the apt timers with their drop-ins', () => {
    expect(dropIns.map((f) => f.path)).toEqual([
      '/etc/systemd/system/apt-daily.timer.d/60-qrkiosk-night.conf',
      '/etc/systemd/system/apt-daily-upgrade.timer.d/60-qrkiosk-night.conf',
    ]);
    const files: Record<string, string> = {
      'qrkiosk.service': fromHardware('qrkiosk.service'),
      'qrkiosk-screen.service': fromHardware('qrkiosk-screen.service'),
    };
    for (const f of dropIns) files[f.path.replace('/etc/systemd/system/', '')] = f.content;
    const units = ['qrkiosk.service', 'qrkiosk-screen.service'];
    // The timers are Debian's (apt); where apt's units are present their drop-ins are verified with them.
    if (existsSync('/lib/systemd/system/apt-daily.timer'))
      units.push('apt-daily.timer', 'apt-daily-upgrade.timer');
    expect(verifyUnits(files, units)).toBe('');
  });

  it('systemd-analyze verify reports a broken unit (the check can fail)', () => {
    const screen = fromHardware('qrkiosk-screen.service').replace('Restart=always', 'Restart=alwayz');
    expect(verifyUnits({ 'qrkiosk-screen.service': screen }, ['qrkiosk-screen.service'])).toMatch(
      /restart specifier/i,
    );
    const timer = (dropIns[0] as { content: string }).content.replace('OnCalendar=*', 'OnCalender=*');
    expect(verifyUnits({ 'apt-daily.timer.d/60-qrkiosk-night.conf': timer }, ['apt-daily.timer'])).toMatch(
      /Unknown key 'OnCalender'/,
    );
  });
});

it('the user-data names the bundle contract: qrkiosk-<version>-linux-arm64.tar.gz and its .sig', () => {
  expect(userDataText()).toContain('qrkiosk-<version>-linux-arm64.tar.gz');
  const install = writtenFile(cloudConfig(), SCRIPTS[1] as string).content;
  expect(install).toContain('openssl dgst -sha256 -verify "$key" -signature');
});
