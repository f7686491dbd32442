/**
 * Who reads a kiosk's /metrics (metrics/access.ts) and the token's setting: the parts the real-parts
 * test (integration/metrics.test.ts) does not reach — a kiosk without ui.metricsTokenFile refusing
 * other machines, and a token too weak to be one refused by `loadSettings` with its path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskYaml, makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { metricsAllowed } from '../src/metrics/index.js';
import { SettingsError, settingsFromText } from '../src/settings/index.js';

describe('kiosk metrics access', () => {
  it('without a token only this machine reads them; others get a bilingual 403 naming the setting', () => {
    expect(metricsAllowed({}, '127.0.0.1', undefined)).toBeNull();
    expect(metricsAllowed({}, '::1', undefined)).toBeNull();
    expect(metricsAllowed({}, '::ffff:127.0.0.1', undefined)).toBeNull();
    const refused = metricsAllowed({}, '192.168.1.20', 'Bearer anything-at-all-here');
    expect(refused?.status).toBe(403);
    expect(refused?.error.vi).toContain('ui.metricsTokenFile');
    expect(refused?.error.en).toContain('ui.metricsTokenFile');
    // The rest of 127/8 is another address, as the screens' PIN check treats it.
    expect(metricsAllowed({}, '127.0.0.2', undefined)?.status).toBe(403);
  });

  it('a token file with a short or spaced token is a settings problem at its path', () => {
    const dir = makeTempDir('metrics-token-');
    for (const token of ['short', 'has a space in it 0123456789']) {
      const file = join(dir, 'metrics.token');
      writeFileSync(file, `${token}\n`);
      const load = () =>
        settingsFromText(kioskYaml({ lines: [`ui: { port: 0, metricsTokenFile: "${file}" }`] }), 't', {});
      expect(load).toThrow(SettingsError);
      try {
        load();
      } catch (err) {
        expect((err as SettingsError).problems.map((p) => p.path)).toEqual(['ui.metricsTokenFile']);
      }
    }
    writeFileSync(join(dir, 'good.token'), 'abcdef0123456789abcdef\n');
    const ok = settingsFromText(
      kioskYaml({ lines: [`ui: { port: 0, metricsTokenFile: "${join(dir, 'good.token')}" }`] }),
      't',
      {},
    );
    expect(ok.secrets.metricsToken).toBe('abcdef0123456789abcdef');
  });
});
