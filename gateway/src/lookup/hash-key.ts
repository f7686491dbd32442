import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The deployment key for identity hashes. Configured (privacy.hashKeyFile) in a real deployment so
 * that kiosks and hub hash alike; otherwise made once per data folder, so a lone kiosk still never
 * stores a number in clear. Returns whether it was generated, so the caller can warn.
 */
export function loadOrCreateHashKey(
  dataDir: string,
  configured?: Buffer,
): { key: Buffer; generated: boolean; unsaved?: Error } {
  if (configured) return { key: configured, generated: false };
  const file = join(dataDir, 'identity.key');
  if (existsSync(file))
    return { key: Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    // Written aside and renamed: a full disk must not leave a short key file that a later start
    // would read as the key (an empty file on a full tmpfs is still created).
    writeFileSync(`${file}.tmp`, `${key.toString('hex')}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    rmSync(`${file}.tmp`, { force: true });
    // A first start on a full disk: the key cannot be saved. The kiosk runs on this one for now
    // (nothing can be journaled anyway until space returns) rather than not at all; `unsaved` says so.
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    return { key, generated: true, unsaved: err as Error };
  }
  chmodSync(file, 0o600);
  return { key, generated: true };
}
