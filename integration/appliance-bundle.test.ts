/**
 * The recipe's bundle installer (qrkiosk-install-bundle, written by hardware/cloud-init/user-data) run for
 * real on a folder standing in for the boot partition. The signatures are made and checked by openssl —
 * the contract's own tool (`openssl dgst -sha256 -verify release-public.pem -signature FILE.sig FILE`) —
 * with a P-256 key made here; the bundle is a STAND-IN with the shape `npm run release` promises (one
 * folder qrkiosk-<version>-linux-arm64/ holding bin/qrkiosk, VERSION, gateway/dist, hardware/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { cloudConfig, scriptFile, writtenFile } from './appliance-recipe.js';

const INSTALL = scriptFile(cloudConfig(), '/usr/local/sbin/qrkiosk-install-bundle');
const VERSION = '1.4.0';
const NAME = `qrkiosk-${VERSION}-linux-arm64`;

function keys(dir: string): { priv: string; pub: string } {
  const priv = join(dir, 'release-private.pem');
  const pub = join(dir, 'release-public.pem');
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    priv,
  ]);
  execFileSync('openssl', ['pkey', '-in', priv, '-pubout', '-out', pub]);
  return { priv, pub };
}

/** A bundle tarball in `boot`, signed with `priv`; `extra` may add entries beside its one folder. */
function bundle(boot: string, priv: string, extra: (root: string) => void = () => undefined): string {
  const root = makeTempDir('bundle-');
  const top = join(root, NAME);
  for (const d of ['bin', 'gateway/dist/cli', 'hardware']) mkdirSync(join(top, d), { recursive: true });
  writeFileSync(
    join(top, 'bin/qrkiosk'),
    '#!/bin/sh\nexec node "$(dirname "$0")/../gateway/dist/cli/main.js" "$@"\n',
  );
  chmodSync(join(top, 'bin/qrkiosk'), 0o755);
  writeFileSync(join(top, 'VERSION'), `${VERSION}\n`);
  writeFileSync(join(top, 'gateway/dist/cli/main.js'), '');
  writeFileSync(join(top, 'hardware/qrkiosk.service'), '[Service]\n');
  writeFileSync(join(top, 'hardware/99-qrkiosk-scanner.rules'), '');
  extra(root);
  const file = join(boot, `${NAME}.tar.gz`);
  const entries = spawnSync('ls', ['-A', root], { encoding: 'utf8' }).stdout.trim().split('\n');
  execFileSync('tar', ['-czf', file, '-C', root, ...entries]);
  execFileSync('openssl', ['dgst', '-sha256', '-sign', priv, '-out', `${file}.sig`, file]);
  return file;
}

function install(boot: string, key: string, opt: string) {
  const r = spawnSync(INSTALL, [], {
    encoding: 'utf8',
    env: { ...process.env, QRKIOSK_BOOT_DIR: boot, QRKIOSK_RELEASE_KEY: key, QRKIOSK_OPT_DIR: opt },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function rig() {
  const dir = makeTempDir('appliance-bundle-');
  const boot = join(dir, 'boot');
  const opt = join(dir, 'opt');
  mkdirSync(boot);
  return { dir, boot, opt, ...keys(dir) };
}

describe('qrkiosk-install-bundle', () => {
  it('a bundle whose signature verifies is installed as /opt/qrkiosk → /opt/qrkiosk-<version>', () => {
    const { boot, opt, priv, pub } = rig();
    bundle(boot, priv);
    const r = install(boot, pub, opt);
    expect(r.out).toContain('signature verified');
    expect(r.status).toBe(0);
    expect(readlinkSync(join(opt, 'qrkiosk'))).toBe(join(opt, `qrkiosk-${VERSION}`));
    expect(readFileSync(join(opt, 'qrkiosk/VERSION'), 'utf8').trim()).toBe(VERSION);
    expect(existsSync(join(opt, 'qrkiosk/bin/qrkiosk'))).toBe(true);
    // Run again (a technician re-running the first boot): nothing changes, no error.
    expect(install(boot, pub, opt).status).toBe(0);
  });

  it('a bundle changed after signing is refused and nothing is installed', () => {
    const { boot, opt, priv, pub } = rig();
    appendFileSync(bundle(boot, priv), Buffer.from([0]));
    const r = install(boot, pub, opt);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('BAD SIGNATURE');
    expect(existsSync(join(opt, 'qrkiosk'))).toBe(false);
  });

  it('a bundle signed with another key is refused', () => {
    const { dir, boot, opt, pub } = rig();
    const stranger = keys(makeTempDir('stranger-'));
    bundle(boot, stranger.priv);
    const r = install(boot, pub, opt);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('BAD SIGNATURE');
    expect(existsSync(join(dir, 'opt/qrkiosk'))).toBe(false);
  });

  it('the placeholder key in the user-data is refused before any bundle is read', () => {
    const { dir, boot, opt, priv } = rig();
    bundle(boot, priv);
    const placeholder = join(dir, 'placeholder.pem');
    writeFileSync(placeholder, writtenFile(cloudConfig(), '/etc/qrkiosk/release-public.pem').content);
    const r = install(boot, placeholder, opt);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('is not a public key');
  });

  it('a signed bundle with anything beside its one folder, or two bundles, or no .sig, is refused', () => {
    const beside = rig();
    bundle(beside.boot, beside.priv, (root) => writeFileSync(join(root, 'evil.sh'), 'echo\n'));
    const r1 = install(beside.boot, beside.pub, beside.opt);
    expect(r1.status).not.toBe(0);
    expect(r1.out).toContain(`single folder ${NAME}/`);

    const two = rig();
    bundle(two.boot, two.priv);
    writeFileSync(join(two.boot, 'qrkiosk-1.3.0-linux-arm64.tar.gz'), '');
    const r2 = install(two.boot, two.pub, two.opt);
    expect(r2.status).not.toBe(0);
    expect(r2.out).toContain('found 2');

    const unsigned = rig();
    const file = bundle(unsigned.boot, unsigned.priv);
    execFileSync('rm', [`${file}.sig`]);
    const r3 = install(unsigned.boot, unsigned.pub, unsigned.opt);
    expect(r3.status).not.toBe(0);
    expect(r3.out).toContain('missing signature');
    for (const r of [beside, two, unsigned]) expect(existsSync(join(r.opt, 'qrkiosk'))).toBe(false);
  });
});
