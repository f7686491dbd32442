import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * Software releases and rollouts (migration 11, hub/src/updates/), one SQL text for both engines (`$n` → `?` for
 * SQLite). Times are ISO-8601 UTC text in both, and a rollout's stages are one JSON text: the engine reads and
 * writes a rollout whole. `revision` makes every change a compare-and-set, so a pause from the CLI and the
 * engine's tick in the hub process cannot overwrite each other: the loser reads again.
 */
export interface ReleaseRow {
  file: string;
  version: string;
  arch: string;
  sha256: string;
  size: number;
  addedAt: string;
  addedBy: string;
}

export interface RolloutRow {
  id: string;
  version: string;
  /** running | paused | halted | done */
  state: string;
  /** JSON: RolloutStage[] (hub/src/updates/rollout-model.ts). */
  stages: string;
  /** Index of the stage in progress. */
  stage: number;
  minHealthy: number | null;
  detail: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  revision: number;
}

export type RolloutChange = Pick<RolloutRow, 'state' | 'stages' | 'stage' | 'detail' | 'updatedAt'>;

const RELEASE_COLUMNS = `file, version, arch, sha256, size, added_at AS "addedAt", added_by AS "addedBy"`;
const ROLLOUT_COLUMNS = `id, version, state, stages, stage, min_healthy AS "minHealthy", detail,
  created_at AS "createdAt", created_by AS "createdBy", updated_at AS "updatedAt", revision`;
const ADD_RELEASE = `INSERT INTO releases (file, version, arch, sha256, size, added_at, added_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (file) DO NOTHING`;
const RELEASES = `SELECT ${RELEASE_COLUMNS} FROM releases ORDER BY added_at DESC, file`;
const ADD_ROLLOUT = `INSERT INTO rollouts (id, version, state, stages, stage, min_healthy, detail, created_at, created_by, updated_at, revision)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)`;
const ROLLOUTS = `SELECT ${ROLLOUT_COLUMNS} FROM rollouts ORDER BY created_at DESC, id`;
const CHANGE = `UPDATE rollouts SET state = $1, stages = $2, stage = $3, detail = $4, updated_at = $5, revision = revision + 1
  WHERE id = $6 AND revision = $7`;

const q = (sql: string) => sql.replace(/\$\d+/g, '?');
const releaseParams = (r: ReleaseRow) => [r.file, r.version, r.arch, r.sha256, r.size, r.addedAt, r.addedBy];
const rolloutParams = (r: RolloutRow) => [
  r.id,
  r.version,
  r.state,
  r.stages,
  r.stage,
  r.minHealthy,
  r.detail,
  r.createdAt,
  r.createdBy,
  r.updatedAt,
];
const changeParams = (id: string, revision: number, c: RolloutChange) => [
  c.state,
  c.stages,
  c.stage,
  c.detail,
  c.updatedAt,
  id,
  revision,
];

const sqliteReleases = {
  add: (db: Database.Database, r: ReleaseRow) =>
    db.prepare(q(ADD_RELEASE)).run(...releaseParams(r)).changes === 1,
  list: (db: Database.Database) => db.prepare(RELEASES).all() as ReleaseRow[],
  addRollout: (db: Database.Database, r: RolloutRow) => {
    db.prepare(q(ADD_ROLLOUT)).run(...rolloutParams(r));
  },
  rollouts: (db: Database.Database) => db.prepare(ROLLOUTS).all() as RolloutRow[],
  change: (db: Database.Database, id: string, revision: number, c: RolloutChange) =>
    db.prepare(q(CHANGE)).run(...changeParams(id, revision, c)).changes === 1,
};

const postgresReleases = {
  add: async (pool: pg.Pool, r: ReleaseRow) =>
    ((await pool.query(ADD_RELEASE, releaseParams(r))).rowCount ?? 0) === 1,
  list: async (pool: pg.Pool) =>
    (await pool.query<ReleaseRow>(RELEASES)).rows.map((r) => ({ ...r, size: Number(r.size) })),
  addRollout: async (pool: pg.Pool, r: RolloutRow) => {
    await pool.query(ADD_ROLLOUT, rolloutParams(r));
  },
  rollouts: async (pool: pg.Pool) =>
    (await pool.query<RolloutRow>(ROLLOUTS)).rows.map((r) => ({
      ...r,
      stage: Number(r.stage),
      revision: Number(r.revision),
      minHealthy: r.minHealthy === null ? null : Number(r.minHealthy),
    })),
  change: async (pool: pg.Pool, id: string, revision: number, c: RolloutChange) =>
    ((await pool.query(CHANGE, changeParams(id, revision, c))).rowCount ?? 0) === 1,
};

/** Release bundles and rollouts (migration 11), as `HubRepository.releases`. */
export interface ReleaseRecords {
  /** A verified release bundle (hub/src/updates/releases.ts); false when that file was already added. */
  add(r: ReleaseRow): Promise<boolean>;
  list(): Promise<ReleaseRow[]>;
  addRollout(r: RolloutRow): Promise<void>;
  rollouts(): Promise<RolloutRow[]>;
  /** Changes a rollout if its revision is still `revision` (compare-and-set); false when someone changed it. */
  changeRollout(id: string, revision: number, c: RolloutChange): Promise<boolean>;
}

export const sqliteReleaseRecords = (db: Database.Database): ReleaseRecords => ({
  add: async (r) => sqliteReleases.add(db, r),
  list: async () => sqliteReleases.list(db),
  addRollout: async (r) => sqliteReleases.addRollout(db, r),
  rollouts: async () => sqliteReleases.rollouts(db),
  changeRollout: async (id, revision, c) => sqliteReleases.change(db, id, revision, c),
});

export const postgresReleaseRecords = (pool: pg.Pool): ReleaseRecords => ({
  add: (r) => postgresReleases.add(pool, r),
  list: () => postgresReleases.list(pool),
  addRollout: (r) => postgresReleases.addRollout(pool, r),
  rollouts: () => postgresReleases.rollouts(pool),
  changeRollout: (id, revision, c) => postgresReleases.change(pool, id, revision, c),
});
