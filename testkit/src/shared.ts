import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where the workspace package.json is). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * ../shared beside the repository: test data and reference schemas are read from there, never
 * copied in. QRKIOSK_SHARED overrides it.
 */
export function sharedDir(): string {
  const dir = process.env.QRKIOSK_SHARED ?? join(REPO_ROOT, '..', 'shared');
  if (!existsSync(dir)) throw new Error(`shared test data not found at ${dir} (set QRKIOSK_SHARED)`);
  return dir;
}
