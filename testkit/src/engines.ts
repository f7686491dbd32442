import { join } from 'node:path';
import { type RunningPostgres, startPostgres } from './postgres.js';
import { makeTempDir } from './tmp.js';

/** The hub's storage engines: every hub suite runs on both. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

/**
 * New, empty hub databases for one test file: SQLite files in temp dirs, and one real PostgreSQL server
 * (Debian's binaries), started on first use, with a fresh database per call. The file calls `stop()` in
 * afterAll (testkit registers no hooks itself, so benchmarks can use it too).
 */
export class HubDatabases {
  private server: Promise<RunningPostgres> | undefined;
  private count = 0;

  /** Where a new hub database of this engine is: a postgres:// URL or an SQLite file, and a data dir. */
  async create(engine: Engine): Promise<{ database: string; dataDir: string }> {
    const dataDir = makeTempDir('hub-');
    if (engine === 'sqlite') return { database: join(dataDir, 'hub.db'), dataDir };
    this.server ??= startPostgres();
    return { database: (await this.server).createDatabase(`hub_${++this.count}`), dataDir };
  }

  async stop(): Promise<void> {
    await (await this.server)?.stop();
  }
}
