import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The deployment key for identity hashes. Configured (privacy.hashKeyFile) in a real deployment so
 * that kiosks and hub hash alike; otherwise made once per data folder, so a lone kiosk still never
 * stores a number in clear. Returns whether it was generated, so the caller can warn.
 */
export function loadOrCreateHashKey(
  dataDir: string,
  configured?: Buffer,
): { key: Buffer; generated: boolean; unsaved?: Error; aside?: string } {
  if (configured) return { key: configured, generated: false };
  const file = join(dataDir, 'identity.key');
  let aside: string | undefined;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    // 32 bytes as hex, as written below. Anything else (an empty file left by a full disk or a power
    // cut, a truncated one) would make hashes anyone can reverse by trying numbers (HMAC with an
    // empty key): never use it; keep it aside for the technician and make a new key.
    if (/^[0-9a-f]{64}$/i.test(text)) return { key: Buffer.from(text, 'hex'), generated: false };
    aside = `${file}.bad-${Date.now()}`;
    renameSync(file, aside);
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    // Written aside, synced and renamed: a full disk or a power cut must not leave a short key file.
    const fd = openSync(`${file}.tmp`, 'w', 0o600);
    try {
      writeSync(fd, `${key.toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    rmSync(`${file}.tmp`, { force: true });
    // A first start on a full disk: the key cannot be saved. The kiosk runs on this one for now
    // (nothing can be journaled anyway until space returns) rather than not at all; `unsaved` says so.
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    return { key, generated: true, unsaved: err as Error, ...(aside ? { aside } : {}) };
  }
  chmodSync(file, 0o600);
  return { key, generated: true, ...(aside ? { aside } : {}) };
}
