import { parentPort, workerData } from 'node:worker_threads';
import { KeyRing, loadPublicKey } from '@qrkiosk/protocol';
import { FactsCache, UpdateRefused } from './cache.js';

/**
 * Applies a signed cache update in a worker thread with its own SQLite connection, so a 10M-row
 * snapshot (~15 s) never holds the scan path. Scans keep reading the previous version (WAL) until
 * the update's transaction commits.
 */
interface Job {
  dataDir: string;
  update: Uint8Array;
  publicKeys: string[];
}

const job = workerData as Job;
const keys = new KeyRing();
for (const pem of job.publicKeys) keys.add(loadPublicKey(pem));
const cache = new FactsCache(job.dataDir);
try {
  cache.open();
  const header = cache.applyUpdate(Buffer.from(job.update), keys);
  parentPort?.postMessage({ ok: true, header });
} catch (err) {
  parentPort?.postMessage({
    ok: false,
    code: err instanceof UpdateRefused ? err.code : 'error',
    message: (err as Error).message,
  });
} finally {
  cache.close();
}
