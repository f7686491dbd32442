import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';

export interface Tmpfs {
  dir: string;
  /** Fills the file system to the last byte with a filler file (what a runaway log does). */
  fill(): void;
  /** Deletes the filler: space is back. */
  free(): void;
  unmount(): void;
}

/**
 * A real, small file system of its own (`mount -t tmpfs -o size=…`): a full disk is ENOSPC from the
 * kernel, not a simulation. Needs root (CI runs as root); says so plainly otherwise.
 */
export function mountTmpfs(size: string, prefix = 'tmpfs-'): Tmpfs {
  if (process.getuid?.() !== 0)
    throw new Error('mounting a tmpfs needs root (CI runs as root); run the disk-fault tests as root');
  const dir = makeTempDir(prefix);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      // One big write stops at the last free block with ENOSPC; the bytes written before stay.
      try {
        writeFileSync(filler, Buffer.alloc(64 * 1024 * 1024), { flag: 'a' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
