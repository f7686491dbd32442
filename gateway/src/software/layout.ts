import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { SOFTWARE_VERSION_PATTERN } from '@qrkiosk/protocol';
import { SoftwareError } from './errors.js';

/**
 * The side-by-side layout, the one the first boot already makes (hardware/cloud-init/user-data, hardware/README.md):
 *   <root>/qrkiosk-<version>/   one unpacked release bundle each (root: /opt)
 *   <root>/qrkiosk → <root>/qrkiosk-<version>   what the unit runs (ExecStart=/usr/bin/node /opt/qrkiosk/…)
 * Like RAUC's or Mender's two slots, but one folder per version: the previous one stays until the next install.
 * A version names a path only after matching this pattern.
 */
export const VERSION_PATTERN = SOFTWARE_VERSION_PATTERN;

export const versionDir = (root: string, version: string) => join(root, `qrkiosk-${version}`);
export const currentLink = (root: string) => join(root, 'qrkiosk');
/** The running version's launcher, through the link: what the checks run ($QRKIOSK_BIN). */
export const currentBin = (root: string) => join(currentLink(root), 'bin', 'qrkiosk');

/** The version `<root>/qrkiosk` points at, or null (nothing installed, or a plain folder from before). */
export function currentVersion(root: string): string | null {
  try {
    const name = basename(readlinkSync(currentLink(root)));
    return name.startsWith('qrkiosk-') ? name.slice('qrkiosk-'.length) : null;
  } catch {
    return null;
  }
}

/**
 * Points `<root>/qrkiosk` at qrkiosk-<version> atomically: a new symlink under a temporary name, renamed over the
 * old one (what the first boot does with `ln -sfn … && mv -T`). rename(2) replaces the link in one step, so at
 * every instant it is the old or the new version — never missing, as with `ln -sfn` alone (unlink, then symlink).
 */
export function switchCurrent(root: string, version: string): void {
  if (!VERSION_PATTERN.test(version)) throw new SoftwareError('version', `bad version name ${version}`);
  const target = versionDir(root, version);
  if (!existsSync(join(target, 'VERSION')))
    throw new SoftwareError('layout', `${target} is not an installed version`);
  if (existsSync(currentLink(root)) && currentVersion(root) === null)
    throw new SoftwareError('layout', `${currentLink(root)} is a folder, not a link: move it away first`);
  const tmp = join(root, `.qrkiosk-link-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, currentLink(root));
}

/**
 * Removes installed versions other than `keep` (the running one and the one to roll back to): an SD card holds a
 * few of them, not every release ever installed. Only real folders named qrkiosk-<version>; returns what went.
 */
export function pruneVersions(root: string, keep: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const version = name.startsWith('qrkiosk-') ? name.slice('qrkiosk-'.length) : '';
    if (!VERSION_PATTERN.test(version) || keep.includes(version)) continue;
    const dir = join(root, name);
    if (!lstatSync(dir).isDirectory() || !existsSync(join(dir, 'VERSION'))) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(version);
  }
  return removed;
}

/** The VERSION file of an installed version folder. */
export function versionOf(dir: string): string {
  return readFileSync(join(dir, 'VERSION'), 'utf8').trim();
}
