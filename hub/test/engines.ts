import { join } from 'node:path';
import { makeTempDir, type RunningPostgres, startPostgres } from '@qrkiosk/testkit';
import { afterAll } from 'vitest';
import { HubStore } from '../src/index.js';

/**
 * Both storage engines for one test file: SQLite files in temp dirs, and one real PostgreSQL
 * server (Debian's binaries, started here, stopped after the file) with a fresh database per store.
 */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

let server: Promise<RunningPostgres> | undefined;
let databases = 0;
afterAll(async () => {
  await (await server)?.stop();
});

/** Where a new, empty hub database of this engine is: a postgres:// URL or an SQLite file. */
export async function newDatabase(engine: Engine): Promise<{ database: string; dataDir: string }> {
  const dataDir = makeTempDir('hub-');
  if (engine === 'sqlite') return { database: join(dataDir, 'hub.db'), dataDir };
  server ??= startPostgres();
  return { database: (await server).createDatabase(`hub_${++databases}`), dataDir };
}

export async function openStore(
  engine: Engine,
): Promise<{ store: HubStore; database: string; dataDir: string }> {
  const where = await newDatabase(engine);
  return { ...where, store: await HubStore.open(where.database, where.dataDir) };
}
