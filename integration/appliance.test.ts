/**
 * The appliance recipe (issue #16): hardware/cloud-init/user-data checked by Debian's own tools, not by
 * ours — `cloud-init schema` (cloud-init's JSON schema of every module) and `systemd-analyze verify` for
 * every unit it installs or changes — and each file it takes from the release bundle's hardware/ folder
 * exists in this repository's hardware/, which is what the bundle ships.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
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

  it('the kiosk.yaml it writes passes `qrkiosk config check` once the placeholders are filled', () => {
    // The same check the first boot runs; the password file moved to where this test can write it.
    const password = textFile('secret-from-the-hub\n', 'mqtt.pass');
    const yaml = writtenFile(config, '/etc/qrkiosk/kiosk.yaml')
      .content.replaceAll('THAY-DOI', 'x1')
      .replace('/etc/qrkiosk/mqtt.pass', password);
    const r = spawnSync(process.execPath, [CLI, 'config', 'check', textFile(yaml, 'kiosk.yaml')], {
      encoding: 'utf8',
    });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/error|lỗi/i);
    expect(r.status).toBe(0);
    // The screen unit opens the port and page the daemon serves (ui.port, `/`).
    expect(yaml).toMatch(/^ {2}port: 8080$/m);
    expect(readFileSync(join(HARDWARE, 'qrkiosk-screen.service'), 'utf8')).toMatch(
      /^Environment=QRKIOSK_UI_PORT=8080$[\s\S]*http:\/\/127\.0\.0\.1:\$\{QRKIOSK_UI_PORT\}\/$/m,
    );
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
