import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The deployment key for identity hashes. Configured (privacy.hashKeyFile) in a real deployment so
 * that kiosks and hub hash alike; otherwise made once per data folder, so a lone kiosk still never
 * stores a number in clear. Returns whether it was generated, so the caller can warn.
 */
export function loadOrCreateHashKey(
  dataDir: string,
  configured?: Buffer,
): { key: Buffer; generated: boolean } {
  if (configured) return { key: configured, generated: false };
  const file = join(dataDir, 'identity.key');
  if (existsSync(file))
    return { key: Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, generated: true };
}
