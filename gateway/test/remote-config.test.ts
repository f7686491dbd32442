/**
 * The hub's `config set`s kept in the data folder (commands/remote-config.ts): written by the same
 * checked path as a live request, read back at start through kiosk.yaml's own schema, and still only
 * ever stricter than kiosk.yaml and the signed rules. A file that does not match is ignored, and said so.
 * Also the storage part of telemetry, its disk numbers against GNU df's (an oracle we did not write).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRing } from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { REMOTE_CONFIG_FILE, RemoteConfigFile } from '../src/commands/remote-config.js';
import { createLogger } from '../src/log.js';
import { PolicyInForce } from '../src/policy.js';
import { settingsFromText } from '../src/settings/index.js';
import { storageReadings } from '../src/telemetry.js';

function policyAt(dataDir: string, rules: string) {
  const { settings } = settingsFromText(
    `kiosk: { id: k-001, site: s-001 }\ndata: { dir: "${dataDir}" }\nrules: ${rules}\n`,
    'kiosk.yaml',
    {},
  );
  const lines: string[] = [];
  const log = createLogger('info', { write: (l: string) => lines.push(l) });
  const policy = new PolicyInForce(settings, new KeyRing(), log, new RemoteConfigFile(dataDir));
  policy.start();
  return { policy, lines };
}

describe('remote config', () => {
  it('a raised level and a stricter verdict are written, and in force again after a restart', () => {
    const dir = makeTempDir('remote-config-');
    const first = policyAt(dir, '{ level: 2 }');
    first.policy.tighten('rules.level', 3);
    first.policy.tighten('rules.unknownPerson', 'REFUSE');
    first.policy.stop();
    const again = policyAt(dir, '{ level: 2 }');
    expect(again.policy.current).toMatchObject({ level: 3, unknownPerson: 'REFUSE' });
    expect(again.policy.held).toEqual({ level: 3, unknownPerson: 'REFUSE' });
    again.policy.stop();
  });

  it('still only stricter: a kept level below a later kiosk.yaml does not lower it', () => {
    const dir = makeTempDir('remote-config-');
    writeFileSync(join(dir, REMOTE_CONFIG_FILE), JSON.stringify({ rules: { level: 2 } }));
    const { policy } = policyAt(dir, '{ level: 4 }');
    expect(policy.current.level).toBe(4);
    expect(() => policy.tighten('rules.level', 3)).toThrow(/only be raised/);
    policy.stop();
  });

  it.each([
    ['a level out of range', { rules: { level: 7 } }, /level/],
    ['a key a request may not set', { rules: { level: 3, maxInside: { '1': 5 } } }, /maxInside|properties/i],
    ['another section', { mqtt: { url: 'mqtt://evil' }, rules: {} }, /mqtt|properties/i],
    ['a verdict that is not one', { rules: { unknownPerson: 'MAYBE' } }, /unknownPerson/],
  ])('ignores a file with %s, and says why', (_what, content, why) => {
    const dir = makeTempDir('remote-config-');
    writeFileSync(join(dir, REMOTE_CONFIG_FILE), JSON.stringify(content));
    const loaded = new RemoteConfigFile(dir).load();
    expect(loaded).toMatchObject({ ok: false, problem: expect.stringMatching(why) });
    const { policy, lines } = policyAt(dir, '{ level: 2 }');
    expect(policy.current.level).toBe(2);
    expect(lines.join('')).toContain('remote config ignored');
    policy.stop();
  });

  it('ignores a file that is not JSON', () => {
    const dir = makeTempDir('remote-config-');
    writeFileSync(join(dir, REMOTE_CONFIG_FILE), '{"rules": {"level": 3');
    expect(new RemoteConfigFile(dir).load()).toMatchObject({ ok: false, problem: /not JSON/ });
  });
});

describe('telemetry storage readings', () => {
  it('disk free and used agree with GNU df on the data folder; nothing pending, no lists: nulls', () => {
    const dir = makeTempDir('telemetry-disk-');
    const r = storageReadings({ dataDir: dir, rulesOrigin: 'built-in', oldestPending: () => null });
    const df = spawnSync('df', ['-B1', '--output=avail,pcent', dir], { encoding: 'utf8' });
    expect(df.status).toBe(0);
    const [avail, pcent] = (df.stdout.trim().split('\n')[1] ?? '').trim().split(/\s+/);
    // Other processes write meanwhile (this machine is shared): within 64 MiB and one percent.
    expect(Math.abs((r.disk?.freeBytes ?? 0) - Number(avail))).toBeLessThan(64 * 2 ** 20);
    // df rounds the percentage up (coreutils: ceil); ours has one decimal.
    expect(Math.abs((r.disk?.usedPercent ?? 0) - Number.parseInt(pcent ?? '', 10))).toBeLessThanOrEqual(1);
    expect(r).toMatchObject({ rulesInstalledAt: null, trustCreatedAt: null, outboxOldestAt: null });
  });

  it('a data folder that is not there: disk null, never a throw', () => {
    const r = storageReadings({
      dataDir: '/nonexistent/qrkiosk',
      rulesOrigin: '/nonexistent/rules.json',
      oldestPending: () => {
        throw new Error('journal closed');
      },
    });
    expect(r).toEqual({ rulesInstalledAt: null, trustCreatedAt: null, outboxOldestAt: null, disk: null });
  });
});
