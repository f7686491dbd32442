/**
 * hub.yaml: the shipped example is valid; defaults, env (and the names used before hub.yaml), flags
 * over file; problems name the line of the file, the env variable or the flag, with a fix in
 * Vietnamese and English. Line numbers are the `yaml` library's own (its LineCounter).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { loadHubSettings, SettingsError } from '../src/settings/index.js';

const file = (text: string) => {
  const path = join(makeTempDir('hub-yaml-'), 'hub.yaml');
  writeFileSync(path, text);
  return path;
};
const problemsOf = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  throw new Error('no SettingsError');
};

describe('hub.yaml', () => {
  it('the shipped example is valid and says what the defaults are', () => {
    const s = loadHubSettings(join(REPO_ROOT, 'hub/hub.example.yaml'), {});
    const none = loadHubSettings(undefined, {});
    expect(s.http).toEqual({ ...none.http, host: '127.0.0.1', port: 8090 });
    expect(none).toMatchObject({
      dataDir: '/var/lib/qrkiosk-hub',
      database: '',
      mqtt: {
        url: 'mqtt://127.0.0.1:1883',
        protocolVersion: 5,
        share: 'hub',
        lanes: 32,
        strictKiosks: false,
      },
      retention: { days: 21 },
      report: { at: '06:00' },
    });
    expect(s.mqtt.passwordFile).toBe('/etc/qrkiosk-hub/mqtt.password');
  });

  it('env overrides the file, flags override env; the variables used before hub.yaml still work', () => {
    const f = file('http:\n  port: 9000\nmqtt:\n  lanes: 8\n');
    const env = {
      QRKIOSK_HUB_PORT: '9100',
      QRKIOSK_HUB_STRICT_KIOSKS: '1',
      QRKIOSK_HUB_DATA_DIR: '/srv/hub',
      QRKIOSK_HUB_MQTT_LANES: '4',
    };
    const s = loadHubSettings(f, env);
    expect(s.http.port).toBe(9100);
    expect(s.mqtt).toMatchObject({ lanes: 4, strictKiosks: true });
    expect(s.dataDir).toBe('/srv/hub');
    // Before hub.yaml only '1' turned strict kiosks on.
    expect(loadHubSettings(f, { QRKIOSK_HUB_STRICT_KIOSKS: 'yes' }).mqtt.strictKiosks).toBe(false);
    const flagged = loadHubSettings(f, env, new Map([['http.port', { value: '9200', source: '--port' }]]));
    expect(flagged.http.port).toBe(9200);
    // No share group: one lane, whatever was asked (as the --share none flag did before).
    expect(loadHubSettings(f, { QRKIOSK_HUB_MQTT_SHARE: 'none' }).mqtt.lanes).toBe(1);
  });

  it('names the line, variable or flag of every bad value, with a fix in both languages', () => {
    const f = file('dataDir: /srv/hub\nhttp:\n  prot: 80\nmqtt:\n  lanes: 100\nreport:\n  at: "25:00"\n');
    const problems = problemsOf(() =>
      loadHubSettings(
        f,
        { QRKIOSK_HUB_MQTT_URL: 'http://broker' },
        new Map([['retention.days', { value: '-1', source: '--retention-days' }]]),
      ),
    );
    const by = new Map(problems.map((p) => [p.path, p]));
    expect(by.get('http.prot')?.source).toBe(`${f}:3`);
    expect(by.get('http.prot')?.fix).toEqual({ vi: 'có phải ý bạn là "port"?', en: 'did you mean "port"?' });
    expect(by.get('mqtt.lanes')?.source).toBe(`${f}:5`);
    expect(by.get('report.at')?.source).toBe(`${f}:7`);
    expect(by.get('report.at')?.fix?.vi).toContain('giờ Việt Nam');
    expect(by.get('mqtt.url')?.source).toBe('env QRKIOSK_HUB_MQTT_URL');
    expect(by.get('retention.days')?.source).toBe('--retention-days');
    expect(problems).toHaveLength(5);
  });

  it('fleet: the freshness statement every 60 minutes by default, 5–720, said at its line in both languages', () => {
    expect(loadHubSettings(undefined, {}).fleet).toEqual({ freshnessMinutes: 60 });
    expect(loadHubSettings(join(REPO_ROOT, 'hub/hub.example.yaml'), {}).fleet.freshnessMinutes).toBe(60);
    for (const minutes of [4, 721, 7.5]) {
      const f = file(`fleet:\n  freshnessMinutes: ${minutes}\n`);
      const [p] = problemsOf(() => loadHubSettings(f, {}));
      expect(p).toMatchObject({ path: 'fleet.freshnessMinutes', source: `${f}:2` });
      expect(p?.fix?.vi).toContain('tuyên bố độ mới');
    }
  });

  it('a YAML syntax error and a missing file are problems, not crashes', () => {
    expect(problemsOf(() => loadHubSettings(file('http:\n  port: [1\n'), {}))[0]?.problem.en).toMatch(
      /YAML syntax error/,
    );
    expect(problemsOf(() => loadHubSettings('/nonexistent/hub.yaml', {}))[0]?.problem.vi).toContain(
      'không đọc được tệp cấu hình',
    );
  });
});
