/**
 * Release bundles for the software-update tests, made by the release's own code (scripts/release/stage.mjs and
 * pack.mjs: the launcher, the manifest, the reproducible tarball) and signed by openssl — a signer we did not
 * write, with a key openssl made, so the installer's verification meets an outside implementation.
 * Not the full bundle (no node_modules, no native addons: those take minutes; npm run test:release proves them):
 * the test puts a node_modules link beside the qrkiosk-<version> folders, where Node's resolution finds it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
// @ts-expect-error: plain .mjs build scripts, no type declarations
import { tarball, writeManifest } from '../scripts/release/pack.mjs';
// @ts-expect-error: plain .mjs build scripts, no type declarations
import { stageApp } from '../scripts/release/stage.mjs';

export const ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';

/** An EC P-256 key pair made by openssl: { key, pub } PEM files in `dir`. */
export function opensslKey(dir: string, name = 'release'): { key: string; pub: string } {
  const key = join(dir, `${name}-key.pem`);
  const pub = join(dir, `${name}-public.pem`);
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    key,
  ]);
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  return { key, pub };
}

export const opensslSign = (key: string, file: string) =>
  execFileSync('openssl', ['dgst', '-sha256', '-sign', key, '-out', `${file}.sig`, file]);

/**
 * qrkiosk-<version>-linux-<arch>.tar.gz (+ .sig) in `out`. `fill(dir)` lays out the bundle's files (default: the
 * real kiosk's built files via stageApp); VERSION and manifest.json are written after it, as release.mjs does.
 */
export function buildBundle(o: {
  out: string;
  version: string;
  key: string;
  fill?: (dir: string) => void;
  /** Runs on the staged kiosk build, before the manifest: a broken release is still a signed one. */
  patch?: (dir: string) => void;
  /** Runs after the manifest is written: a bundle changed after its manifest was made. */
  tamper?: (dir: string) => void;
  arch?: string;
  /** More manifest fields, as scripts/release.mjs writes them (e.g. `downgrade: true` for --downgrade). */
  manifest?: Record<string, unknown>;
}): { tarball: string; sig: string; name: string } {
  const name = `qrkiosk-${o.version}-linux-${o.arch ?? ARCH}`;
  const stage = join(o.out, `.stage-${o.version}`);
  const dir = join(stage, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (o.fill) o.fill(dir);
  else {
    stageApp(REPO_ROOT, dir);
    // The version the daemon reports (gateway/src/version.ts reads gateway/package.json).
    const pkg = JSON.parse(readFileSync(join(dir, 'gateway/package.json'), 'utf8'));
    writeFileSync(
      join(dir, 'gateway/package.json'),
      `${JSON.stringify({ ...pkg, version: o.version }, null, 2)}\n`,
    );
  }
  o.patch?.(dir);
  writeFileSync(join(dir, 'VERSION'), `${o.version}\n`);
  writeManifest(dir, {
    name: 'qrkiosk',
    version: o.version,
    platform: 'linux',
    arch: o.arch ?? ARCH,
    ...o.manifest,
  });
  o.tamper?.(dir);
  const file = join(o.out, `${name}.tar.gz`);
  tarball(dir, file, 1_700_000_000);
  rmSync(stage, { recursive: true, force: true });
  opensslSign(o.key, file);
  return { tarball: file, sig: `${file}.sig`, name: `${name}.tar.gz` };
}
