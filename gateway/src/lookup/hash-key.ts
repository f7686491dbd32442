import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '@qrkiosk/protocol';

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
    // Written aside, synced and renamed, folder synced: a full disk or a power cut must not leave a
    // short key file, nor lose a new key the kiosk has hashed with.
    writeDurably(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  } catch (err) {
    // A first start on a full disk: the key cannot be saved. The kiosk runs on this one for now
    // (nothing can be journaled anyway until space returns) rather than not at all; `unsaved` says so.
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    return { key, generated: true, unsaved: err as Error, ...(aside ? { aside } : {}) };
  }
  chmodSync(file, 0o600);
  return { key, generated: true, ...(aside ? { aside } : {}) };
}

/**
 * The deployment key for a tool that must not write (`qrkiosk check`): the configured one, else this
 * data folder's identity.key when it is a valid key. Undefined when there is none: the caller uses a
 * throwaway key, under which no cached person matches — as a key made now would.
 */
export function readHashKey(dataDir: string, configured?: Buffer): Buffer | undefined {
  if (configured) return configured;
  const file = join(dataDir, 'identity.key');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  return /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/**
 * The kiosk's key at start: the configured one, else this folder's, else a new one saved there. A
 * full disk does not stop the kiosk (the key is used unsaved, `disk-full` raised); a bad file is
 * moved aside for the technician; a made key is a warning — the hub cannot trace with it.
 */
export function startHashKey(
  dataDir: string,
  configured: Buffer | undefined,
  faults: { raise(code: 'disk-full', err: unknown, detail: Record<string, unknown>): void },
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void },
): Buffer {
  const { key, generated, unsaved, aside } = loadOrCreateHashKey(dataDir, configured);
  if (unsaved) faults.raise('disk-full', unsaved, { file: 'identity.key' });
  if (aside) log.error({ aside }, 'identity.key was not a 32-byte key; moved aside, a new one made');
  if (generated)
    log.warn(
      { dir: dataDir },
      'made a local identity hash key; set privacy.hashKeyFile to the deployment key so the hub can trace',
    );
  return key;
}
