import { existsSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SoftwareError } from './errors.js';

/**
 * The side-by-side layout (as Mender/RAUC keep two slots, here one folder per version):
 *   <root>/versions/<version>/   one unpacked release bundle each
 *   <root>/current → versions/<version>   what the unit runs (ExecStart=/opt/qrkiosk/current/…)
 * A version folder name is the bundle's VERSION, checked against this pattern before it names a path.
 */
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

export const versionsDir = (root: string) => join(root, 'versions');
export const versionDir = (root: string, version: string) => join(versionsDir(root), version);
export const currentLink = (root: string) => join(root, 'current');

/** The version `current` points at, or null (a fresh kiosk, or one laid out before versions existed). */
export function currentVersion(root: string): string | null {
  try {
    const target = readlinkSync(currentLink(root));
    return basename(target);
  } catch {
    return null;
  }
}

/**
 * Points `current` at versions/<version> atomically: a new symlink under a temporary name, renamed over the old
 * one. rename(2) replaces the link in one step, so at every instant `current` is the old or the new version —
 * never missing (what `ln -sfn` does in two steps: unlink, then symlink).
 */
export function switchCurrent(root: string, version: string): void {
  if (!VERSION_PATTERN.test(version)) throw new SoftwareError('version', `bad version name ${version}`);
  if (!existsSync(join(versionDir(root, version), 'VERSION')))
    throw new SoftwareError('layout', `${versionDir(root, version)} is not an installed version`);
  const tmp = join(root, `.current-${process.pid}`);
  rmSync(tmp, { force: true });
  // Relative: the tree stays valid when mounted or copied elsewhere (and in a test's temp folder).
  symlinkSync(join('versions', version), tmp);
  renameSync(tmp, currentLink(root));
}

/** The VERSION file of an installed version folder. */
export function versionOf(dir: string): string {
  return readFileSync(join(dir, 'VERSION'), 'utf8').trim();
}
