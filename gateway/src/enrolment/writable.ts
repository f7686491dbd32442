import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Whether files can be created in `dir` (created for the test if missing, and removed again if this
 * made it): asked BEFORE the code is redeemed, because the hub spends the code when it answers — a
 * kiosk.yaml or secret that then cannot be written (no sudo, a read-only /etc, a data folder the user
 * cannot write) would burn the code for nothing. Creating a file is the only honest test: access(2)
 * says nothing of read-only mounts for root, and nothing of a path through a regular file.
 */
export function probeWritable(dir: string): { ok: true } | { ok: false; detail: string } {
  const target = resolve(dir);
  let made: string | undefined;
  try {
    made = mkdirSync(target, { recursive: true, mode: 0o750 });
    const probe = join(target, `.qrkiosk-enrol-probe-${randomBytes(4).toString('hex')}`);
    closeSync(openSync(probe, 'wx', 0o600));
    rmSync(probe, { force: true });
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, detail: `${e.code ?? e.message} ${e.path ?? target}` };
  } finally {
    // Nothing is left behind before the hub has answered (a refused code must leave the disk as it was).
    if (made) rmSync(made, { recursive: true, force: true });
  }
}
