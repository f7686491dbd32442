/**
 * `qrkiosk update apply` (the compiled CLI) on small signed bundles in a temp root: side-by-side install, the
 * atomic switch of the `qrkiosk` link, roll-back when the restart or a check fails, refusal of what is not signed by the
 * trusted release key or not what its manifest says. The restart and check commands are injected shell commands
 * (production: `systemctl restart qrkiosk`, `qrkiosk doctor`); here the "service" starts when the version's
 * folder holds no START-FAILS marker. Signatures are openssl's (integration/release-bundles.ts).
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, opensslKey } from './release-bundles.js';

const KIOSK_CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
// Logs every restart with the version `current` points at, and fails when that version is marked bad.
const RESTART =
  'v=$(cat "$QRKIOSK_ROOT/qrkiosk/VERSION"); echo "$v" >> "$QRKIOSK_ROOT/restarts"; test ! -e "$QRKIOSK_ROOT/qrkiosk/START-FAILS"';

let dir: string;
let trusted: { key: string; pub: string };
let other: { key: string; pub: string };
const bundle = (version: string, extra: Partial<Parameters<typeof buildBundle>[0]> = {}) =>
  buildBundle({
    out: dir,
    version,
    key: trusted.key,
    fill: (d) => writeFileSync(join(d, 'app.txt'), `app ${version}\n`),
    ...extra,
  });

function apply(root: string, b: { tarball: string; sig: string } | null, ...more: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      KIOSK_CLI,
      'update',
      'apply',
      '--root',
      root,
      ...(b ? ['--bundle', b.tarball, '--sig', b.sig] : []),
      '--release-key',
      trusted.pub,
      '--restart',
      RESTART,
      '--ready-seconds',
      '20',
      '--json',
      // Without --check the installer runs kiosk.yaml's checks (qrkiosk doctor), which need a real kiosk.
      ...(more.includes('--check') ? more : [...more, '--check', 'true']),
    ],
    { encoding: 'utf8' },
  );
  return { status: r.status, state: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}
const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const current = (root: string) => readlinkSync(join(root, 'qrkiosk'));
const restarts = (root: string) =>
  existsSync(join(root, 'restarts')) ? readFileSync(join(root, 'restarts'), 'utf8').trim().split('\n') : [];

beforeAll(() => {
  dir = makeTempDir('sw-install-');
  trusted = opensslKey(dir, 'trusted');
  other = opensslKey(dir, 'other');
});

describe('qrkiosk update apply', () => {
  it('installs side by side, switches current, and keeps a version that starts and passes its checks', () => {
    const root = makeTempDir('sw-root-');
    const first = apply(root, bundle('1.0.0'), '--check', 'test -e "$QRKIOSK_ROOT/qrkiosk/app.txt"');
    expect(first.status, first.stderr).toBe(0);
    expect(first.state).toMatchObject({ state: 'healthy', version: '1.0.0' });
    const second = apply(
      root,
      bundle('1.1.0'),
      '--check',
      'grep -q "app 1.1.0" "$QRKIOSK_ROOT/qrkiosk/app.txt"',
    );
    expect(second.status, second.stderr).toBe(0);
    expect(second.state).toMatchObject({ state: 'healthy', version: '1.1.0', previous: '1.0.0' });
    // The layout the first boot makes (hardware/cloud-init): <root>/qrkiosk → <root>/qrkiosk-<version>, replaced by rename.
    expect(lstatSync(join(root, 'qrkiosk')).isSymbolicLink()).toBe(true);
    expect(current(root)).toBe(join(root, 'qrkiosk-1.1.0'));
    expect(readFileSync(join(root, 'qrkiosk-1.0.0/app.txt'), 'utf8')).toBe('app 1.0.0\n');
    expect(restarts(root)).toEqual(['1.0.0', '1.1.0']);
    // Two versions stay on the card: the running one and the one to roll back to.
    expect(apply(root, bundle('1.2.0')).status).toBe(0);
    expect(existsSync(join(root, 'qrkiosk-1.0.0'))).toBe(false);
    expect(existsSync(join(root, 'qrkiosk-1.1.0'))).toBe(true);
    const status = spawnSync(process.execPath, [KIOSK_CLI, 'update', 'status', '--root', root, '--json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(status.stdout)).toMatchObject({
      current: '1.2.0',
      last: { state: 'healthy', version: '1.2.0', previous: '1.1.0' },
    });
  });

  it('switches back and restarts the previous version when the new one does not start, or fails a check', () => {
    const root = makeTempDir('sw-root-');
    expect(apply(root, bundle('2.0.0')).status).toBe(0);
    const bad = apply(root, bundle('2.0.1', { fill: (d) => writeFileSync(join(d, 'START-FAILS'), '') }));
    expect(bad.status).toBe(1);
    expect(bad.state).toMatchObject({ state: 'rolled-back', version: '2.0.1', previous: '2.0.0' });
    expect(bad.state.detail).toMatch(/^restart: exit 1/);
    expect(current(root)).toBe(join(root, 'qrkiosk-2.0.0'));
    expect(restarts(root)).toEqual(['2.0.0', '2.0.1', '2.0.0']);

    const failsCheck = apply(root, bundle('2.0.2'), '--check', 'echo "doctor: scanner missing"; exit 1');
    expect(failsCheck.status).toBe(1);
    expect(failsCheck.state).toMatchObject({ state: 'rolled-back', version: '2.0.2', previous: '2.0.0' });
    expect(failsCheck.state.detail).toContain('doctor: scanner missing');
    expect(current(root)).toBe(join(root, 'qrkiosk-2.0.0'));
  });

  it('refuses, changing nothing, a bundle signed by another key, changed after its manifest, or not the announced sha256', () => {
    const root = makeTempDir('sw-root-');
    expect(apply(root, bundle('3.0.0')).status).toBe(0);
    const forged = apply(root, bundle('3.0.1', { key: other.key }));
    expect(forged.status).toBe(3);
    expect(forged.state).toMatchObject({ state: 'refused', previous: '3.0.0' });
    expect(forged.state.detail).toMatch(/^signature:/);

    const tampered = apply(
      root,
      bundle('3.0.2', { tamper: (d) => writeFileSync(join(d, 'app.txt'), 'changed after the manifest\n') }),
    );
    expect(tampered.status).toBe(3);
    expect(tampered.state.detail).toMatch(/^manifest: sha256 of app.txt/);

    const wrongSha = apply(root, bundle('3.0.3'), '--sha256', 'ab'.repeat(32));
    expect(wrongSha.status).toBe(3);
    expect(wrongSha.state.detail).toMatch(/^sha256:/);

    expect(current(root)).toBe(join(root, 'qrkiosk-3.0.0'));
    for (const v of ['3.0.1', '3.0.2', '3.0.3']) expect(existsSync(join(root, `qrkiosk-${v}`))).toBe(false);
    expect(restarts(root)).toEqual(['3.0.0']);
  });

  it('unpacks only the bytes it verified: a bundle path that reads differently the second time installs nothing of it', async () => {
    const root = makeTempDir('sw-root-');
    expect(apply(root, bundle('4.0.0')).status).toBe(0);
    const good = bundle('4.0.1');
    // Not signed by the trusted key: what a compromised daemon would swap in after the installer's check.
    const evil = bundle('4.0.2', {
      key: other.key,
      fill: (d) => writeFileSync(join(d, 'app.txt'), 'unsigned code run as root\n'),
    });
    // The daemon-writable path as a FIFO: the first open reads the signed bundle, every later open the unsigned
    // one — the file replaced between verification and unpacking, deterministically.
    const fifo = join(makeTempDir('sw-swap-'), 'bundle.tar.gz');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn(
      'sh',
      [
        '-c',
        'cat "$1" > "$3"; sleep 0.5; while :; do cat "$2" > "$3"; done',
        'swap',
        good.tarball,
        evil.tarball,
        fifo,
      ],
      { detached: true, stdio: 'ignore' },
    );
    try {
      const r = apply(root, { tarball: fifo, sig: good.sig });
      expect(r.state, r.stderr).toMatchObject({ state: 'healthy', version: '4.0.1', previous: '4.0.0' });
    } finally {
      process.kill(-(writer.pid as number), 'SIGKILL');
    }
    expect(current(root)).toBe(join(root, 'qrkiosk-4.0.1'));
    expect(readFileSync(join(root, 'qrkiosk/app.txt'), 'utf8')).toBe('app 4.0.1\n');
    expect(existsSync(join(root, 'qrkiosk-4.0.2'))).toBe(false);
  });

  it('refuses an older version unless the bundle is signed as a downgrade or root asks, and a bundle that is not the announced version', () => {
    const root = makeTempDir('sw-root-');
    expect(apply(root, bundle('5.1.0')).status).toBe(0);
    // A validly signed older release (a replay of a known-bad version).
    const old = apply(root, bundle('5.0.9'));
    expect(old.status).toBe(3);
    expect(old.state).toMatchObject({ state: 'refused', previous: '5.1.0' });
    expect(old.state.detail).toMatch(/^downgrade: 5\.0\.9 is older than the running 5\.1\.0/);
    expect(apply(root, bundle('5.1.0-rc.1')).state.detail).toMatch(/^downgrade:/);

    // The daemon's request names 5.2.0; the (validly signed) bundle it points at is 5.3.0.
    const b = bundle('5.3.0');
    const request = join(makeTempDir('sw-req-'), 'request.json');
    writeFileSync(
      request,
      JSON.stringify({
        rollout: 'r-x',
        version: '5.2.0',
        sha256: sha256Of(b.tarball),
        bundle: b.tarball,
        signature: b.sig,
      }),
    );
    const mismatch = apply(root, null, '--request', request);
    expect(mismatch.status).toBe(3);
    expect(mismatch.state).toMatchObject({ state: 'refused', version: '5.2.0', rollout: 'r-x' });
    expect(mismatch.state.detail).toMatch(/^version: bundle is 5\.3\.0, the hub announced 5\.2\.0/);
    expect(current(root)).toBe(join(root, 'qrkiosk-5.1.0'));

    const signedDowngrade = apply(root, bundle('5.0.8', { manifest: { downgrade: true } }));
    expect(signedDowngrade.state).toMatchObject({ state: 'healthy', version: '5.0.8', previous: '5.1.0' });
    const byRoot = apply(root, bundle('5.0.7'), '--allow-downgrade');
    expect(byRoot.state).toMatchObject({ state: 'healthy', version: '5.0.7', previous: '5.0.8' });
  });

  it('refuses a version name longer than 32 characters (what telemetry can report)', () => {
    const root = makeTempDir('sw-root-');
    const long = `6.0.0-${'a'.repeat(27)}`; // 33 characters
    const r = apply(root, bundle(long));
    expect(r.status).toBe(3);
    expect(r.state.detail).toMatch(/^version: bad version/);
    expect(existsSync(join(root, `qrkiosk-${long}`))).toBe(false);
  });
});
