import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KeyRing, UpdateHeader } from '@qrkiosk/protocol';
import { FactsCache, UpdateRefused } from './cache.js';

/** A refusal keeps its cause (the error, with its stack) where it was raised in this thread. */
export type ApplyResult =
  | { ok: true; header: UpdateHeader }
  | { ok: false; code: string; message: string; cause?: Error };

const WORKER = new URL('./update-worker.js', import.meta.url);

/**
 * Applies a signed update off the scan path: in a worker thread when running compiled code; from the
 * TypeScript sources (tests) there is no compiled worker, so it runs here, synchronously.
 */
export async function applyCacheUpdate(
  dataDir: string,
  update: Buffer,
  keys: KeyRing,
  publicKeyPems: string[],
): Promise<ApplyResult> {
  if (!existsSync(fileURLToPath(WORKER))) {
    const cache = new FactsCache(dataDir);
    try {
      cache.open();
      return { ok: true, header: cache.applyUpdate(update, keys) };
    } catch (err) {
      return {
        ok: false,
        code: err instanceof UpdateRefused ? err.code : 'error',
        message: (err as Error).message,
        cause: err as Error,
      };
    } finally {
      cache.close();
    }
  }
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, { workerData: { dataDir, update, publicKeys: publicKeyPems } });
    worker.once('message', (m: ApplyResult) => resolve(m));
    worker.once('error', (err) => resolve({ ok: false, code: 'error', message: err.message, cause: err }));
  });
}
