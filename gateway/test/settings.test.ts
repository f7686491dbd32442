import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError, settingsFromText } from '../src/settings/index.js';

const MINIMAL = 'kiosk: { id: k-001, site: s-001 }\n';

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    settingsFromText(text, 'kiosk.yaml', env);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  throw new Error('expected a SettingsError');
}

describe('settings', () => {
  it('fills every default from the schema', () => {
    const { settings } = settingsFromText(MINIMAL, 'kiosk.yaml', {});
    expect(settings.kiosk.direction).toBe('in');
    expect(settings.scanner).toMatchObject({
      type: 'serial',
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      terminator: 'CR',
    });
    // No path and no USB ids: the serial input opens /dev/ttyACM0 (gateway/test/serial.test.ts).
    expect(settings.scanner.path).toBeUndefined();
    expect(settings.gpio.driver).toBe('auto');
    expect(settings.gpio.pins.green).toBe('GPIO17');
    expect(settings.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(settings.data.dir).toBe('/var/lib/qrkiosk');
    expect(settings.ui.port).toBe(8080);
  });

  it('takes QRKIOSK_<SECTION>_<KEY> overrides, camelCase keys either way, coerced to the schema type', () => {
    const env = {
      QRKIOSK_MQTT_URL: 'mqtt://10.0.0.1:1883',
      QRKIOSK_SCANNER_BAUD_RATE: '115200',
      QRKIOSK_DATA_DIR: '/tmp/q',
    };
    const { settings } = settingsFromText(MINIMAL, 'kiosk.yaml', env);
    expect(settings.mqtt.url).toBe('mqtt://10.0.0.1:1883');
    expect(settings.scanner.baudRate).toBe(115200);
    expect(settings.data.dir).toBe('/tmp/q');
    expect(
      settingsFromText(MINIMAL, 'k', { QRKIOSK_SCANNER_BAUDRATE: '19200' }).settings.scanner.baudRate,
    ).toBe(19200);
    expect(
      settingsFromText(MINIMAL, 'k', { QRKIOSK_GPIO_PINS_RELAY: 'GPIO5' }).settings.gpio.pins.relay,
    ).toBe('GPIO5');
  });

  it('names the path, the line, the bad value and a fix', () => {
    const problems = problemsOf('kiosk: { id: k-001, site: s-001 }\nscanner:\n  baudRate: 9601\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'scanner.baudRate', source: 'kiosk.yaml:3', value: '9601' });
    expect(problems[0]?.fix?.en).toContain('115200');
    expect(problems[0]?.fix?.vi).toContain('một trong');
  });

  it('blames the environment variable when the bad value came from it', () => {
    const [p] = problemsOf(MINIMAL, { QRKIOSK_UI_PORT: '99999' });
    expect(p).toMatchObject({ path: 'ui.port', source: 'env QRKIOSK_UI_PORT' });
  });

  it('suggests the key that was meant', () => {
    const [p] = problemsOf(`${MINIMAL}scanner: { pth: /dev/ttyUSB0 }\n`);
    expect(p?.path).toBe('scanner.pth');
    expect(p?.fix?.en).toBe('did you mean "path"?');
  });

  it('reports every problem at once, and missing required keys', () => {
    const problems = problemsOf('kiosk: { site: "S 1", direction: sideways }\n');
    expect(problems.map((p) => p.path).sort()).toEqual(['kiosk.direction', 'kiosk.id', 'kiosk.site']);
  });

  it('reports YAML syntax errors with a line', () => {
    const [p] = problemsOf('kiosk: { id: k-001, site: s-001 }\nscanner: [\n');
    expect(p?.problem.en).toMatch(/YAML syntax error/);
    expect(p?.source).toMatch(/^kiosk\.yaml:\d+$/);
  });

  it('reads secrets from files and never keeps the trailing newline', () => {
    const dir = makeTempDir('settings-');
    writeFileSync(join(dir, 'mqtt.pass'), 's3cret\n');
    writeFileSync(
      join(dir, 'kiosk.yaml'),
      `${MINIMAL}mqtt: { username: k-001, passwordFile: ${join(dir, 'mqtt.pass')} }\n`,
    );
    expect(loadSettings(join(dir, 'kiosk.yaml'), {}).secrets.mqttPassword).toBe('s3cret');
  });

  it('says which secret file it cannot read', () => {
    const [p] = problemsOf(`${MINIMAL}mqtt: { passwordFile: /nonexistent/mqtt.pass }\n`);
    expect(p).toMatchObject({ path: 'mqtt.passwordFile', value: '/nonexistent/mqtt.pass' });
    expect(p?.problem.en).toContain('ENOENT');
  });
});

describe('qrkiosk config check', () => {
  const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], {
      encoding: 'utf8',
      env: { ...process.env, QRKIOSK_LANG: 'vi' },
    });

  it('exits 0 on the shipped example', () => {
    const r = run('config', 'check', join(REPO_ROOT, 'gateway/kiosk.example.yaml'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Cấu hình hợp lệ');
  });

  it('exits 2 and explains, in Vietnamese by default and English on request', () => {
    const dir = makeTempDir('check-');
    const file = join(dir, 'kiosk.yaml');
    writeFileSync(file, 'kiosk: { id: k-001, site: s-001 }\nscanner: { baudRate: 9601 }\n');
    const vi = run('config', 'check', file);
    expect(vi.status).toBe(2);
    expect(vi.stderr).toContain('scanner.baudRate = 9601');
    expect(vi.stderr).toContain('Cách sửa');
    const en = run('--lang', 'en', 'config', 'check', file);
    expect(en.status).toBe(2);
    expect(en.stderr).toContain('Fix: one of');
  });
});
