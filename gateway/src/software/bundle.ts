import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { compareSoftwareVersions } from '@qrkiosk/protocol';
import { SoftwareError } from './errors.js';
import { VERSION_PATTERN, versionDir } from './layout.js';

/** What scripts/release/pack.mjs writes at the bundle root (MANIFEST_FORMAT there). */
const MANIFEST_FORMAT = 'qrkiosk-release/1';
const ARCH: Record<string, string> = { x64: 'x64', arm64: 'arm64' };

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Larger than any bundle (~20 MB today): a path pointed at /dev/zero or a huge file is refused, not read into RAM. */
export const MAX_BUNDLE_BYTES = 512 << 20;

/**
 * A file's bytes, read once through one descriptor, at most `max` of them (SoftwareError 'bundle' beyond). The
 * installer reads the daemon-writable bundle with this and then uses only the returned buffer.
 */
export function readOnce(path: string, max = MAX_BUNDLE_BYTES): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > max) throw new SoftwareError('bundle', `${path}: larger than ${max} bytes`);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Release public keys: EC P-256 only, what scripts/release signs with and `openssl dgst -verify` checks. */
export function loadReleaseKeys(files: readonly string[]): KeyObject[] {
  return files.map((f) => {
    const key = createPublicKey(readFileSync(f));
    if (key.asymmetricKeyType !== 'ec')
      throw new SoftwareError('signature', `${f}: ${key.asymmetricKeyType} key; want EC P-256`);
    return key;
  });
}

/**
 * Checks a bundle's bytes: its detached signature (ECDSA over SHA-256, DER — scripts/release/pack.mjs signFile)
 * by one of the trusted release keys, and the sha256 the hub announced, when given. Returns the sha256.
 */
export function verifyBundle(
  bytes: Buffer,
  signature: Buffer,
  keys: readonly KeyObject[],
  expectSha256?: string,
): string {
  if (keys.length === 0)
    throw new SoftwareError('signature', 'no release key trusted (software.releaseKeyFiles)');
  const ok = keys.some((key) => {
    try {
      return verify('sha256', bytes, key, signature);
    } catch {
      return false;
    }
  });
  if (!ok) throw new SoftwareError('signature', 'bundle signature not valid for any trusted release key');
  const digest = sha256Hex(bytes);
  if (expectSha256 !== undefined && digest !== expectSha256.toLowerCase())
    throw new SoftwareError('sha256', `bundle sha256 ${digest} ≠ announced ${expectSha256}`);
  return digest;
}

interface Manifest {
  format: string;
  version: string;
  arch: string;
  files: Record<string, string>;
  /** Set by `scripts/release.mjs --downgrade`: this signed bundle may replace a newer version. */
  downgrade?: boolean;
}

/** Every regular file under `dir` as sorted relative paths; a symlink or other special file is refused. */
function filesIn(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesIn(dir, rel));
    else if (e.isFile()) out.push(rel);
    else throw new SoftwareError('manifest', `${rel}: not a regular file (a bundle holds none)`);
  }
  return out.sort();
}

/**
 * Unpacks a verified bundle — its bytes, the very buffer whose signature was checked, fed to tar on stdin: the
 * installer never opens the daemon-writable path a second time, so a file swapped after the check cannot be what
 * gets unpacked (issue #17 review #1) — into `<root>/qrkiosk-<version>/` and checks it against its manifest: the version and
 * CPU it says, exactly the files it lists, each with its sha256 — a bundle cut short by a full disk or changed
 * after signing is refused before anything runs from it. Unpacked under a temporary name first and renamed, so
 * qrkiosk-<v> is whole or absent. Returns the version. A version already installed is replaced, except the one
 * running (`<root>/qrkiosk`).
 */
export function unpackBundle(
  root: string,
  bytes: Buffer,
  options: {
    current: string | null;
    arch?: string;
    /** The version the hub announced: the manifest must say the same (a signed bundle of another version is a replay). */
    expectVersion?: string;
    /** Root's own `qrkiosk update apply --allow-downgrade`: an older version may replace the running one. */
    allowDowngrade?: boolean;
  },
): { version: string; dir: string } {
  const incoming = mkdtempSync(join(root, '.qrkiosk-incoming-'));
  try {
    const tar = spawnSync('tar', ['-xzf', '-', '-C', incoming, '--no-same-owner'], {
      input: bytes,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (tar.status !== 0) throw new SoftwareError('bundle', `tar: exit ${tar.status}: ${tar.stderr.trim()}`);
    const top = readdirSync(incoming);
    if (top.length !== 1 || !lstatSync(join(incoming, top[0] as string)).isDirectory())
      throw new SoftwareError('bundle', `want one top folder, found ${top.join(', ') || 'nothing'}`);
    const dir = join(incoming, top[0] as string);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch (err) {
      throw new SoftwareError('manifest', `manifest.json unreadable: ${(err as Error).message}`);
    }
    if (manifest.format !== MANIFEST_FORMAT)
      throw new SoftwareError('manifest', `manifest format ${manifest.format}, want ${MANIFEST_FORMAT}`);
    const version = manifest.version;
    if (typeof version !== 'string' || !VERSION_PATTERN.test(version))
      throw new SoftwareError('version', `bad version ${String(version)}`);
    const arch = options.arch ?? ARCH[process.arch] ?? process.arch;
    if (manifest.arch !== arch)
      throw new SoftwareError('bundle', `bundle for linux-${manifest.arch}, this kiosk is linux-${arch}`);
    const files = filesIn(dir).filter((f) => f !== 'manifest.json');
    const listed = Object.keys(manifest.files ?? {}).sort();
    if (files.join('\n') !== listed.join('\n'))
      throw new SoftwareError('manifest', 'files on disk differ from the files the manifest lists');
    for (const f of files) {
      if (sha256Hex(readFileSync(join(dir, f))) !== manifest.files[f])
        throw new SoftwareError('manifest', `sha256 of ${f} differs from the manifest`);
    }
    if (readFileSync(join(dir, 'VERSION'), 'utf8').trim() !== version)
      throw new SoftwareError('version', 'VERSION differs from the manifest');
    if (options.expectVersion !== undefined && version !== options.expectVersion)
      throw new SoftwareError('version', `bundle is ${version}, the hub announced ${options.expectVersion}`);
    if (version === options.current)
      throw new SoftwareError('version', `version ${version} is the one running`);
    // Replay protection: an old signed bundle (a known-bad version) stays valid forever, so going back needs a
    // bundle signed as a downgrade (manifest `downgrade: true`) or root asking for it on the command line.
    if (options.current !== null && manifest.downgrade !== true && !options.allowDowngrade) {
      const order = compareSoftwareVersions(version, options.current);
      if (order === null || order < 0)
        throw new SoftwareError(
          'downgrade',
          `${version} is ${order === null ? 'not known newer than' : 'older than'} the running ${options.current}; a downgrade needs a bundle signed with downgrade: true`,
        );
    }
    const dest = versionDir(root, version);
    if (existsSync(dest)) rmSync(dest, { recursive: true, force: true });
    renameSync(dir, dest);
    return { version, dir: dest };
  } finally {
    rmSync(incoming, { recursive: true, force: true });
  }
}
