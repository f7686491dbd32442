/**
 * The shipped unit files, read by Debian's own `systemd-analyze verify` (the systemd package; CI installs it
 * through scripts/install.sh --test). Any complaint fails: verify warns about an unknown key or a bad value
 * and still exits 0, so the test reads its output, not only its status.
 *
 * verify also checks that each Exec binary exists. The copy it reads differs from the shipped file in two
 * words, and only those: the install prefix /opt/qrkiosk becomes this checkout (absent on a build machine),
 * and /usr/bin/node becomes the node running the tests (the same file on a Debian kiosk; CI images may have
 * it in /usr/local/bin). User=/Group= are not looked up by systemd 252's verify (a missing user passes).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const UNITS = ['qrkiosk.service', 'qrkiosk-hub.service', 'qrkiosk-update.service'] as const;

/** What `systemd-analyze verify` says about `text` installed under `name`: '' when it has nothing to say. */
function verify(name: string, text: string): string {
  const dir = makeTempDir('units-');
  const file = join(dir, name);
  writeFileSync(
    file,
    text.replaceAll('/opt/qrkiosk', REPO_ROOT).replaceAll('/usr/bin/node', process.execPath),
  );
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run systemd-analyze (apt-get install systemd): ${r.error.message}`);
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`);
}

const shipped = (name: string) => readFileSync(join(REPO_ROOT, 'hardware', name), 'utf8');

describe('hardware/*.service under systemd-analyze verify', () => {
  it.each(UNITS)('%s: no complaint', (name) => {
    expect(verify(name, shipped(name))).toBe('');
  });

  it('the kiosk unit is Type=notify with a watchdog, and keeps the restart policy and the config check', () => {
    const unit = shipped('qrkiosk.service');
    for (const line of [
      'Type=notify',
      'NotifyAccess=main',
      'WatchdogSec=30s',
      'TimeoutStartSec=90s',
      'Restart=always',
      'RestartPreventExitStatus=2',
    ])
      expect(unit.split('\n')).toContain(line);
    expect(unit).toMatch(/^ExecStartPre=\/usr\/bin\/node \S+ config check /m);
  });

  // The check itself: a unit broken the ways people break them is caught (verify exits 0 on the first two).
  it.each([
    ['a typo in a key', 'Restart=always', 'Restrat=always', /Unknown key 'Restrat'/],
    ['a bad value', 'Type=notify', 'Type=notfy', /Failed to parse service type/],
    ['a missing binary', 'ExecStart=/usr/bin/node', 'ExecStart=/usr/bin/nodejs-missing', /not executable/],
  ])('a kiosk unit with %s is refused', (_what, from, to, said) => {
    const text = shipped('qrkiosk.service');
    expect(text).toContain(from);
    expect(verify('qrkiosk.service', text.replace(from, to))).toMatch(said);
  });
});
